"""What objection, repair and hand-off tickets share: numbers, the status machine, history,
ownership, and the reply shape.

Status machine (objections and repairs):
    已提交 → 已转交 → 核查中 → 已更正 / 维持原记录 → 已告知
Hand-offs:
    已提交 → 处理中 → 已办结 (or 已提交 → 已办结 when staff settle it at once)

A ticket is *open* until its outcome (已更正 / 维持原记录, or 已办结 for a hand-off): that is when
`closed_at` is set, `open_key` is cleared (so the record can take a new objection), and for an
objection the record's status returns to 正常. 已告知 is the formal written reply that follows the
outcome; it does not reopen anything.

Effects of an outcome on the credit record:
    objection 已更正 → record.corrected_at is set (the provider's corrected data replaces it on the
                      next sync; the platform shows that the dispute was upheld meanwhile);
    repair 已更正    → record.repaired_at is set (repair granted);
    维持原记录       → the record is left as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from app.enums import RecordStatus
from app.errors import AppError
from app.masking import mask_phone, mask_text
from app.models import ChatUser, CreditRecord, Ticket, TicketEvent, TicketKind, TicketSequence
from app.models.tickets import TicketStatus
from app.schemas.tickets import (
    EvidenceRef,
    RecordBrief,
    TicketCreated,
    TicketEventPublic,
    TicketPublic,
    TicketSummary,
)
from app.services._clock import as_utc
from app.services.audit import Actor, record_access
from app.services.idempotency import run_once
from app.services.notifications import add_notification
from app.services.working_days import china_date

S = TicketStatus

TRANSITIONS: dict[TicketKind, dict[TicketStatus, tuple[TicketStatus, ...]]] = {
    TicketKind.OBJECTION: {
        S.SUBMITTED: (S.FORWARDED,),
        S.FORWARDED: (S.VERIFYING,),
        S.VERIFYING: (S.CORRECTED, S.UPHELD),
        S.CORRECTED: (S.NOTIFIED,),
        S.UPHELD: (S.NOTIFIED,),
        S.NOTIFIED: (),
    },
    TicketKind.HANDOFF: {
        S.SUBMITTED: (S.HANDLING, S.RESOLVED),
        S.HANDLING: (S.RESOLVED,),
        S.RESOLVED: (),
    },
}
TRANSITIONS[TicketKind.REPAIR] = TRANSITIONS[TicketKind.OBJECTION]

# Reaching one of these closes the ticket.
OUTCOMES: frozenset[TicketStatus] = frozenset({S.CORRECTED, S.UPHELD, S.RESOLVED})

ACTOR_LABELS = {"chat_user": "本人", "staff": "平台工作人员"}

CREATE_ATTEMPTS = 3


class ChatUserLike(Protocol):
    """The acting chat user as routes know it (app.api.deps.ChatUserRef)."""

    @property
    def channel(self) -> str: ...

    @property
    def user_id(self) -> str: ...

    @property
    def actor(self) -> Actor: ...


def open_key(kind: TicketKind, *, record_id: int | None = None, user_id: int | None = None) -> str:
    if record_id is not None:
        return f"{kind.prefix}:record:{record_id}"
    return f"{kind.prefix}:user:{user_id}"


def find_open(session: Session, key: str) -> Ticket | None:
    return session.scalars(select(Ticket).where(Ticket.open_key == key)).first()


def next_number(session: Session, kind: TicketKind, now: datetime) -> str:
    """`YY20250930` + a 4-digit sequence per prefix and China calendar day (5 digits after 9999).

    The increment is an UPDATE of the day's row, which the database serialises with a row lock
    (PostgreSQL) or the single writer (SQLite), so two concurrent creates never share a number.
    The first ticket of a day inserts the row; a concurrent first insert loses on the unique
    (prefix, day) key inside a savepoint and increments instead."""
    day = china_date(now)
    prefix = kind.prefix
    bump = (
        update(TicketSequence)
        .where(TicketSequence.prefix == prefix, TicketSequence.day == day)
        .values(last_value=TicketSequence.last_value + 1)
        .returning(TicketSequence.last_value)
    )
    value = session.execute(bump).scalar()
    if value is None:
        try:
            with session.begin_nested():
                session.add(TicketSequence(prefix=prefix, day=day, last_value=1))
            value = 1
        except IntegrityError:
            value = session.execute(bump).scalar_one()
    return f"{prefix}{day:%Y%m%d}{value:04d}"


def new_ticket(
    session: Session,
    kind: TicketKind,
    chat_user: ChatUser,
    actor: Actor,
    now: datetime,
    *,
    key: str,
    **fields: Any,
) -> Ticket:
    """Adds a ticket in 已提交 with its first history row. Does not commit."""
    ticket = Ticket(
        number=next_number(session, kind, now),
        kind=kind.value,
        status=S.SUBMITTED.value,
        chat_user_id=chat_user.id,
        open_key=key,
        created_at=now,
        updated_at=now,
        **fields,
    )
    ticket.chat_user = chat_user
    session.add(ticket)
    session.add(
        TicketEvent(
            ticket=ticket,
            from_status=None,
            to_status=S.SUBMITTED.value,
            at=now,
            actor_type=actor.type,
            actor_id=actor.id,
        )
    )
    session.flush()
    return ticket


def create_once(
    session: Session,
    *,
    scope: str,
    key: str | None,
    payload: Any,
    create: Callable[[], tuple[int, dict[str, Any]]],
) -> tuple[int, dict[str, Any]]:
    """run_once, and when no idempotency key came, the same retry on a lost race: the natural
    unique key (one open ticket per record) then decides, and the retry finds the winner's
    ticket instead of failing."""
    for attempt in range(CREATE_ATTEMPTS):
        try:
            return run_once(session, scope=scope, key=key, payload=payload, create=create)
        except (IntegrityError, OperationalError):
            session.rollback()
            if attempt == CREATE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def created_reply(ticket: Ticket, created: bool) -> tuple[int, dict[str, Any]]:
    body = TicketCreated(created=created, ticket=ticket_public(ticket))
    return (201 if created else 200), body.model_dump(mode="json")


def lock_record(session: Session, record_id: int, registry_entity_id: int) -> CreditRecord:
    """The enterprise's record, row-locked so concurrent objections on it queue up. A record of
    another enterprise answers like one that does not exist."""
    record = session.scalars(
        select(CreditRecord)
        .where(
            CreditRecord.id == record_id,
            CreditRecord.registry_entity_id == registry_entity_id,
        )
        .with_for_update()
    ).first()
    if record is None:
        raise AppError(
            "record_not_found",
            "没有找到这条信用记录。请从信用自查结果中选择，或描述一下是哪条记录，我帮您查找。",
            404,
            fields=["record_id"],
        )
    return record


# ---------------------------------------------------------------------------- status changes


def allowed_next(ticket: Ticket) -> tuple[TicketStatus, ...]:
    return TRANSITIONS[TicketKind(ticket.kind)][TicketStatus(ticket.status)]


def move(
    session: Session,
    ticket: Ticket,
    to_status: TicketStatus,
    *,
    actor: Actor,
    now: datetime,
    hotline: str,
    note: str | None = None,
) -> TicketEvent:
    """One step of the status machine, with its history row, its effect on the credit record and
    the notification to the user. Does not commit."""
    allowed = allowed_next(ticket)
    if to_status not in allowed:
        options = "、".join(allowed) if allowed else "无（工单已办结）"
        raise AppError(
            "invalid_transition",
            f"工单 {ticket.number} 当前状态为“{ticket.status}”，不能改为“{to_status}”。"
            f"可改为：{options}。",
            409,
            fields=["status"],
        )
    kind = TicketKind(ticket.kind)
    from_status = ticket.status
    ticket.status = to_status.value
    ticket.updated_at = now
    if to_status in OUTCOMES:
        ticket.closed_at = now
        ticket.open_key = None
        _apply_outcome(session, ticket, kind, to_status, now)
    event = TicketEvent(
        ticket=ticket,
        from_status=from_status,
        to_status=to_status.value,
        at=now,
        actor_type=actor.type,
        actor_id=actor.id,
        note=mask_text(note) if note else None,
    )
    session.add(event)
    session.flush()
    add_notification(session, ticket, event, hotline=hotline)
    return event


def _apply_outcome(
    session: Session, ticket: Ticket, kind: TicketKind, outcome: TicketStatus, now: datetime
) -> None:
    if ticket.record_id is None:
        return
    record = session.get_one(CreditRecord, ticket.record_id, with_for_update=True)
    if kind is TicketKind.OBJECTION:
        record.status = RecordStatus.NORMAL.value
        if outcome is S.CORRECTED:
            record.corrected_at = now
    elif kind is TicketKind.REPAIR and outcome is S.CORRECTED:
        record.repaired_at = now


def change_status(
    session: Session,
    number: str,
    to_status: TicketStatus,
    *,
    staff_username: str,
    note: str | None,
    now: datetime,
    hotline: str,
) -> Ticket:
    """A staff member moves a ticket one step; the ticket row is locked so two consoles cannot
    both move it from the same status. Audited. Commits."""
    ticket = get_ticket_by_number(session, number, for_update=True)
    actor = Actor.staff(staff_username)
    from_status = ticket.status
    move(session, ticket, to_status, actor=actor, now=now, hotline=hotline, note=note)
    record_access(
        session,
        actor,
        action="ticket_status_change",
        subject_type="ticket",
        subject_id=ticket.number,
        purpose=f"{ticket.kind}工单办理",
        details={"from": from_status, "to": to_status.value},
    )
    session.commit()
    return ticket


# ---------------------------------------------------------------------------- reading


NOT_FOUND_MESSAGE = "没有找到这个工单号。请核对工单号（如 YY202509300001），或查看“我的工单”。"


def _normalize_number(number: str) -> str:
    return "".join(number.split()).upper()


def get_ticket_by_number(session: Session, number: str, *, for_update: bool = False) -> Ticket:
    stmt = select(Ticket).where(Ticket.number == _normalize_number(number))
    if for_update:
        stmt = stmt.with_for_update()
    ticket = session.scalars(stmt).first()
    if ticket is None:
        raise AppError("ticket_not_found", NOT_FOUND_MESSAGE, 404)
    return ticket


def get_owned_ticket(session: Session, number: str, channel: str, user_id: str) -> Ticket:
    """The ticket if this chat user filed it; a foreign number answers like a missing one."""
    ticket = session.scalars(
        select(Ticket)
        .join(ChatUser, ChatUser.id == Ticket.chat_user_id)
        .where(
            Ticket.number == _normalize_number(number),
            ChatUser.channel == channel,
            ChatUser.external_user_id == user_id,
        )
    ).first()
    if ticket is None:
        raise AppError("ticket_not_found", NOT_FOUND_MESSAGE, 404)
    return ticket


def list_user_tickets(session: Session, channel: str, user_id: str) -> list[Ticket]:
    """Open tickets first, then the rest; newest first within each."""
    stmt = (
        select(Ticket)
        .join(ChatUser, ChatUser.id == Ticket.chat_user_id)
        .where(ChatUser.channel == channel, ChatUser.external_user_id == user_id)
        .order_by(
            case((Ticket.closed_at.is_(None), 0), else_=1),
            Ticket.created_at.desc(),
            Ticket.id.desc(),
        )
    )
    return list(session.scalars(stmt))


def _record_brief(record: CreditRecord | None) -> RecordBrief | None:
    if record is None:
        return None
    return RecordBrief(
        id=record.id,
        category=record.category,
        title=mask_text(record.title),
        decided_on=record.decided_on,
        status=record.status,
    )


def ticket_summary(ticket: Ticket) -> TicketSummary:
    return TicketSummary(
        number=ticket.number,
        kind=TicketKind(ticket.kind),
        status=TicketStatus(ticket.status),
        open=ticket.closed_at is None,
        enterprise_id=ticket.enterprise_id,
        record=_record_brief(ticket.record),
        forward_deadline=ticket.forward_deadline,
        created_at=as_utc(ticket.created_at),
        updated_at=as_utc(ticket.updated_at),
        closed_at=as_utc(ticket.closed_at) if ticket.closed_at else None,
    )


def ticket_public(ticket: Ticket) -> TicketPublic:
    return TicketPublic(
        **ticket_summary(ticket).model_dump(),
        reason=ticket.reason,
        description=mask_text(ticket.description),
        # Tickets filed before evidence files existed (migration 0007) may hold WeChat media ids;
        # WeChat deleted those media after three days, so there is nothing left to point at.
        evidence=[
            EvidenceRef.model_validate(e) for e in ticket.evidence if e.get("type") == "upload"
        ],
        contact_phone=mask_phone(ticket.contact_phone) if ticket.contact_phone else None,
        commitment_version=ticket.commitment_version,
        history=[
            TicketEventPublic(
                from_status=event.from_status,
                to_status=event.to_status,
                at=as_utc(event.at),
                by=ACTOR_LABELS.get(event.actor_type, "系统"),
                note=mask_text(event.note) if event.note else None,
            )
            for event in sorted(ticket.events, key=lambda e: e.id)
        ],
    )
