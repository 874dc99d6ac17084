"""异议申诉: finding the disputed record from the user's words, and filing the objection."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from fastapi.responses import JSONResponse

from app.api.deps import ChatUserDep, IdempotencyKeyDep, NowDep, SessionDep
from app.api.routing import APIRouter
from app.schemas import ErrorPublic
from app.schemas.tickets import (
    MAX_ID,
    ObjectionCreate,
    RecordCandidate,
    RecordSearchResult,
    TicketCreated,
)
from app.services.enterprises import require_bound_enterprise
from app.services.objections import file_objection
from app.services.record_search import MAX_RESULTS, search_records

router = APIRouter(prefix="/enterprises", tags=["异议申诉"])

EnterpriseId = Annotated[int, Path(ge=1, le=MAX_ID, description="平台企业编号")]


@router.get(
    "/{enterprise_id}/records/search",
    summary="按描述查找信用记录",
    description=(
        "用户用自己的话描述有问题的记录（如“我那个罚款早就交了怎么还挂着”），返回本企业最可能的"
        "候选记录，最可能的在前，供用户确认后提出异议或申请修复。按关键词识别信息类别"
        "（罚款/处罚 → 行政处罚，欠费/水费/电费/燃气 → 水电气欠费，社保 → 社保欠缴，"
        "失信/黑名单 → 严重失信名单，判决/执行/法院 → 司法判决及执行 等），再比对标题、内容中的"
        "词语和金额。个人信息已脱敏；展示非公开记录会写入审计日志。仅限已绑定该企业的会话用户。"
    ),
    response_model=RecordSearchResult,
    responses={403: {"model": ErrorPublic, "description": "not_bound：该用户未绑定此企业"}},
)
def search(
    enterprise_id: EnterpriseId,
    chat_user: ChatUserDep,
    session: SessionDep,
    q: Annotated[
        str,
        Query(min_length=1, max_length=500, description="用户对记录的描述（原话）"),
    ],
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS, description="最多返回条数")] = 5,
) -> RecordSearchResult:
    enterprise = require_bound_enterprise(
        session, enterprise_id, chat_user.channel, chat_user.user_id
    )
    outcome = search_records(session, enterprise, q, actor=chat_user.actor, limit=limit)
    return RecordSearchResult(
        categories=outcome.categories,
        items=[
            RecordCandidate(
                id=c.record.id,
                category=c.record.category,
                title=c.title,
                content=c.content,
                authority=c.record.authority,
                decided_on=c.record.decided_on,
                document_no=c.record.document_no,
                amount=c.record.amount,
                status=c.record.status,
                repairable_after=c.record.repairable_after,
                score=c.score,
                matched=c.matched,
            )
            for c in outcome.candidates
        ],
    )


@router.post(
    "/{enterprise_id}/objections",
    summary="提出异议申诉",
    description=(
        "对本企业的一条信用记录提出异议：理由、情况说明、证明材料、联系电话。新建工单（YY 开头），"
        "记录显示“异议处理中”，转交省级节点的期限为提交日之后第 2 个工作日（按法定节假日和调休"
        "计算）。该记录已有未办结的异议时返回那张工单（200、`created: false`）。"
        "携带 `Idempotency-Key` 的重试返回首次结果。仅限已绑定该企业的会话用户。"
    ),
    status_code=201,
    response_model=TicketCreated,
    responses={
        200: {"model": TicketCreated, "description": "该记录已有未办结的异议，返回原工单"},
        403: {"model": ErrorPublic, "description": "not_bound：该用户未绑定此企业"},
        404: {"model": ErrorPublic, "description": "record_not_found：本企业没有这条记录"},
        422: {
            "model": ErrorPublic,
            "description": "invalid_input / idempotency_key_reused",
        },
        503: {
            "model": ErrorPublic,
            "description": "working_calendar_unavailable：工作日日历不含当年安排",
        },
    },
)
def create_objection(
    enterprise_id: EnterpriseId,
    body: ObjectionCreate,
    chat_user: ChatUserDep,
    session: SessionDep,
    now: NowDep,
    idempotency_key: IdempotencyKeyDep = None,
) -> JSONResponse:
    status, reply = file_objection(
        session, enterprise_id, chat_user, body, idempotency_key=idempotency_key, now=now
    )
    return JSONResponse(reply, status_code=status)
