"""Routes for institutions (banks, guarantee companies …). They authenticate with their own
Bearer token (InstitutionDep) and are mounted without the service token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from app.api.deps import CityDep, InstitutionDep, NowDep, SessionDep
from app.api.routing import APIRouter
from app.enums import ApplicationStatus
from app.schemas import ErrorPublic
from app.schemas.applications import (
    NUMBER_PATTERN,
    ApplicationList,
    ApplicationPublic,
    StatusChangeCreate,
    application_public,
)
from app.schemas.authorization import InstitutionPublic, InstitutionViewPublic
from app.schemas.credit import categories_public, registration_public
from app.services import applications as application_service
from app.services.institution_view import enterprise_view

router = APIRouter(prefix="/institution", tags=["接入机构"])

ApplicationNumber = Annotated[
    str,
    Path(pattern=NUMBER_PATTERN, description="申请编号，如 SQ202606300001（不区分大小写）"),
]
_NOT_FOUND = {
    404: {
        "model": ErrorPublic,
        "description": "application_not_found：没有这笔申请（或不是本机构受理的申请）",
    }
}


@router.get(
    "/me",
    summary="当前机构",
    description="令牌所属的接入机构，可用于核对令牌。",
    response_model=InstitutionPublic,
)
def whoami(institution: InstitutionDep) -> InstitutionPublic:
    return InstitutionPublic(code=institution.code, name=institution.name, kind=institution.kind)


@router.get(
    "/enterprises/{uscc}",
    summary="查询企业信用信息（机构）",
    description=(
        "公开信息始终提供：登记信息（法定代表人姓名脱敏）和仍在公示期内的公开信用信息。"
        "非公开信息（纳税、社保、公积金、水电气、不动产、进出口、知识产权、科技研发）只在企业的"
        "有效授权（未撤回、未过期）覆盖本机构和相应类别时提供，每次提供都记入审计日志"
        "（机构、企业、类别、目的、时间）。`purpose` 为查询目的，如“贷前审查”。"
    ),
    response_model=InstitutionViewPublic,
    responses={
        404: {"model": ErrorPublic, "description": "enterprise_not_found：平台没有该市场主体"},
        422: {"model": ErrorPublic, "description": "uscc_invalid / invalid_input"},
    },
)
def get_enterprise(
    uscc: Annotated[str, Path(min_length=1, max_length=64, description="统一社会信用代码")],
    institution: InstitutionDep,
    session: SessionDep,
    now: NowDep,
    # Absent → None; OpenAPI offers no `null`, which a query string cannot carry.
    purpose: Annotated[
        str,  # noqa: RUF013
        Query(
            description="查询目的（2–100 字，写入审计日志），如 贷前审查、贷后管理",
            examples=["贷前审查"],
        ),
    ] = None,
) -> InstitutionViewPublic:
    view = enterprise_view(session, institution, uscc, purpose, now=now)
    names = view.person_names
    return InstitutionViewPublic(
        registration=registration_public(view.entity),
        registered_on_platform=view.enterprise is not None,
        public=categories_public(view.public, names),
        authorized_categories=view.authorized,
        withheld_categories=view.withheld,
        non_public=categories_public(view.non_public, names),
        authorization_expires_at=view.authorization_expires_at,
    )


@router.get(
    "/applications",
    summary="本机构受理的产品申请",
    description="列出向本机构产品提交的申请（新的在前），可按状态筛选。联系电话已脱敏。",
    response_model=ApplicationList,
)
def list_applications(
    institution: InstitutionDep,
    session: SessionDep,
    # Absent → None (every status); OpenAPI offers no `null`, which a query string cannot carry.
    status: Annotated[ApplicationStatus, Query(description="按状态筛选")] = None,
) -> ApplicationList:
    return ApplicationList(
        items=[
            application_public(a)
            for a in application_service.list_institution_applications(session, institution, status)
        ]
    )


@router.get(
    "/applications/{number}",
    summary="查看一笔申请（机构）",
    description="本机构受理的一笔申请；其他机构的申请与不存在的申请一样答复 404。",
    response_model=ApplicationPublic,
    responses=_NOT_FOUND,
)
def get_application(
    number: ApplicationNumber, institution: InstitutionDep, session: SessionDep
) -> ApplicationPublic:
    return application_public(
        application_service.application_for_institution(session, institution, number)
    )


@router.post(
    "/applications/{number}/status",
    summary="更新申请状态并反馈融资成效",
    description=(
        "状态只能按 已提交 → 机构受理 → 已审批 / 未通过 → 已放款（仅在已审批之后）推进，其他变更 "
        "409 invalid_transition。已审批时须反馈审批金额（万元）、年化利率（%）和期限（月）；"
        "已放款时可更新这些数值。每次变更写入状态历史（状态、时间、机构、说明）。"
    ),
    response_model=ApplicationPublic,
    responses={
        **_NOT_FOUND,
        409: {"model": ErrorPublic, "description": "invalid_transition：不允许的状态变更"},
        422: {
            "model": ErrorPublic,
            "description": "feedback_required / feedback_not_applicable / invalid_input",
        },
    },
)
def change_status(
    number: ApplicationNumber,
    body: StatusChangeCreate,
    institution: InstitutionDep,
    session: SessionDep,
    now: NowDep,
    city: CityDep,
) -> ApplicationPublic:
    application = application_service.change_status(
        session, institution, number, body, now=now, hotline=city.hotline
    )
    return application_public(application)
