from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from app.api.deps import ChatUserDep, SessionDep
from app.schemas import (
    CategoryCount,
    CreditSummaryPublic,
    EnterprisePublic,
    ErrorPublic,
    EvaluationPublic,
)
from app.services.credit import credit_summary
from app.services.enterprises import require_bound_enterprise

router = APIRouter(prefix="/enterprises", tags=["信用自查"])


@router.get(
    "/{enterprise_id}/credit-summary",
    summary="信用自查概要",
    description=(
        "免费查询本企业在平台上的信用信息概要：基础性信用评价（等级与依据）、白名单状态、"
        "各类信用信息条数（含 0 条的类别）。仅限已绑定该企业的会话用户。"
    ),
    response_model=CreditSummaryPublic,
    responses={403: {"model": ErrorPublic, "description": "not_bound：该用户未绑定此企业"}},
)
def get_credit_summary(
    enterprise_id: Annotated[int, Path(ge=1, description="平台企业编号")],
    chat_user: ChatUserDep,
    session: SessionDep,
) -> CreditSummaryPublic:
    enterprise = require_bound_enterprise(
        session, enterprise_id, chat_user.channel, chat_user.user_id
    )
    summary = credit_summary(session, enterprise)
    evaluation = summary.evaluation
    return CreditSummaryPublic(
        enterprise=EnterprisePublic.model_validate(enterprise),
        evaluation=None
        if evaluation is None
        else EvaluationPublic(
            grade=evaluation.grade,
            reasons=evaluation.reasons,
            evaluated_on=evaluation.evaluated_on,
        ),
        white_list=summary.white_list,
        counts=[CategoryCount(category=c, count=n) for c, n in summary.counts.items()],
    )
