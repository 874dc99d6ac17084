"""异议申诉: a bound user disputes one of the enterprise's credit records.

The ticket is created in 已提交, the record shows 异议处理中, and the platform has until the
forwarding deadline — 2 working days after the day of submission (app.services.working_days) — to
forward it to the provincial node. One open objection per record: a second one, from any user of
the enterprise and under any idempotency key, gets the open ticket back (200, created: false).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.enums import RecordStatus
from app.masking import mask_text
from app.models import Binding, ChatUser, Enterprise, RegistryEntity, TicketKind
from app.schemas.tickets import ObjectionCreate
from app.services.enterprises import require_bound_enterprise
from app.services.evidence import require_own_evidence
from app.services.idempotency import chat_request
from app.services.tickets import (
    ChatUserLike,
    create_once,
    created_reply,
    find_open,
    lock_record,
    new_ticket,
    open_key,
)
from app.services.working_days import forwarding_deadline

SCOPE = "objections.create"


def bound_chat_user(session: Session, channel: str, user_id: str) -> ChatUser:
    """The ChatUser row of a user already known to be bound to an enterprise."""
    return session.scalars(
        select(ChatUser).where(ChatUser.channel == channel, ChatUser.external_user_id == user_id)
    ).one()


def person_names(session: Session, enterprise: Enterprise) -> tuple[str, ...]:
    """Natural persons' names the enterprise's free text may contain: the legal representative and
    everyone bound to it. They are masked before the text is stored."""
    entity = session.get_one(RegistryEntity, enterprise.registry_entity_id)
    bound = session.scalars(
        select(Binding.person_name).where(Binding.enterprise_id == enterprise.id)
    ).all()
    return (entity.legal_representative, *bound)


def file_objection(
    session: Session,
    enterprise_id: int,
    chat_user: ChatUserLike,
    data: ObjectionCreate,
    *,
    idempotency_key: str | None,
    now: datetime,
) -> tuple[int, dict[str, Any]]:
    """Returns (201, reply) for a new ticket, (200, reply) for the open one. Commits."""
    payload = chat_request(chat_user, data, enterprise_id=enterprise_id)

    def create() -> tuple[int, dict[str, Any]]:
        enterprise = require_bound_enterprise(
            session, enterprise_id, chat_user.channel, chat_user.user_id
        )
        record = lock_record(session, data.record_id, enterprise.registry_entity_id)
        require_own_evidence(session, chat_user, data.evidence, field="evidence")
        key = open_key(TicketKind.OBJECTION, record_id=record.id)
        if (existing := find_open(session, key)) is not None:
            return created_reply(existing, created=False)
        deadline = forwarding_deadline(now)  # before any write: an unknown year refuses cleanly
        user = bound_chat_user(session, chat_user.channel, chat_user.user_id)
        ticket = new_ticket(
            session,
            TicketKind.OBJECTION,
            user,
            chat_user.actor,
            now,
            key=key,
            enterprise_id=enterprise.id,
            record_id=record.id,
            reason=data.reason.value,
            description=mask_text(data.description, person_names(session, enterprise)),
            evidence=[e.model_dump() for e in data.evidence],
            contact_phone=data.contact_phone,
            forward_deadline=deadline,
        )
        ticket.record = record
        record.status = RecordStatus.DISPUTED.value
        return created_reply(ticket, created=True)

    return create_once(session, scope=SCOPE, key=idempotency_key, payload=payload, create=create)
