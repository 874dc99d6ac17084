"""Staff accounts (坐席, 管理员): passwords, sign-in sessions with hashed bearer tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.enums import StaffRole
from app.errors import AppError
from app.models import StaffSession, StaffUser
from app.services._clock import as_utc

log = structlog.get_logger(__name__)

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,49}$"
PASSWORD_MIN_LENGTH = 8
# scrypt cost: 2**14 × 8 × 128 bytes = 16 MiB and some 50 ms per check on a small server.
SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_DKLEN = 2**14, 8, 1, 32
_SALT_BYTES = 16


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=dklen, maxmem=64 * 1024 * 1024
    )


def hash_password(password: str) -> str:
    """scrypt with a fresh random salt per user: scrypt$n$r$p$salt$hash (base64)."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_DKLEN)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        expected = base64.b64decode(digest)
        if scheme != "scrypt":
            return False
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p), len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@cache
def _dummy_hash() -> str:
    """Checked against when the username is unknown, so a wrong username costs as long as a
    wrong password and the response time does not tell which accounts exist."""
    return hash_password(secrets.token_urlsafe(16))


def normalize_username(username: str) -> str:
    return username.strip().lower()


def validate_new_account(username: str, display_name: str, password: str) -> None:
    if not re.fullmatch(USERNAME_PATTERN, username):
        raise AppError(
            "staff_username_invalid",
            "登录名须为 2–50 位小写字母、数字或 . _ -，并以字母或数字开头。",
            422,
            fields=["username"],
        )
    if not display_name.strip() or len(display_name.strip()) > 50:
        raise AppError(
            "staff_display_name_invalid",
            "显示名称不能为空，最多 50 个字。",
            422,
            fields=["display_name"],
        )
    if len(password) < PASSWORD_MIN_LENGTH:
        raise AppError(
            "staff_password_too_short",
            f"口令至少需要 {PASSWORD_MIN_LENGTH} 个字符。",
            422,
            fields=["password"],
        )


def find_staff_user(session: Session, username: str) -> StaffUser | None:
    return session.scalars(
        select(StaffUser).where(StaffUser.username == normalize_username(username))
    ).first()


def create_staff_user(
    session: Session, *, username: str, display_name: str, role: StaffRole, password: str
) -> StaffUser:
    """Adds an account to the session (the caller commits). A taken username is refused."""
    username = normalize_username(username)
    validate_new_account(username, display_name, password)
    if find_staff_user(session, username) is not None:
        raise AppError(
            "staff_username_taken", "该登录名已被使用，请换一个。", 409, fields=["username"]
        )
    user = StaffUser(
        username=username,
        display_name=display_name.strip(),
        role=StaffRole(role).value,
        password_hash=hash_password(password),
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def login_failed() -> AppError:
    # One message for an unknown user, a wrong password and a disabled account.
    return AppError(
        "login_failed",
        "用户名或口令不正确，请重新输入。",
        401,
        fields=["username", "password"],
        headers={"WWW-Authenticate": "Bearer"},
    )


def session_invalid() -> AppError:
    return AppError(
        "staff_session_invalid",
        "坐席登录已失效或尚未登录，请重新登录后再试。",
        401,
        headers={"WWW-Authenticate": "Bearer"},
    )


@dataclass(frozen=True)
class IssuedSession:
    token: str
    staff_session: StaffSession


def login(
    session: Session, username: str, password: str, *, now: datetime, hours: int
) -> IssuedSession:
    """Checks the password and opens a session; the token is returned once and stored hashed."""
    now = as_utc(now)
    user = find_staff_user(session, username)
    if user is None:
        verify_password(password, _dummy_hash())
        raise login_failed()
    if not verify_password(password, user.password_hash) or not user.active:
        raise login_failed()
    token = secrets.token_urlsafe(32)
    staff_session = StaffSession(
        staff_user_id=user.id,
        token_hash=_token_hash(token),
        expires_at=now + timedelta(hours=hours),
        created_at=now,
    )
    staff_session.staff_user = user
    session.add(staff_session)
    session.commit()
    log.info("staff.signed_in", staff_user_id=user.id, staff_session_id=staff_session.id)
    return IssuedSession(token, staff_session)


def resolve_session(session: Session, token: str, *, now: datetime) -> StaffSession:
    """The live session of an active account for this bearer token, else `staff_session_invalid`."""
    found = session.scalars(
        select(StaffSession).where(StaffSession.token_hash == _token_hash(token))
    ).first()
    if (
        found is None
        or found.revoked_at is not None
        or as_utc(found.expires_at) <= as_utc(now)
        or not found.staff_user.active
    ):
        raise session_invalid()
    return found


def logout(session: Session, staff_session: StaffSession, *, now: datetime) -> None:
    staff_session.revoked_at = as_utc(now)
    session.commit()
    log.info("staff.signed_out", staff_session_id=staff_session.id)
