"""实名注册 as one step: the SMS code proves the phone, the registry check proves the enterprise,
then the chat user is bound — attributed to the promotion event the registration came from.

A repeated delivery (same Idempotency-Key) replays the first reply, even when it arrives while the
first is still running; registering again later answers the existing binding, never a duplicate.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.masking import mask_phone
from app.models import Event, Registration
from app.schemas import BoundEnterprisePublic
from app.schemas.registration import EventBrief, RegistrationCreate, RegistrationPublic
from app.services import events as events_service
from app.services import sms
from app.services._clock import as_utc
from app.services.bindings import BindingClaim, bind_enterprise
from app.services.idempotency import run_once

SCOPE = "registrations.create"


def register(
    session: Session,
    *,
    channel: str,
    user_id: str,
    data: RegistrationCreate,
    idempotency_key: str | None,
    now: datetime,
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, reply): 201 for a new binding, 200 for an existing one. Commits."""
    payload = {"channel": channel, "user_id": user_id, **data.model_dump(mode="json")}

    def create() -> tuple[int, dict[str, Any]]:
        return _create(session, channel=channel, user_id=user_id, data=data, now=as_utc(now))

    try:
        return run_once(session, scope=SCOPE, key=idempotency_key, payload=payload, create=create)
    except sms.SmsCodeRejected as rejected:
        session.rollback()
        error = rejected.settle(session)
        if idempotency_key is not None:
            # A concurrent delivery of this same request may have used the code and committed:
            # then its reply is the answer to this one too.
            def refuse() -> tuple[int, dict[str, Any]]:
                raise error

            return run_once(
                session, scope=SCOPE, key=idempotency_key, payload=payload, create=refuse
            )
        raise error from None
    except Exception:
        # A refusal (registry mismatch, unknown event …) leaves nothing behind: not the code
        # marked used, not a half-made enterprise.
        session.rollback()
        raise


def _create(
    session: Session, *, channel: str, user_id: str, data: RegistrationCreate, now: datetime
) -> tuple[int, dict[str, Any]]:
    event = events_service.find_event(session, data.event_code) if data.event_code else None
    sms.verify_code(
        session, phone=data.phone, code=data.sms_code, channel=channel, user_id=user_id, now=now
    )
    outcome = bind_enterprise(
        session,
        channel=channel,
        user_id=user_id,
        claim=BindingClaim(
            uscc=data.uscc,
            enterprise_name=data.enterprise_name,
            person_name=data.person_name,
            role=data.role,
        ),
    )
    if outcome.created:
        registration: Registration | None = Registration(
            binding_id=outcome.binding.id,
            event_id=event.id if event else None,
            phone=data.phone,
            created_at=now,
        )
        session.add(registration)
        session.flush()
    else:
        registration = session.scalars(
            select(Registration).where(Registration.binding_id == outcome.binding.id)
        ).first()

    ent = outcome.enterprise
    reply = RegistrationPublic(
        created=outcome.created,
        enterprise=BoundEnterprisePublic(
            id=ent.id,
            name=ent.name,
            uscc=ent.uscc,
            is_individual_business=ent.is_individual_business,
            role=outcome.role,
        ),
        phone=mask_phone(registration.phone) if registration else None,
        event=_event_brief(session, registration),
        registered_at=as_utc(
            registration.created_at if registration else outcome.binding.created_at
        ),
    )
    return (201 if outcome.created else 200), reply.model_dump(mode="json")


def _event_brief(session: Session, registration: Registration | None) -> EventBrief | None:
    if registration is None or registration.event_id is None:
        return None
    event = session.get(Event, registration.event_id)
    return EventBrief(code=event.code, name=event.name) if event else None
