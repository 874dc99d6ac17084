"""信用修复: applying to repair a 行政处罚 or 严重失信名单 record after its minimum publicity
period.

The user confirms the credit commitment (信用承诺书, versioned text in
config/notices/credit_commitment.v<N>.md; the newest version is the one shown and the only one
accepted) and supplies proof of rectification. The ticket (XF…) then moves like an objection.
One open repair per record: a second application gets the open ticket back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.core.config import REPO_ROOT
from app.enums import CreditCategory
from app.errors import AppError
from app.masking import mask_text
from app.models import TicketKind
from app.schemas.tickets import RepairCreate
from app.services.enterprises import require_bound_enterprise
from app.services.evidence import require_own_evidence
from app.services.idempotency import chat_request
from app.services.objections import bound_chat_user, person_names
from app.services.tickets import (
    ChatUserLike,
    create_once,
    created_reply,
    find_open,
    lock_record,
    new_ticket,
    open_key,
)
from app.services.working_days import china_date

SCOPE = "repairs.create"
REPAIRABLE_CATEGORIES = (CreditCategory.ADMINISTRATIVE_PENALTY, CreditCategory.SERIOUS_DISHONESTY)
NOTICES_DIR = REPO_ROOT / "config" / "notices"
_COMMITMENT_FILE = re.compile(r"^credit_commitment\.(v(\d+))\.md$")


@dataclass(frozen=True)
class Commitment:
    version: str
    template: str

    def render(self, *, platform_name: str, hotline: str) -> str:
        return self.template.replace("{platform_name}", platform_name).replace("{hotline}", hotline)


def commitment_versions(directory: Path | None = None) -> dict[str, Commitment]:
    """Every version on disk, oldest first."""
    directory = directory or NOTICES_DIR
    found: list[tuple[int, Commitment]] = []
    for path in directory.glob("credit_commitment.v*.md"):
        if match := _COMMITMENT_FILE.match(path.name):
            text = path.read_text(encoding="utf-8").strip()
            found.append((int(match.group(2)), Commitment(match.group(1), text)))
    return {c.version: c for _, c in sorted(found, key=lambda item: item[0])}


def current_commitment(directory: Path | None = None) -> Commitment:
    """The newest version: the one shown to users and the only one accepted."""
    versions = commitment_versions(directory)
    if not versions:
        raise RuntimeError(
            f"信用承诺书文本缺失：{directory or NOTICES_DIR}/credit_commitment.v1.md"
        )
    return list(versions.values())[-1]


def _date_cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def check_repairable(record_category: str, repairable_after: date | None, today: date) -> None:
    """Raises unless a record of this kind may be repaired on `today`."""
    if record_category not in {c.value for c in REPAIRABLE_CATEGORIES}:
        raise AppError(
            "not_repairable",
            f"信用修复只适用于行政处罚和严重失信名单记录，这条“{record_category}”记录不能申请修复。"
            "如果记录有误，可以提出异议申诉。",
            422,
            fields=["record_id"],
        )
    if repairable_after is None:
        raise AppError(
            "not_repairable",
            "这条记录没有可修复日期信息，暂不能在线申请信用修复，请拨打服务热线咨询。",
            422,
            fields=["record_id"],
        )
    if today < repairable_after:
        raise AppError(
            "repair_not_yet",
            f"这条记录的最短公示期还没有届满，{_date_cn(repairable_after)}（含当天）起"
            "才能申请信用修复。到时候再来找我办理就可以。",
            409,
            fields=["record_id"],
        )


def _check_input(data: RepairCreate, commitment: Commitment) -> None:
    if not data.commitment_accepted:
        raise AppError(
            "commitment_not_accepted",
            "申请信用修复需要您阅读并确认信用承诺书。确认后请再提交。",
            422,
            fields=["commitment_accepted"],
        )
    if data.commitment_version != commitment.version:
        known = commitment_versions()
        if data.commitment_version in known:
            raise AppError(
                "commitment_outdated",
                "信用承诺书已经更新，请阅读新版承诺书并重新确认后再提交。",
                409,
                fields=["commitment_version"],
            )
        raise AppError(
            "commitment_version_unknown",
            "信用承诺书版本不正确，请重新获取承诺书并确认。",
            422,
            fields=["commitment_version"],
        )
    # A written account of the rectification counts as proof while a channel cannot take images
    # yet; the certifying authority checks it like a photo of the receipt.
    if not data.proof and not data.proof_description:
        raise AppError(
            "proof_required",
            "申请信用修复需要整改证明：罚款缴纳凭证、整改报告的照片，或整改情况的文字说明。",
            422,
            fields=["proof"],
        )


def apply_repair(
    session: Session,
    enterprise_id: int,
    chat_user: ChatUserLike,
    data: RepairCreate,
    *,
    idempotency_key: str | None,
    now: datetime,
    today: date | None = None,
) -> tuple[int, dict[str, Any]]:
    """Returns (201, reply) for a new ticket, (200, reply) for the open one. Commits."""
    today = today or china_date(now)
    commitment = current_commitment()
    payload = chat_request(chat_user, data, enterprise_id=enterprise_id)

    def create() -> tuple[int, dict[str, Any]]:
        enterprise = require_bound_enterprise(
            session, enterprise_id, chat_user.channel, chat_user.user_id
        )
        record = lock_record(session, data.record_id, enterprise.registry_entity_id)
        check_repairable(record.category, record.repairable_after, today)
        _check_input(data, commitment)
        require_own_evidence(session, chat_user, data.proof, field="proof")
        key = open_key(TicketKind.REPAIR, record_id=record.id)
        if (existing := find_open(session, key)) is not None:
            return created_reply(existing, created=False)
        if record.repaired_at is not None:
            raise AppError(
                "already_repaired",
                "这条记录已经完成信用修复，不需要再次申请。",
                409,
                fields=["record_id"],
            )
        user = bound_chat_user(session, chat_user.channel, chat_user.user_id)
        ticket = new_ticket(
            session,
            TicketKind.REPAIR,
            user,
            chat_user.actor,
            now,
            key=key,
            enterprise_id=enterprise.id,
            record_id=record.id,
            evidence=[p.model_dump() for p in data.proof],
            description=mask_text(data.proof_description, person_names(session, enterprise)),
            contact_phone=data.contact_phone,
            commitment_version=commitment.version,
            commitment_accepted_at=now,
        )
        ticket.record = record
        return created_reply(ticket, created=True)

    return create_once(session, scope=SCOPE, key=idempotency_key, payload=payload, create=create)
