"""SMS verification codes: 6 digits, valid 5 minutes, dead after 5 wrong tries, one new code per
phone every 60 seconds. Only a salted hash of a code is stored; the code itself travels once,
through the SMS provider.

Phone numbers are personal data: they are stored where a rule needs them, never logged, and
masked (app.masking) wherever they are shown.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.errors import AppError
from app.models import ChatUser, SmsCode, SmsOutboxMessage
from app.services._clock import as_utc
from app.services._db import get_or_create

log = structlog.get_logger(__name__)

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=5)
MAX_FAILED_ATTEMPTS = 5
RESEND_COOLDOWN = timedelta(seconds=60)
PURPOSE_REGISTRATION = "registration"
DEV_OUTBOX = "dev_outbox"
OUTBOX_CODE = re.compile(r"验证码(?:为|是|：|:)?\s*(\d{6})")


@runtime_checkable
class SmsProvider(Protocol):
    """Delivers one text message. `session` is the transaction that stores the code: a provider
    that records messages (the development outbox) writes in it, so a message exists exactly when
    its code does; a gateway raises if it cannot deliver, which rolls the code back."""

    def send(self, session: Session, phone: str, text: str, *, now: datetime) -> None: ...


class DevOutboxProvider:
    """Development default: messages go to the `sms_outbox` table instead of a phone; tests and
    the bot's end-to-end tests read them through GET /api/v1/dev/sms-outbox."""

    def send(self, session: Session, phone: str, text: str, *, now: datetime) -> None:
        session.add(SmsOutboxMessage(phone=phone, text=text, sent_at=as_utc(now)))


def load_provider(name: str) -> SmsProvider:
    """`dev_outbox`, or `package.module:Name` naming a class (or factory) implementing SmsProvider
    for a real gateway. A wrong value stops the start-up with a message."""
    if name == DEV_OUTBOX:
        return DevOutboxProvider()
    module_name, _, attribute = name.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
        provider = factory()
    except (ImportError, AttributeError, ValueError, TypeError) as error:
        raise ValueError(
            f"SMS_PROVIDER={name!r} 无法使用：应为 dev_outbox 或 package.module:Class（{error}）"
        ) from None
    if not isinstance(provider, SmsProvider):
        raise ValueError(f"SMS_PROVIDER={name!r} 不是短信通道（缺少 send 方法）")
    return provider


class SmsError(AppError):
    """An AppError whose body carries a number the bot can use (tries left, seconds to wait)."""

    def __init__(self, code: str, message: str, status_code: int, **extra: Any) -> None:
        retry_after = extra.get("retry_after_seconds")
        super().__init__(
            code,
            message,
            status_code,
            fields=["sms_code"] if status_code == 422 else ["phone"],
            headers={"Retry-After": str(retry_after)} if retry_after is not None else None,
        )
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {**super().body(), **self.extra}


def _code_hash(salt: str, phone: str, code: str) -> str:
    return hmac.new(salt.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _latest(session: Session, phone: str, purpose: str | None = None) -> SmsCode | None:
    stmt = select(SmsCode).where(SmsCode.phone == phone)
    if purpose is not None:
        stmt = stmt.where(SmsCode.purpose == purpose)
    return session.scalars(stmt.order_by(SmsCode.sent_at.desc(), SmsCode.id.desc())).first()


def _serialize_per_phone(session: Session, phone: str) -> None:
    """Concurrent requests for one phone take turns, so the cool-down holds even for two that
    arrive together. SQLite already runs write transactions one at a time (BEGIN IMMEDIATE);
    PostgreSQL gets a transaction-scoped advisory lock on the phone."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(
            hashlib.sha256(f"sms:{phone}".encode()).digest()[:8], "big", signed=True
        )
        session.execute(select(func.pg_advisory_xact_lock(key)))


@dataclass(frozen=True)
class SentCode:
    expires_at: datetime


def send_code(
    session: Session,
    provider: SmsProvider,
    *,
    phone: str,
    channel: str,
    user_id: str,
    platform_name: str,
    now: datetime,
    purpose: str = PURPOSE_REGISTRATION,
) -> SentCode:
    """Sends a new code (which replaces any earlier one of this phone) and commits; within 60 s of
    the last code sent to the phone it refuses with `sms_cooldown` (429)."""
    now = as_utc(now)
    _serialize_per_phone(session, phone)
    last = _latest(session, phone)
    if last is not None:
        wait = as_utc(last.sent_at) + RESEND_COOLDOWN - now
        if wait > timedelta(0):
            seconds = max(1, math.ceil(wait.total_seconds()))
            raise SmsError(
                "sms_cooldown",
                f"验证码已发送，请留意短信；如未收到，请{seconds}秒后再重新获取。",
                429,
                retry_after_seconds=seconds,
            )
    chat_user, _ = get_or_create(
        session, ChatUser, {"channel": channel, "external_user_id": user_id}
    )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    salt = secrets.token_hex(16)
    sms_code = SmsCode(
        phone=phone,
        chat_user_id=chat_user.id,
        purpose=purpose,
        code_hash=_code_hash(salt, phone, code),
        salt=salt,
        sent_at=now,
        expires_at=now + CODE_TTL,
        failed_attempts=0,
    )
    session.add(sms_code)
    session.flush()
    minutes = int(CODE_TTL.total_seconds() // 60)
    text = (
        f"【{platform_name}】您的验证码为{code}，{minutes}分钟内有效，用于企业实名注册。"
        "请勿将验证码告诉他人。"
    )
    provider.send(session, phone, text, now=now)
    session.commit()
    log.info("sms.code_sent", sms_code_id=sms_code.id, purpose=purpose)
    return SentCode(expires_at=sms_code.expires_at)


class SmsCodeRejected(Exception):
    """Verification failed. The caller rolls its transaction back, then calls `settle` to record
    a wrong try (in a transaction of its own, so it survives) and get the error to answer."""

    def __init__(self, error: SmsError | None = None, wrong_code_id: int | None = None) -> None:
        super().__init__(error.message if error else "wrong code")
        self.error = error
        self.wrong_code_id = wrong_code_id

    def settle(self, session: Session) -> SmsError:
        if self.wrong_code_id is None:
            assert self.error is not None
            return self.error
        session.execute(
            update(SmsCode)
            .where(SmsCode.id == self.wrong_code_id)
            .values(failed_attempts=SmsCode.failed_attempts + 1)
        )
        failed = session.scalar(
            select(SmsCode.failed_attempts).where(SmsCode.id == self.wrong_code_id)
        )
        session.commit()
        log.info("sms.code_wrong", sms_code_id=self.wrong_code_id, failed_attempts=failed)
        left = max(0, MAX_FAILED_ATTEMPTS - (failed or 0))
        if left == 0:
            return _locked()
        return SmsError(
            "sms_code_wrong",
            f"短信验证码不正确，请核对后重新输入（还可以再试{left}次）。",
            422,
            tries_left=left,
        )


def _locked() -> SmsError:
    return SmsError(
        "sms_code_locked",
        f"短信验证码已输错{MAX_FAILED_ATTEMPTS}次，这个验证码已失效，请重新获取验证码。",
        422,
        tries_left=0,
    )


def verify_code(
    session: Session,
    *,
    phone: str,
    code: str,
    channel: str,
    user_id: str,
    now: datetime,
    purpose: str = PURPOSE_REGISTRATION,
) -> SmsCode:
    """Checks `code` against the latest code sent to `phone` for this chat user and marks it used,
    in the caller's transaction (a later failure in that transaction leaves it unused). Raises
    SmsCodeRejected; the caller rolls back and answers `rejected.settle(session)`."""
    now = as_utc(now)
    latest = _latest(session, phone, purpose)
    chat_user = session.scalars(
        select(ChatUser).where(ChatUser.channel == channel, ChatUser.external_user_id == user_id)
    ).first()
    if latest is None or chat_user is None or latest.chat_user_id != chat_user.id:
        raise SmsCodeRejected(
            SmsError(
                "sms_code_not_sent",
                "还没有给这个手机号发送验证码，请先获取短信验证码。",
                422,
            )
        )
    if latest.failed_attempts >= MAX_FAILED_ATTEMPTS:
        raise SmsCodeRejected(_locked())
    if latest.consumed_at is not None:
        raise SmsCodeRejected(_expired("这个短信验证码已经使用过，请重新获取验证码。"))
    if now >= as_utc(latest.expires_at):
        raise SmsCodeRejected(
            _expired(
                f"短信验证码已过期（{int(CODE_TTL.total_seconds() // 60)}分钟内有效），"
                "请重新获取验证码。"
            )
        )
    if not hmac.compare_digest(_code_hash(latest.salt, phone, code), latest.code_hash):
        raise SmsCodeRejected(wrong_code_id=latest.id)
    # Conditional update: of two concurrent uses of one code exactly one succeeds.
    used = session.execute(
        update(SmsCode)
        .where(SmsCode.id == latest.id, SmsCode.consumed_at.is_(None))
        .values(consumed_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        raise SmsCodeRejected(_expired("这个短信验证码已经使用过，请重新获取验证码。"))
    session.refresh(latest)
    return latest


def _expired(message: str) -> SmsError:
    return SmsError("sms_code_expired", message, 422)


def outbox(session: Session, phone: str, limit: int = 20) -> list[SmsOutboxMessage]:
    return list(
        session.scalars(
            select(SmsOutboxMessage)
            .where(SmsOutboxMessage.phone == phone)
            .order_by(SmsOutboxMessage.sent_at.desc(), SmsOutboxMessage.id.desc())
            .limit(limit)
        )
    )


def code_in(text: str) -> str | None:
    found = OUTBOX_CODE.search(text)
    return found.group(1) if found else None
