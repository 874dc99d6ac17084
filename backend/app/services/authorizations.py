"""授权: the versioned risk notice, granting, listing and revoking an enterprise's authorization to
share its non-public data, and the question every other area asks — what does a live
authorization let this institution see?

国办发〔2021〕52号: non-public information leaves the platform only with the enterprise's
authorization, given online after real-name registration once the risks have been fully
explained (充分告知相关风险). The notice the user agreed to is recorded by version, so a changed
notice needs a fresh consent.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import REPO_ROOT
from app.enums import SERVICE_DESK_CODE, AuthorizationStatus, DataCategory
from app.errors import AppError
from app.models import Authorization, ChatUser, Enterprise, Institution
from app.schemas.authorization import AuthorizationCreate
from app.services._clock import as_utc

NOTICES_DIR = REPO_ROOT / "config" / "notices"
_NOTICE_FILE = re.compile(r"^authorization_risk_notice\.v(\d+)\.md$")
CONSENT_WORD = "同意"
ALL_INSTITUTIONS = "all"
DEFAULT_PERIOD_MONTHS = 12
MIN_PERIOD_MONTHS = 1
MAX_PERIOD_MONTHS = 36


@dataclass(frozen=True)
class Notice:
    version: str
    title: str
    text: str


def load_notices(directory: Path | None = None) -> dict[str, Notice]:
    """Every published version, oldest first. A version is a file; publishing a new notice means
    adding authorization_risk_notice.v<N+1>.md, never editing an old one."""
    return _load_notices(directory or NOTICES_DIR)


@lru_cache
def _load_notices(directory: Path) -> dict[str, Notice]:
    found: list[tuple[int, Notice]] = []
    for path in directory.glob("authorization_risk_notice.v*.md"):
        match = _NOTICE_FILE.match(path.name)
        if not match:
            continue
        text = path.read_text(encoding="utf-8").strip()
        first = text.splitlines()[0] if text else ""
        title = first.lstrip("#").strip() or "信用信息查询授权风险告知书"
        found.append((int(match.group(1)), Notice(f"v{match.group(1)}", title, text)))
    if not found:
        raise RuntimeError(f"没有找到授权风险告知书：{directory}/authorization_risk_notice.v1.md")
    return {notice.version: notice for _, notice in sorted(found, key=lambda item: item[0])}


def current_notice(directory: Path | None = None) -> Notice:
    return list(load_notices(directory).values())[-1]


def render_notice(notice: Notice, *, platform_name: str, city_name: str) -> str:
    return notice.text.replace("{platform_name}", platform_name).replace("{city_name}", city_name)


def add_months(moment: datetime, months: int) -> datetime:
    """Same day of month `months` later; the 31st becomes the month's last day when it has none."""
    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def status_of(authorization: Authorization, now: datetime) -> AuthorizationStatus:
    if authorization.revoked_at is not None:
        return AuthorizationStatus.REVOKED
    if as_utc(authorization.expires_at) <= as_utc(now):
        return AuthorizationStatus.EXPIRED
    return AuthorizationStatus.ACTIVE


def _chat_user(session: Session, channel: str, user_id: str) -> ChatUser:
    # Callers have checked the binding first, so the chat user exists.
    return session.scalars(
        select(ChatUser).where(ChatUser.channel == channel, ChatUser.external_user_id == user_id)
    ).one()


def _resolve_institutions(session: Session, requested: str | list[str]) -> tuple[bool, list[str]]:
    if isinstance(requested, str):
        if requested.strip().lower() == ALL_INSTITUTIONS:
            return True, []
        raise AppError(
            "institutions_invalid",
            "授权机构请选择“全部接入机构”（all），或列出具体机构。",
            422,
            fields=["institutions"],
        )
    codes = list(dict.fromkeys(code.strip() for code in requested))
    if not codes or any(not code for code in codes):
        raise AppError(
            "institutions_invalid", "请至少选择一家授权机构。", 422, fields=["institutions"]
        )
    known = set(session.scalars(select(Institution.code).where(Institution.code.in_(codes))))
    known.add(SERVICE_DESK_CODE)  # no institution row: the platform's own desk (models)
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise AppError(
            "institution_unknown",
            f"没有找到这些机构：{'、'.join(unknown)}。请从平台接入机构中选择。",
            422,
            fields=["institutions"],
        )
    return False, codes


def grant_authorization(
    session: Session,
    enterprise: Enterprise,
    channel: str,
    user_id: str,
    data: AuthorizationCreate,
    *,
    now: datetime,
    notices_dir: Path | None = None,
) -> Authorization:
    """Adds the authorization (flushed, not committed: the caller's run_once commits it with the
    idempotency record)."""
    now = as_utc(now)
    if data.consent != CONSENT_WORD:
        raise AppError(
            "consent_required",
            "授权需要您阅读风险告知书后明确回复“同意”。",
            422,
            fields=["consent"],
        )
    current = current_notice(notices_dir)
    if data.notice_version != current.version:
        raise AppError(
            "notice_outdated",
            f"风险告知书已更新（当前为{current.version}版），请阅读新版告知书后再确认授权。",
            409,
            fields=["notice_version"],
        )
    all_institutions, codes = _resolve_institutions(session, data.institutions)
    if not MIN_PERIOD_MONTHS <= data.period_months <= MAX_PERIOD_MONTHS:  # schema checks too
        raise AppError("period_invalid", "授权期限应为1至36个月。", 422, fields=["period_months"])
    categories = [c.value for c in dict.fromkeys(data.data_categories)]
    authorization = Authorization(
        enterprise_id=enterprise.id,
        chat_user_id=_chat_user(session, channel, user_id).id,
        channel=channel,
        notice_version=current.version,
        data_categories=categories,
        all_institutions=all_institutions,
        institution_codes=codes,
        period_months=data.period_months,
        granted_at=now,
        expires_at=add_months(now, data.period_months),
    )
    session.add(authorization)
    session.flush()
    return authorization


def list_authorizations(session: Session, enterprise_id: int) -> list[Authorization]:
    stmt = (
        select(Authorization)
        .where(Authorization.enterprise_id == enterprise_id)
        .order_by(Authorization.granted_at.desc(), Authorization.id.desc())
    )
    return list(session.scalars(stmt))


def revoke_authorization(
    session: Session,
    enterprise: Enterprise,
    authorization_id: int,
    channel: str,
    user_id: str,
    *,
    now: datetime,
) -> Authorization:
    """Revokes a live authorization; revoking it again, or revoking an expired one, changes
    nothing and answers the same. Another enterprise's authorization is not found, as is an id
    that does not exist."""
    now = as_utc(now)
    authorization = session.scalars(
        select(Authorization).where(
            Authorization.id == authorization_id, Authorization.enterprise_id == enterprise.id
        )
    ).first()
    if authorization is None:
        raise AppError(
            "authorization_not_found",
            "没有找到这项授权，请先查看本企业的授权列表。",
            404,
        )
    if status_of(authorization, now) is AuthorizationStatus.ACTIVE:
        authorization.revoked_at = now
        authorization.revoked_by_chat_user_id = _chat_user(session, channel, user_id).id
        session.commit()
    return authorization


def live_authorizations(
    session: Session, enterprise_id: int, institution_code: str, *, now: datetime
) -> list[Authorization]:
    """Authorizations of the enterprise that are neither revoked nor expired and cover the
    institution (all institutions, or this one by name)."""
    now = as_utc(now)
    stmt = select(Authorization).where(
        Authorization.enterprise_id == enterprise_id,
        Authorization.revoked_at.is_(None),
        Authorization.expires_at > now,
    )
    return [a for a in session.scalars(stmt) if a.covers_institution(institution_code)]


def authorized_categories(
    session: Session, enterprise_id: int, institution_code: str, *, now: datetime
) -> set[DataCategory]:
    return {
        DataCategory(category)
        for authorization in live_authorizations(session, enterprise_id, institution_code, now=now)
        for category in authorization.data_categories
    }


def institutions_by_code(session: Session) -> dict[str, Institution]:
    return {i.code: i for i in session.scalars(select(Institution).order_by(Institution.id))}
