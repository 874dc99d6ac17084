"""推广活动 (政银企对接会, on-site promotion): staff create an event and get a short code for its
QR code; registrations started from it carry it; the live page counts what came of it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import AppError
from app.models import Application, Authorization, Binding, Event, Registration, StaffUser
from app.services._clock import as_utc
from app.services.audit import Actor, record_access

log = structlog.get_logger(__name__)

# Lower-case letters and digits without the look-alikes (0/o, 1/l/i): short, URL-safe, and easy
# to read out on site. 31**8 ≈ 8.5e11 codes.
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CODE_LENGTH = 8
LIST_LIMIT = 200


def new_event_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_event_code(code: str) -> str:
    return code.strip().lower()


def event_not_found() -> AppError:
    return AppError(
        "event_not_found",
        "没有找到这个推广活动，请确认扫的二维码或打开的链接是否正确；也可以直接办理实名注册。",
        404,
        fields=["event_code"],
    )


def find_event(session: Session, code: str) -> Event:
    event = session.scalars(select(Event).where(Event.code == normalize_event_code(code))).first()
    if event is None:
        raise event_not_found()
    return event


def get_event(session: Session, event_id: int) -> Event:
    event = session.get(Event, event_id)
    if event is None:
        raise AppError("event_not_found", "没有找到这个推广活动。", 404)
    return event


def create_event(
    session: Session,
    *,
    staff: StaffUser,
    name: str,
    place: str,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
) -> Event:
    starts_at, ends_at = as_utc(starts_at), as_utc(ends_at)
    if ends_at <= starts_at:
        raise AppError(
            "event_time_invalid",
            "活动结束时间必须晚于开始时间，请重新填写。",
            422,
            fields=["starts_at", "ends_at"],
        )
    for _ in range(5):
        try:
            with session.begin_nested():
                event = Event(
                    code=new_event_code(),
                    name=name,
                    place=place,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    created_by_id=staff.id,
                    created_at=as_utc(now),
                )
                session.add(event)
            break
        except IntegrityError:  # the random code is taken: draw another
            continue
    else:  # pragma: no cover - 5 collisions in 8.5e11 codes
        raise AppError("event_code_unavailable", "活动码生成失败，请稍后重试。", 503)
    session.commit()
    log.info("event.created", event_id=event.id, staff_user_id=staff.id)
    return event


def list_events(session: Session) -> list[Event]:
    return list(
        session.scalars(
            select(Event).order_by(Event.starts_at.desc(), Event.id.desc()).limit(LIST_LIMIT)
        )
    )


@dataclass(frozen=True)
class EventStats:
    registrations: int
    enterprises: int
    authorizations: int
    applications: int
    last_registered_at: datetime | None


def event_stats(session: Session, event: Event) -> EventStats:
    """Registrations through the event, the enterprises they bound, and the authorizations and
    applications those enterprises made from their first registration through the event on."""
    registrations, last = session.execute(
        select(func.count(Registration.id), func.max(Registration.created_at)).where(
            Registration.event_id == event.id
        )
    ).one()
    # Per enterprise: when it first registered through this event.
    first = (
        select(
            Binding.enterprise_id.label("enterprise_id"),
            func.min(Registration.created_at).label("since"),
        )
        .join(Binding, Binding.id == Registration.binding_id)
        .where(Registration.event_id == event.id)
        .group_by(Binding.enterprise_id)
        .subquery()
    )
    enterprises = session.scalar(select(func.count()).select_from(first)) or 0
    authorizations = (
        session.scalar(
            select(func.count(Authorization.id))
            .join(first, first.c.enterprise_id == Authorization.enterprise_id)
            .where(Authorization.granted_at >= first.c.since)
        )
        or 0
    )
    applications = (
        session.scalar(
            select(func.count(Application.id))
            .join(first, first.c.enterprise_id == Application.enterprise_id)
            .where(Application.created_at >= first.c.since)
        )
        or 0
    )
    return EventStats(
        registrations=registrations or 0,
        enterprises=enterprises,
        authorizations=authorizations,
        applications=applications,
        last_registered_at=as_utc(last) if last is not None else None,
    )


def read_event_registrations(
    session: Session, event: Event, *, actor: Actor, limit: int = 500
) -> list[Registration]:
    """The registrations of the event, newest first. They hold personal data (names, phones), so
    the read is audited in its own transaction; the caller masks what it shows."""
    registrations = list(
        session.scalars(
            select(Registration)
            .where(Registration.event_id == event.id)
            .order_by(Registration.created_at.desc(), Registration.id.desc())
            .limit(limit)
        )
    )
    record_access(
        session,
        actor,
        action="read_event_registrations",
        subject_type="event",
        subject_id=event.id,
        purpose="推广活动注册名单查看",
        details={"count": len(registrations)},
    )
    session.commit()
    return registrations
