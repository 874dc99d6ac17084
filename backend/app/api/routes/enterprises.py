from __future__ import annotations

from typing import Annotated

from anyio import to_thread
from fastapi import Path, Query, Response

from app.api.deps import AsyncPoolDep, ChatUserDep, NowDep, SessionDep, SettingsDep
from app.api.replies import json_reply
from app.api.routing import APIRouter
from app.enums import CreditCategory, DataClass
from app.schemas import (
    EnterprisePublic,
    ErrorPublic,
    EvaluationPublic,
)
from app.schemas.applications import MAX_ID
from app.schemas.credit import (
    CategoryCountPublic,
    RecordList,
    ReportLinkPublic,
    SelfCheckSummaryPublic,
    record_public,
    registration_public,
)
from app.services.credit import category_records, self_check, self_check_on_loop
from app.services.enterprises import require_bound_enterprise
from app.services.report_links import issue_report_link

router = APIRouter(prefix="/enterprises", tags=["信用自查"])

EnterpriseId = Annotated[int, Path(ge=1, le=MAX_ID, description="平台企业编号")]


@router.get(
    "/{enterprise_id}/credit-summary",
    summary="信用自查概要",
    description=(
        "免费查询本企业在平台上的信用信息概要：登记信息（法定代表人姓名脱敏）、基础性信用评价"
        "（等级与依据）、白名单状态、各类信用信息条数（含 0 条的类别）及其中“异议处理中”的条数。"
        "仅限已绑定该企业的会话用户；查询记入审计日志（目的：信用自查）。"
    ),
    response_model=SelfCheckSummaryPublic,
    responses={403: {"model": ErrorPublic, "description": "not_bound：该用户未绑定此企业"}},
)
async def get_credit_summary(
    enterprise_id: EnterpriseId,
    chat_user: ChatUserDep,
    session: SessionDep,
    pool: AsyncPoolDep,
) -> Response:
    # The bot's busiest call: on PostgreSQL it is served on the event loop, without a thread hop
    # (docs/backend.md, "Cost per request"); on SQLite in a request thread like any route.
    if pool is None:
        check = await to_thread.run_sync(
            self_check, session, enterprise_id, chat_user.channel, chat_user.user_id
        )
    else:
        check = await self_check_on_loop(pool, enterprise_id, chat_user.channel, chat_user.user_id)
    facts = check.facts
    summary = SelfCheckSummaryPublic(
        enterprise=EnterprisePublic(
            id=facts.enterprise_id,
            name=facts.enterprise_name,
            uscc=facts.enterprise_uscc,
            is_individual_business=facts.is_individual_business,
        ),
        registration=registration_public(facts),
        evaluation=None
        if facts.grade is None
        else EvaluationPublic(
            grade=facts.grade, reasons=facts.reasons, evaluated_on=facts.evaluated_on
        ),
        white_list=facts.white_listed,
        counts=[
            CategoryCountPublic(
                category=c.category,
                public=c.category.data_class is DataClass.PUBLIC,
                count=c.count,
                disputed=c.disputed,
            )
            for c in check.counts
        ],
    )
    return json_reply(summary)


@router.get(
    "/{enterprise_id}/records",
    summary="信用自查：某一类信息的明细",
    description=(
        "列出本企业某一类信用信息的全部记录（新的在前），异议处理中的记录标明“异议处理中”；"
        "身份证号、手机号、自然人姓名均已脱敏。仅限已绑定该企业的会话用户；查看非公开类别"
        "记入审计日志（目的：信用自查）。"
    ),
    response_model=RecordList,
    responses={403: {"model": ErrorPublic, "description": "not_bound：该用户未绑定此企业"}},
)
def list_records(
    enterprise_id: EnterpriseId,
    category: Annotated[
        CreditCategory,
        Query(description="信息类别，如 行政处罚、纳税信用等级", examples=["行政处罚"]),
    ],
    chat_user: ChatUserDep,
    session: SessionDep,
) -> RecordList:
    enterprise = require_bound_enterprise(
        session, enterprise_id, chat_user.channel, chat_user.user_id
    )
    records, names = category_records(session, enterprise, category, chat_user.actor)
    return RecordList(
        category=category,
        public=category.data_class is DataClass.PUBLIC,
        items=[record_public(r, names) for r in records],
    )


@router.post(
    "/{enterprise_id}/report-links",
    summary="完整信用报告的短时链接",
    description=(
        "为已绑定该企业的会话用户生成完整信用报告（各类信息及明细）H5 页面的签名链接，"
        "有效期见 REPORT_LINK_MINUTES。链接只含绑定编号，不含用户标识；打开时按该用户的权限"
        "读取并记入审计日志。"
    ),
    response_model=ReportLinkPublic,
    status_code=201,
    responses={403: {"model": ErrorPublic, "description": "not_bound：该用户未绑定此企业"}},
)
def create_report_link(
    enterprise_id: EnterpriseId,
    chat_user: ChatUserDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> ReportLinkPublic:
    link = issue_report_link(
        session, settings, enterprise_id, chat_user.channel, chat_user.user_id, now
    )
    return ReportLinkPublic(url=link.url, expires_at=link.expires_at)
