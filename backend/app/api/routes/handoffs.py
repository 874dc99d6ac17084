"""转人工: a hand-off ticket for the hotline."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from app.api.deps import ChatUserDep, IdempotencyKeyDep, NowDep, SessionDep
from app.api.routing import APIRouter
from app.schemas import ErrorPublic
from app.schemas.tickets import HandoffCreate, TicketCreated
from app.services.handoffs import request_handoff

router = APIRouter(prefix="/handoffs", tags=["转人工"])


@router.post(
    "",
    summary="转人工",
    description=(
        "为热线坐席新建转人工工单（RG 开头），附对话摘要；摘要中的身份证号、手机号和姓名先脱敏"
        "再保存。未注册的用户也可以转人工；填写企业编号时须是该用户已绑定的企业。该用户已有"
        "未办结的转人工工单时返回那张工单（200、`created: false`）。携带 `Idempotency-Key` 的"
        "重试返回首次结果。"
    ),
    status_code=201,
    response_model=TicketCreated,
    responses={
        200: {"model": TicketCreated, "description": "已有未办结的转人工工单，返回原工单"},
        403: {"model": ErrorPublic, "description": "not_bound：该用户未绑定所填企业"},
        422: {"model": ErrorPublic, "description": "invalid_input / idempotency_key_reused"},
    },
)
def create_handoff(
    body: HandoffCreate,
    chat_user: ChatUserDep,
    session: SessionDep,
    now: NowDep,
    idempotency_key: IdempotencyKeyDep = None,
) -> JSONResponse:
    status, reply = request_handoff(
        session, chat_user, body, idempotency_key=idempotency_key, now=now
    )
    return JSONResponse(reply, status_code=status)
