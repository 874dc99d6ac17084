from __future__ import annotations

from app.api.deps import ChatUserDep, SessionDep
from app.api.routing import APIRouter
from app.schemas import BoundEnterpriseList, BoundEnterprisePublic
from app.services.enterprises import list_bound_enterprises

router = APIRouter(prefix="/me", tags=["会话用户"])


@router.get(
    "/enterprises",
    summary="用户已绑定的企业",
    description="列出该会话用户已实名绑定的企业及其身份。未知用户返回空列表。",
    response_model=BoundEnterpriseList,
)
def list_enterprises(chat_user: ChatUserDep, session: SessionDep) -> BoundEnterpriseList:
    return BoundEnterpriseList(
        items=[
            BoundEnterprisePublic(
                id=b.enterprise.id,
                name=b.enterprise.name,
                uscc=b.enterprise.uscc,
                is_individual_business=b.enterprise.is_individual_business,
                role=b.role,
            )
            for b in list_bound_enterprises(session, chat_user.channel, chat_user.user_id)
        ]
    )
