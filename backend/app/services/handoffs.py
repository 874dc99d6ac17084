"""转人工: a hand-off ticket (RG…) with a summary of the conversation, for the hotline.

Anyone talking to the assistant may ask for a person, registered or not. The summary is masked
(ID numbers, phone numbers, and the names of the natural persons the platform knows for this
user) before it is stored. One open hand-off per chat user: asking again while one is open gets
that ticket back (200, created: false) rather than queueing the caller twice.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.masking import mask_text
from app.models import Binding, ChatUser, RegistryEntity, TicketKind
from app.models.registry import Enterprise
from app.schemas.tickets import HandoffCreate
from app.services._db import get_or_create
from app.services.enterprises import require_bound_enterprise
from app.services.idempotency import chat_request
from app.services.tickets import (
    ChatUserLike,
    create_once,
    created_reply,
    find_open,
    new_ticket,
    open_key,
)

SCOPE = "handoffs.create"
# Names a caller states about themself (“我叫王小明”, “联系人：张三”): masked like known names.
_STATED_NAME = re.compile(
    r"(?:我叫|自己叫|名叫|姓名[是为:：]?|联系人[是为:：]?)\s*([\u4e00-\u9fff·]{2,3})"
)


def _known_names(session: Session, user: ChatUser) -> tuple[str, ...]:
    """The names this user gave when binding, and the legal representatives of those
    enterprises."""
    rows = session.execute(
        select(Binding.person_name, RegistryEntity.legal_representative)
        .join(Enterprise, Enterprise.id == Binding.enterprise_id)
        .join(RegistryEntity, RegistryEntity.id == Enterprise.registry_entity_id)
        .where(Binding.chat_user_id == user.id)
    ).all()
    return tuple(name for row in rows for name in row)


def mask_summary(summary: str, known_names: tuple[str, ...] = ()) -> str:
    stated = tuple(_STATED_NAME.findall(summary))
    return mask_text(summary, (*known_names, *stated))


def request_handoff(
    session: Session,
    chat_user: ChatUserLike,
    data: HandoffCreate,
    *,
    idempotency_key: str | None,
    now: datetime,
) -> tuple[int, dict[str, Any]]:
    """Returns (201, reply) for a new ticket, (200, reply) for the open one. Commits."""
    payload = chat_request(chat_user, data)

    def create() -> tuple[int, dict[str, Any]]:
        enterprise_id = None
        if data.enterprise_id is not None:
            enterprise_id = require_bound_enterprise(
                session, data.enterprise_id, chat_user.channel, chat_user.user_id
            ).id
        user, _ = get_or_create(
            session, ChatUser, {"channel": chat_user.channel, "external_user_id": chat_user.user_id}
        )
        key = open_key(TicketKind.HANDOFF, user_id=user.id)
        if (existing := find_open(session, key)) is not None:
            return created_reply(existing, created=False)
        ticket = new_ticket(
            session,
            TicketKind.HANDOFF,
            user,
            chat_user.actor,
            now,
            key=key,
            enterprise_id=enterprise_id,
            description=mask_summary(data.summary, _known_names(session, user)),
            contact_phone=data.contact_phone,
        )
        return created_reply(ticket, created=True)

    return create_once(session, scope=SCOPE, key=idempotency_key, payload=payload, create=create)
