from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from app.api.deps import SessionDep
from app.schemas import CHANNEL_PATTERN, BoundEnterpriseList, BoundEnterprisePublic
from app.services.enterprises import list_bound_enterprises

router = APIRouter(prefix="/chat-users", tags=["会话用户"])

ChannelPath = Annotated[str, Path(pattern=CHANNEL_PATTERN, description="会话渠道，如 wechat、app")]
UserIdPath = Annotated[str, Path(min_length=1, max_length=128, description="渠道内的用户标识")]


@router.get(
    "/{channel}/{user_id}/enterprises",
    summary="用户已绑定的企业",
    description="列出该会话用户已实名绑定的企业及其身份。未知用户返回空列表。",
    response_model=BoundEnterpriseList,
)
def list_enterprises(
    channel: ChannelPath, user_id: UserIdPath, session: SessionDep
) -> BoundEnterpriseList:
    return BoundEnterpriseList(
        items=[
            BoundEnterprisePublic(
                id=b.enterprise.id,
                name=b.enterprise.name,
                uscc=b.enterprise.uscc,
                is_individual_business=b.enterprise.is_individual_business,
                role=b.role,
            )
            for b in list_bound_enterprises(session, channel, user_id)
        ]
    )
