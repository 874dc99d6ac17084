"""信用修复: the credit commitment text, and applying to repair a record."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from fastapi.responses import JSONResponse

from app.api.deps import ChatUserDep, CityDep, IdempotencyKeyDep, NowDep, SessionDep
from app.api.routing import APIRouter
from app.schemas import ErrorPublic
from app.schemas.tickets import MAX_ID, CommitmentPublic, RepairCreate, TicketCreated
from app.services.repairs import apply_repair, current_commitment

router = APIRouter(tags=["信用修复"])


@router.get(
    "/repairs/commitment",
    summary="信用修复承诺书",
    description=(
        "当前版本的信用承诺书全文（已填入本市平台名称和服务热线）。申请修复前须向用户展示，"
        "用户明确确认后，以 `version` 作为 `commitment_version` 提交。"
    ),
    response_model=CommitmentPublic,
)
def get_commitment(city: CityDep) -> CommitmentPublic:
    commitment = current_commitment()
    return CommitmentPublic(
        version=commitment.version,
        text=commitment.render(platform_name=city.platform_name, hotline=city.hotline),
    )


@router.post(
    "/enterprises/{enterprise_id}/repairs",
    summary="申请信用修复",
    description=(
        "对本企业的行政处罚或严重失信名单记录申请信用修复：确认信用承诺书（当前版本）、提供整改"
        "证明材料和联系电话。最短公示期满（记录的可修复日期当天及以后）才能申请，否则 409 "
        "`repair_not_yet`，提示可申请的日期。新建工单（XF 开头），办理流程同异议申诉。该记录已有"
        "未办结的修复申请时返回那张工单（200、`created: false`）。携带 `Idempotency-Key` 的重试"
        "返回首次结果。仅限已绑定该企业的会话用户。"
    ),
    status_code=201,
    response_model=TicketCreated,
    responses={
        200: {"model": TicketCreated, "description": "该记录已有未办结的修复申请，返回原工单"},
        403: {"model": ErrorPublic, "description": "not_bound：该用户未绑定此企业"},
        404: {"model": ErrorPublic, "description": "record_not_found：本企业没有这条记录"},
        409: {
            "model": ErrorPublic,
            "description": "repair_not_yet / commitment_outdated / already_repaired",
        },
        422: {
            "model": ErrorPublic,
            "description": (
                "not_repairable / commitment_not_accepted / commitment_version_unknown / "
                "proof_required / invalid_input / idempotency_key_reused"
            ),
        },
    },
)
def create_repair(
    enterprise_id: Annotated[int, Path(ge=1, le=MAX_ID, description="平台企业编号")],
    body: RepairCreate,
    chat_user: ChatUserDep,
    session: SessionDep,
    now: NowDep,
    idempotency_key: IdempotencyKeyDep = None,
) -> JSONResponse:
    status, reply = apply_repair(
        session, enterprise_id, chat_user, body, idempotency_key=idempotency_key, now=now
    )
    return JSONResponse(reply, status_code=status)
