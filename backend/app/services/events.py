"""推广活动 (政银企对接会, on-site promotion): staff create an event and get a short code for its
QR code; registrations started from it carry it; the live page counts what came of it."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import segno
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


# --- the event's QR codes ------------------------------------------------------------------------

# WeChat keeps a temporary QR code for at most 30 days; one made for an event lasts until a day
# after it ends, so late scans of the printed code still register (attributed to it).
WECHAT_QR_MAX_SECONDS = 30 * 24 * 3600
WECHAT_QR_GRACE = timedelta(days=1)
QR_SCALE = 8


def h5_link(event: Event, public_base_url: str) -> str:
    """The city-app H5 chat opened for this event: registration starts attributed to it."""
    return f"{public_base_url}/chat?event={event.code}"


def wechat_scene(event: Event) -> str:
    """The QR scene the WeChat channel reads as "start registration for this event"."""
    return f"event_{event.code}"


def qr_png(text: str) -> bytes:
    """A QR code of `text` as a PNG (quiet zone included), big enough to print on a poster."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=QR_SCALE, border=4)
    return buffer.getvalue()


@dataclass(frozen=True)
class WeChatQrCode:
    url: str
    ticket: str
    expires_at: datetime


def wechat_not_configured() -> AppError:
    return AppError(
        "wechat_not_configured",
        "本平台尚未接入微信公众号，暂不能生成微信二维码；请使用 H5 链接二维码。",
        409,
    )


def create_wechat_qrcode(
    event: Event, *, qrcode_url: str, service_token: str, now: datetime
) -> WeChatQrCode:
    """A temporary WeChat QR code with the event's scene, made through the Rasa WeChat channel
    (it holds the Official Account's access_token; a second holder would invalidate it)."""
    if not qrcode_url:
        raise wechat_not_configured()
    ends_at = as_utc(event.ends_at)
    if ends_at + WECHAT_QR_GRACE <= as_utc(now):
        raise AppError("event_ended", "活动已经结束，不再生成微信二维码。", 409)
    seconds = int((ends_at + WECHAT_QR_GRACE - as_utc(now)).total_seconds())
    seconds = max(60, min(seconds, WECHAT_QR_MAX_SECONDS))
    unavailable = AppError(
        "wechat_unavailable",
        "暂时无法从微信生成二维码，请稍后再试；H5 链接二维码可以照常使用。",
        502,
    )
    try:
        reply = httpx.post(
            qrcode_url,
            json={"event_code": event.code, "expire_seconds": seconds},
            headers={"Authorization": f"Bearer {service_token}"},
            timeout=10,
        )
    except httpx.HTTPError as error:
        log.warning("event.wechat_qrcode_failed", event_id=event.id, error=type(error).__name__)
        raise unavailable from error
    if reply.status_code == 503:  # the channel runs without an Official Account
        raise wechat_not_configured()
    data = (
        reply.json() if reply.headers.get("content-type", "").startswith("application/json") else {}
    )
    if reply.status_code != 200 or not data.get("url") or not data.get("ticket"):
        log.warning("event.wechat_qrcode_failed", event_id=event.id, status=reply.status_code)
        raise unavailable
    expires_in = int(data.get("expire_seconds") or seconds)
    return WeChatQrCode(
        url=str(data["url"]),
        ticket=str(data["ticket"]),
        expires_at=as_utc(now) + timedelta(seconds=expires_in),
    )
