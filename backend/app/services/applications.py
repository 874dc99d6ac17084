"""产品申请: applying for a credit product and the institution moving it along.

Rules: a live authorization must cover the product's institution (the bank may then read the
enterprise's non-public data; without it the bot offers the authorization inline); amount and
term lie within the product's ranges; one active application per product per enterprise (a
second request answers with the existing one); numbers are SQ + yyyymmdd (China time) + a 4-digit
daily sequence. Status: 已提交 → 机构受理 → 已审批 / 未通过, and 已放款 only after 已审批; the
institution reports 融资成效 (approved amount, rate, term, note) with the decision.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.enums import ApplicationStatus
from app.errors import AppError
from app.models import (
    Application,
    ApplicationNumberCounter,
    ApplicationStatusChange,
    Binding,
    ChatUser,
    Enterprise,
    Institution,
    Product,
)
from app.schemas.applications import ApplicationCreate, StatusChangeCreate
from app.services._clock import as_utc
from app.services.audit import Actor
from app.services.authorizations import live_authorizations
from app.services.institution_view import institution_actor
from app.services.notifications import add_application_notification
from app.services.working_days import china_date

NUMBER_PREFIX = "SQ"
MAX_DAILY_SEQUENCE = 9999
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_PHONE_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−()]+")

TRANSITIONS: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    ApplicationStatus.SUBMITTED: frozenset({ApplicationStatus.ACCEPTED}),
    ApplicationStatus.ACCEPTED: frozenset({ApplicationStatus.APPROVED, ApplicationStatus.REJECTED}),
    ApplicationStatus.APPROVED: frozenset({ApplicationStatus.DISBURSED}),
    ApplicationStatus.REJECTED: frozenset(),
    ApplicationStatus.DISBURSED: frozenset(),
}


def normalize_mobile(raw: str) -> str:
    """Full-width digits, spaces, dashes and a +86 / 0086 prefix are what people type."""
    text = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and len(text) == len(prefix) + 11:
            text = text[len(prefix) :]
            break
    if not _MOBILE.match(text):
        raise AppError(
            "phone_invalid",
            "联系电话应为11位手机号码，如 138 1234 5678，请重新输入。",
            422,
            fields=["contact_phone"],
        )
    return text


# Everything an application's reply shows, loaded with it.
_LOAD = (
    selectinload(Application.product),
    selectinload(Application.institution),
    selectinload(Application.enterprise),
    selectinload(Application.history),
)


def next_number(session: Session, now: datetime) -> str:
    """SQ + China date + the day's next sequence. The counter row's update lock makes concurrent
    creates on PostgreSQL take turns; SQLite runs one writer at a time anyway."""
    day = china_date(as_utc(now))
    bump = (
        update(ApplicationNumberCounter)
        .where(ApplicationNumberCounter.day == day)
        .values(last_value=ApplicationNumberCounter.last_value + 1)
        .returning(ApplicationNumberCounter.last_value)
        .execution_options(synchronize_session=False)
    )
    value = session.execute(bump).scalar()
    if value is None:
        try:
            with session.begin_nested():
                session.add(ApplicationNumberCounter(day=day, last_value=1))
            value = 1
        except IntegrityError:  # another create started the day at the same moment
            value = session.execute(bump).scalar_one()
    if value > MAX_DAILY_SEQUENCE:
        raise AppError("application_numbers_exhausted", "今日申请量已达上限，请明天再提交。", 503)
    return f"{NUMBER_PREFIX}{day:%Y%m%d}{value:04d}"


def _active_application(
    session: Session, enterprise_id: int, product_id: int
) -> Application | None:
    return session.scalars(
        select(Application)
        .where(
            Application.enterprise_id == enterprise_id,
            Application.product_id == product_id,
            Application.active_slot.is_(True),
        )
        .options(*_LOAD)
    ).first()


def _check_ranges(product: Product, data: ApplicationCreate) -> None:
    problems: list[tuple[str, str]] = []
    if not product.amount_min <= data.amount <= product.amount_max:
        problems.append(
            ("amount", f"申请金额应在{product.amount_min}万元至{product.amount_max}万元之间")
        )
    if not product.term_months_min <= data.term_months <= product.term_months_max:
        problems.append(
            (
                "term_months",
                f"申请期限应在{product.term_months_min}至{product.term_months_max}个月之间",
            )
        )
    if problems:
        raise AppError(
            "out_of_product_range",
            f"{product.name}的" + "；".join(text for _, text in problems) + "。",
            422,
            fields=[field for field, _ in problems],
        )


def create_application(
    session: Session,
    enterprise: Enterprise,
    channel: str,
    user_id: str,
    data: ApplicationCreate,
    *,
    now: datetime,
) -> tuple[Application, bool]:
    """(application, created). Adds rows without committing: the caller's run_once commits them
    together with the idempotency record."""
    now = as_utc(now)
    product = session.scalars(
        select(Product)
        .where(
            or_(Product.code == data.product_code, Product.name == data.product_code),
            Product.active.is_(True),
        )
        .options(selectinload(Product.institution))
    ).first()
    if product is None:
        raise AppError(
            "product_not_found",
            "没有找到这个产品，请从平台在售的产品中选择。",
            404,
            fields=["product_code"],
        )
    if (existing := _active_application(session, enterprise.id, product.id)) is not None:
        return existing, False
    phone = normalize_mobile(data.contact_phone)
    _check_ranges(product, data)
    institution = product.institution
    if not live_authorizations(session, enterprise.id, institution.code, now=now):
        raise AppError(
            "authorization_required",
            f"申请{product.name}需要先授权{institution.name}查询贵企业的信用信息。"
            "授权后即可继续申请，是否现在授权？",
            409,
        )

    chat_user = session.scalars(
        select(ChatUser).where(ChatUser.channel == channel, ChatUser.external_user_id == user_id)
    ).one()
    actor = Actor.chat_user(channel, user_id)
    application = Application(
        number=next_number(session, now),
        enterprise=enterprise,
        product=product,
        institution=institution,
        chat_user_id=chat_user.id,
        channel=channel,
        amount=data.amount,
        term_months=data.term_months,
        purpose=data.purpose,
        contact_phone=phone,
        status=ApplicationStatus.SUBMITTED.value,
        active_slot=True,
        created_at=now,
        updated_at=now,
        history=[
            ApplicationStatusChange(
                status=ApplicationStatus.SUBMITTED.value,
                at=now,
                actor_type=actor.type,
                actor_id=actor.id,
            )
        ],
    )
    try:
        with session.begin_nested():
            session.add(application)
            session.flush()
    except IntegrityError:
        # The same application was created by a concurrent delivery: answer with that one.
        existing = _active_application(session, enterprise.id, product.id)
        if existing is None:
            raise
        return existing, False
    return application, True


def list_applications(session: Session, enterprise_id: int) -> list[Application]:
    return list(
        session.scalars(
            select(Application)
            .where(Application.enterprise_id == enterprise_id)
            .order_by(Application.created_at.desc(), Application.id.desc())
            .options(*_LOAD)
        )
    )


def _not_found() -> AppError:
    return AppError(
        "application_not_found", "没有找到这笔申请，请核对申请编号（SQ 开头，共14位）。", 404
    )


def application_for_enterprise(session: Session, enterprise_id: int, number: str) -> Application:
    application = session.scalars(
        select(Application)
        .where(
            Application.number == number.strip().upper(), Application.enterprise_id == enterprise_id
        )
        .options(*_LOAD)
    ).first()
    if application is None:
        raise _not_found()
    return application


def application_for_user(session: Session, number: str, channel: str, user_id: str) -> Application:
    """An application of any enterprise this chat user is bound to; anything else is not found,
    exactly like a number that does not exist."""
    application = session.scalars(
        select(Application)
        .join(Binding, Binding.enterprise_id == Application.enterprise_id)
        .join(ChatUser, ChatUser.id == Binding.chat_user_id)
        .where(
            Application.number == number.strip().upper(),
            ChatUser.channel == channel,
            ChatUser.external_user_id == user_id,
        )
        .options(*_LOAD)
    ).first()
    if application is None:
        raise _not_found()
    return application


def application_for_institution(
    session: Session, institution: Institution, number: str
) -> Application:
    application = session.scalars(
        select(Application)
        .where(
            Application.number == number.strip().upper(),
            Application.institution_id == institution.id,
        )
        .options(*_LOAD)
    ).first()
    if application is None:
        raise _not_found()
    return application


def list_institution_applications(
    session: Session, institution: Institution, status: ApplicationStatus | None = None
) -> list[Application]:
    stmt = select(Application).where(Application.institution_id == institution.id)
    if status is not None:
        stmt = stmt.where(Application.status == status.value)
    return list(
        session.scalars(
            stmt.order_by(Application.created_at.desc(), Application.id.desc()).options(*_LOAD)
        )
    )


def change_status(
    session: Session,
    institution: Institution,
    number: str,
    data: StatusChangeCreate,
    *,
    now: datetime,
    hotline: str,
) -> Application:
    """The institution moves its own application one step along the flow, tells the applicant
    on their channel (a notification row in the same transaction), and commits."""
    now = as_utc(now)
    application = application_for_institution(session, institution, number)
    current = ApplicationStatus(application.status)
    target = data.status
    if target not in TRANSITIONS[current]:
        allowed = "、".join(s.value for s in ApplicationStatus if s in TRANSITIONS[current])
        raise AppError(
            "invalid_transition",
            f"申请当前状态为“{current.value}”，不能变更为“{target.value}”"
            + (f"（可变更为：{allowed}）。" if allowed else "（已办结）。"),
            409,
            fields=["status"],
        )
    if target is ApplicationStatus.APPROVED:
        missing = [
            field
            for field in ("approved_amount", "approved_rate", "approved_term_months")
            if getattr(data, field) is None
        ]
        if missing:
            raise AppError(
                "feedback_required",
                "审批通过时请反馈融资成效：审批金额（万元）、年化利率（%）和期限（月）。",
                422,
                fields=missing,
            )
    elif target is not ApplicationStatus.DISBURSED and any(
        getattr(data, f) is not None
        for f in ("approved_amount", "approved_rate", "approved_term_months")
    ):
        raise AppError(
            "feedback_not_applicable",
            f"“{target.value}”时不填写审批金额、利率和期限，请在审批通过或放款时反馈。",
            422,
            fields=["approved_amount", "approved_rate", "approved_term_months"],
        )

    application.status = target.value
    application.active_slot = True if target.is_active else None
    application.updated_at = now
    if data.approved_amount is not None:
        application.approved_amount = data.approved_amount
    if data.approved_rate is not None:
        application.approved_rate = data.approved_rate
    if data.approved_term_months is not None:
        application.approved_term_months = data.approved_term_months
    if data.note:
        application.feedback_note = data.note
    application.history.append(
        ApplicationStatusChange(
            status=target.value,
            at=now,
            actor_type=institution_actor(institution).type,
            actor_id=institution_actor(institution).id,
            note=data.note or None,
        )
    )
    add_application_notification(session, application, hotline=hotline, now=now)
    session.commit()
    return application
