from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Path, status
from fastapi.responses import JSONResponse

from app.api.deps import ChatUserDep, CityDep, IdempotencyKeyDep, NowDep, SessionDep
from app.api.routing import APIRouter
from app.enums import DATA_CATEGORY_RECORDS, SERVICE_DESK_CODE, SERVICE_DESK_NAME, DataCategory
from app.models import Authorization, Institution
from app.schemas import ErrorPublic
from app.schemas.applications import MAX_ID
from app.schemas.authorization import (
    AuthorizationCreate,
    AuthorizationList,
    AuthorizationPublic,
    DataCategoryPublic,
    InstitutionPublic,
    NoticePublic,
)
from app.services import authorizations as service
from app.services.enterprises import require_bound_enterprise
from app.services.idempotency import chat_request, run_once

router = APIRouter(tags=["授权"])

EnterpriseId = Annotated[int, Path(ge=1, le=MAX_ID, description="平台企业编号")]
_NOT_BOUND = {403: {"model": ErrorPublic, "description": "not_bound：该用户未绑定此企业"}}


def _institution(institution: Institution) -> InstitutionPublic:
    return InstitutionPublic(code=institution.code, name=institution.name, kind=institution.kind)


# Named in an authorization like an institution, though it has no institution row.
SERVICE_DESK = InstitutionPublic(code=SERVICE_DESK_CODE, name=SERVICE_DESK_NAME, kind="平台")


def authorization_public(
    authorization: Authorization, institutions: dict[str, Institution], now: datetime
) -> AuthorizationPublic:
    named = (
        [_institution(i) for i in institutions.values()]
        if authorization.all_institutions
        else [
            _institution(institutions[code])
            for code in authorization.institution_codes
            if code in institutions
        ]
    )
    if SERVICE_DESK_CODE in authorization.institution_codes:
        named.append(SERVICE_DESK)
    return AuthorizationPublic(
        id=authorization.id,
        enterprise_id=authorization.enterprise_id,
        status=service.status_of(authorization, now),
        notice_version=authorization.notice_version,
        data_categories=[DataCategory(c) for c in authorization.data_categories],
        all_institutions=authorization.all_institutions,
        institutions=named,
        period_months=authorization.period_months,
        channel=authorization.channel,
        granted_at=authorization.granted_at,
        expires_at=authorization.expires_at,
        revoked_at=authorization.revoked_at,
    )


@router.get(
    "/authorizations/notice",
    summary="授权风险告知书",
    description=(
        "授权前须向用户展示的风险告知书（当前版本）及授权范围的选项：可授权的非公开数据类别、"
        "平台全部接入机构、授权期限（默认 12 个月，1–36 个月）。授权时原样提交 `version`。"
        "平台服务台（`platform_service_desk`）不属于接入机构：只有授权中单独列明它，热线坐席"
        "才能在查询时看到授权范围内的非公开信息。"
    ),
    response_model=NoticePublic,
)
def get_notice(session: SessionDep, city: CityDep) -> NoticePublic:
    notice = service.current_notice()
    return NoticePublic(
        version=notice.version,
        title=notice.title,
        text=service.render_notice(
            notice, platform_name=city.platform_name, city_name=city.city_name
        ),
        data_categories=[
            DataCategoryPublic(category=c, record_categories=list(DATA_CATEGORY_RECORDS[c]))
            for c in DataCategory
        ],
        institutions=[_institution(i) for i in service.institutions_by_code(session).values()],
        service_desk=SERVICE_DESK,
        default_period_months=service.DEFAULT_PERIOD_MONTHS,
        min_period_months=service.MIN_PERIOD_MONTHS,
        max_period_months=service.MAX_PERIOD_MONTHS,
    )


@router.post(
    "/enterprises/{enterprise_id}/authorizations",
    summary="授权共享非公开信用信息",
    description=(
        "已绑定企业的用户在阅读风险告知书后回复“同意”，授权所选机构在期限内查询所选类别的"
        "非公开信用信息。记录授权人、时间、渠道、告知书版本、数据类别、机构和到期时间。"
        "`notice_version` 须为当前版本，否则 409 notice_outdated。带 `Idempotency-Key` 的"
        "重复请求返回首次结果，不会重复授权。"
    ),
    status_code=status.HTTP_201_CREATED,
    response_model=AuthorizationPublic,
    responses={
        **_NOT_BOUND,
        409: {"model": ErrorPublic, "description": "notice_outdated：告知书已更新，需重新阅读"},
        422: {
            "model": ErrorPublic,
            "description": (
                "consent_required / institutions_invalid / institution_unknown / "
                "idempotency_key_reused / invalid_input"
            ),
        },
    },
)
def create_authorization(
    enterprise_id: EnterpriseId,
    body: AuthorizationCreate,
    chat_user: ChatUserDep,
    session: SessionDep,
    now: NowDep,
    idempotency_key: IdempotencyKeyDep = None,
) -> JSONResponse:
    enterprise = require_bound_enterprise(
        session, enterprise_id, chat_user.channel, chat_user.user_id
    )

    def create() -> tuple[int, dict]:
        authorization = service.grant_authorization(
            session, enterprise, chat_user.channel, chat_user.user_id, body, now=now
        )
        institutions = service.institutions_by_code(session)
        reply = authorization_public(authorization, institutions, now)
        return status.HTTP_201_CREATED, reply.model_dump(mode="json")

    code, reply = run_once(
        session,
        scope="authorizations.create",
        key=idempotency_key,
        payload=chat_request(chat_user, body, enterprise_id=enterprise_id),
        create=create,
    )
    return JSONResponse(reply, status_code=code)


@router.get(
    "/enterprises/{enterprise_id}/authorizations",
    summary="查看本企业的授权",
    description="列出本企业的全部授权（有效、已撤回、已过期），新的在前。仅限已绑定该企业的用户。",
    response_model=AuthorizationList,
    responses=_NOT_BOUND,
)
def list_authorizations(
    enterprise_id: EnterpriseId,
    chat_user: ChatUserDep,
    session: SessionDep,
    now: NowDep,
) -> AuthorizationList:
    enterprise = require_bound_enterprise(
        session, enterprise_id, chat_user.channel, chat_user.user_id
    )
    institutions = service.institutions_by_code(session)
    return AuthorizationList(
        items=[
            authorization_public(a, institutions, now)
            for a in service.list_authorizations(session, enterprise.id)
        ]
    )


@router.post(
    "/enterprises/{enterprise_id}/authorizations/{authorization_id}/revoke",
    summary="撤回授权",
    description=(
        "撤回本企业的一项授权，撤回后机构不能再查询授权范围内的非公开信息。重复撤回、撤回已过期"
        "的授权不做更改，返回该授权的当前状态。其他企业的授权与不存在的授权一样答复 404。"
    ),
    response_model=AuthorizationPublic,
    responses={
        **_NOT_BOUND,
        404: {"model": ErrorPublic, "description": "authorization_not_found：没有这项授权"},
    },
)
def revoke_authorization(
    enterprise_id: EnterpriseId,
    authorization_id: Annotated[int, Path(ge=1, le=MAX_ID, description="授权编号")],
    chat_user: ChatUserDep,
    session: SessionDep,
    now: NowDep,
) -> AuthorizationPublic:
    enterprise = require_bound_enterprise(
        session, enterprise_id, chat_user.channel, chat_user.user_id
    )
    authorization = service.revoke_authorization(
        session, enterprise, authorization_id, chat_user.channel, chat_user.user_id, now=now
    )
    return authorization_public(authorization, service.institutions_by_code(session), now)
