"""The full self-check report on an H5 page, behind a short-lived signed link.

The chat shows a summary and one category at a time; the whole report (every category with its
records) is a page. The link is made for one binding (a chat user and an enterprise they are
bound to) and signed with REPORT_LINK_SECRET; it expires after REPORT_LINK_MINUTES. It names the
binding by its number only, so no openid or user id ends up in a URL, a browser history or an
access log. Opening it reads as that chat user would in the chat, with the same audit rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.enums import CreditCategory
from app.errors import AppError
from app.models import Binding, ChatUser, Enterprise
from app.schemas.credit import RecordPublic, record_public
from app.services.audit import Actor
from app.services.credit import SelfCheck, category_records, self_check
from app.services.enterprises import not_bound

PURPOSE = "credit_report"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class ReportLink:
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class CreditReport:
    check: SelfCheck
    records: dict[CreditCategory, list[RecordPublic]]
    expires_at: datetime


def issue_report_link(
    session: Session,
    settings: Settings,
    enterprise_id: int,
    channel: str,
    user_id: str,
    now: datetime,
) -> ReportLink:
    binding_id = session.scalar(
        select(Binding.id)
        .join(ChatUser, ChatUser.id == Binding.chat_user_id)
        .where(
            Binding.enterprise_id == enterprise_id,
            ChatUser.channel == channel,
            ChatUser.external_user_id == user_id,
        )
    )
    if binding_id is None:
        raise not_bound()
    expires_at = now + timedelta(minutes=settings.report_link_minutes)
    token = jwt.encode(
        {"p": PURPOSE, "b": binding_id, "e": enterprise_id, "exp": int(expires_at.timestamp())},
        settings.report_link_secret,
        algorithm=ALGORITHM,
    )
    return ReportLink(f"{settings.public_base_url}/chat/report/{token}", expires_at)


def link_expired() -> AppError:
    return AppError(
        "report_link_expired", "报告链接已过期。请回到对话中说“信用自查”，获取新的链接。", 410
    )


def link_invalid() -> AppError:
    return AppError(
        "report_link_invalid", "报告链接无效。请回到对话中说“信用自查”，获取新的链接。", 403
    )


def open_report(session: Session, settings: Settings, token: str, now: datetime) -> CreditReport:
    try:
        # The expiry is checked against the request's clock below (tests set it), not here.
        claims = jwt.decode(
            token,
            settings.report_link_secret,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "p", "b", "e"], "verify_exp": False},
        )
    except jwt.InvalidTokenError:
        raise link_invalid() from None
    if claims["p"] != PURPOSE or not all(isinstance(claims[k], int) for k in ("b", "e", "exp")):
        raise link_invalid()
    expires_at = datetime.fromtimestamp(claims["exp"], UTC)
    if now >= expires_at:
        raise link_expired()
    binding = session.get(Binding, claims["b"])
    # A binding removed since the link was made takes the link's right with it.
    if binding is None or binding.enterprise_id != claims["e"]:
        raise not_bound()
    chat_user = binding.chat_user
    check = self_check(
        session, binding.enterprise_id, chat_user.channel, chat_user.external_user_id
    )
    enterprise = session.get_one(Enterprise, binding.enterprise_id)
    actor = Actor.chat_user(chat_user.channel, chat_user.external_user_id)
    records: dict[CreditCategory, list[RecordPublic]] = {}
    for count in check.counts:
        if count.count:
            found, names = category_records(session, enterprise, count.category, actor)
            records[count.category] = [record_public(r, names) for r in found]
    return CreditReport(check, records, expires_at)
