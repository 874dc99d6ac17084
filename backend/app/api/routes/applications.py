from __future__ import annotations

from typing import Annotated

from fastapi import Path, status
from fastapi.responses import JSONResponse

from app.api.deps import ChatUserDep, IdempotencyKeyDep, NowDep, SessionDep
from app.api.routing import APIRouter
from app.schemas import ErrorPublic
from app.schemas.applications import (
    MAX_ID,
    NUMBER_PATTERN,
    ApplicationCreate,
    ApplicationCreated,
    ApplicationList,
    ApplicationPublic,
    application_public,
)
from app.services import applications as service
from app.services.enterprises import require_bound_enterprise
from app.services.idempotency import chat_request, run_once

router = APIRouter(tags=["产品申请"])

EnterpriseId = Annotated[int, Path(ge=1, le=MAX_ID, description="平台企业编号")]
ApplicationNumber = Annotated[
    str,
    Path(pattern=NUMBER_PATTERN, description="申请编号，如 SQ202606300001（不区分大小写）"),
]
_NOT_BOUND = {403: {"model": ErrorPublic, "description": "not_bound：该用户未绑定此企业"}}
_NOT_FOUND = {404: {"model": ErrorPublic, "description": "application_not_found：没有这笔申请"}}


@router.post(
    "/enterprises/{enterprise_id}/applications",
    summary="申请信贷产品",
    description=(
        "为本企业申请一个信贷产品。需要覆盖该产品所属机构的有效授权，否则 409 "
        "authorization_required（机器人随即提供授权）；金额、期限须在产品范围内（422 "
        "out_of_product_range，`fields` 指出是哪一项）。同一产品同一企业只能有一笔进行中的申请："
        "已有时返回原申请（200，`created: false`），新建时 201、`created: true`。带 "
        "`Idempotency-Key` 的重复请求返回首次结果。联系电话在答复中脱敏。"
    ),
    status_code=status.HTTP_201_CREATED,
    response_model=ApplicationCreated,
    responses={
        200: {"model": ApplicationCreated, "description": "该产品已有进行中的申请，返回原申请"},
        **_NOT_BOUND,
        404: {"model": ErrorPublic, "description": "product_not_found：没有这个在售产品"},
        409: {
            "model": ErrorPublic,
            "description": "authorization_required：尚未授权该产品所属机构",
        },
        422: {
            "model": ErrorPublic,
            "description": (
                "out_of_product_range / phone_invalid / idempotency_key_reused / invalid_input"
            ),
        },
    },
)
def create_application(
    enterprise_id: EnterpriseId,
    body: ApplicationCreate,
    chat_user: ChatUserDep,
    session: SessionDep,
    now: NowDep,
    idempotency_key: IdempotencyKeyDep = None,
) -> JSONResponse:
    enterprise = require_bound_enterprise(
        session, enterprise_id, chat_user.channel, chat_user.user_id
    )

    def create() -> tuple[int, dict]:
        application, created = service.create_application(
            session, enterprise, chat_user.channel, chat_user.user_id, body, now=now
        )
        reply = ApplicationCreated(created=created, application=application_public(application))
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return code, reply.model_dump(mode="json")

    code, reply = run_once(
        session,
        scope="applications.create",
        key=idempotency_key,
        payload=chat_request(chat_user, body, enterprise_id=enterprise_id),
        create=create,
    )
    return JSONResponse(reply, status_code=code)


@router.get(
    "/enterprises/{enterprise_id}/applications",
    summary="本企业的产品申请",
    description="列出本企业的全部产品申请（新的在前），含状态历史和融资成效。联系电话已脱敏。",
    response_model=ApplicationList,
    responses=_NOT_BOUND,
)
def list_applications(
    enterprise_id: EnterpriseId, chat_user: ChatUserDep, session: SessionDep
) -> ApplicationList:
    enterprise = require_bound_enterprise(
        session, enterprise_id, chat_user.channel, chat_user.user_id
    )
    return ApplicationList(
        items=[application_public(a) for a in service.list_applications(session, enterprise.id)]
    )


@router.get(
    "/enterprises/{enterprise_id}/applications/{number}",
    summary="查看本企业的一笔申请",
    description="按申请编号查看本企业的一笔申请。其他企业的申请与不存在的申请一样答复 404。",
    response_model=ApplicationPublic,
    responses={**_NOT_BOUND, **_NOT_FOUND},
)
def get_enterprise_application(
    enterprise_id: EnterpriseId,
    number: ApplicationNumber,
    chat_user: ChatUserDep,
    session: SessionDep,
) -> ApplicationPublic:
    enterprise = require_bound_enterprise(
        session, enterprise_id, chat_user.channel, chat_user.user_id
    )
    return application_public(service.application_for_enterprise(session, enterprise.id, number))


@router.get(
    "/applications/{number}",
    summary="按申请编号查询进度",
    description=(
        "用户只说了申请编号时使用：返回该用户已绑定的任一企业的这笔申请。未绑定企业的申请"
        "与不存在的申请一样答复 404。"
    ),
    response_model=ApplicationPublic,
    responses=_NOT_FOUND,
)
def get_application(
    number: ApplicationNumber, chat_user: ChatUserDep, session: SessionDep
) -> ApplicationPublic:
    return application_public(
        service.application_for_user(session, number, chat_user.channel, chat_user.user_id)
    )
