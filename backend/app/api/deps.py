"""Request dependencies: the database session, the service-token guard, the city, the clock, and
the staff-token guard with its role checks.

The ones that do no I/O are `async def`: FastAPI runs a plain `def` dependency in its thread pool,
and each such hop (a thread hand-off under the GIL) cost more CPU than the work itself. Only what
talks to the database runs in a thread."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from anyio import CapacityLimiter, to_thread
from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.orm import Session

from app.city import CityConfig
from app.core.config import Settings
from app.core.db import release_connection
from app.enums import StaffRole
from app.errors import AppError
from app.models import Institution, StaffSession, StaffUser, utcnow
from app.schemas import CHANNEL_PATTERN
from app.services import institution_view
from app.services import staff as staff_service
from app.services.audit import Actor


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session for the request. Services commit their own writes; whatever is left uncommitted
    (an error, a read after the last commit) is rolled back when the request ends.

    Opening a session does no I/O, and closing one whose work was committed only hands the
    connection back to the pool (psycopg skips the ROLLBACK of an idle connection), so both run
    here on the event loop; a close that must roll back talks to the database and goes to a
    thread outside the request threads' limiter. Such a session holds a pooled connection (and
    perhaps row locks) until it is closed; queued behind request threads that are all waiting for
    a connection or a lock, its close would not run until they gave up (docs/backend.md, "Cost
    per request"). The closes need no limit of their own: each holds one of the pool's
    connections, so there are never more of them."""
    session = request.app.state.session_factory()
    try:
        yield session
    finally:
        if session.in_transaction():
            await to_thread.run_sync(session.close, limiter=CapacityLimiter(1))
        else:
            session.close()


async def get_async_pool(request: Request) -> AsyncConnectionPool | None:
    """The event loop's PostgreSQL connections (app.core.db.create_async_pool); None on SQLite.
    Tests override it with None to keep each test in its one rolled-back transaction."""
    return request.app.state.async_pool


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


async def get_city(request: Request) -> CityConfig:
    return request.app.state.city


SessionDep = Annotated[Session, Depends(get_session)]
AsyncPoolDep = Annotated[AsyncConnectionPool | None, Depends(get_async_pool)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
CityDep = Annotated[CityConfig, Depends(get_city)]

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="服务令牌",
    description="内部服务调用（如 Rasa 动作服务器）使用的 Bearer 令牌，见 SERVICE_TOKEN",
)


async def require_service_token(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    # compare_digest: the comparison time must not reveal how much of a guessed token was right.
    if credentials is None or not secrets.compare_digest(
        credentials.credentials.encode(), settings.service_token.encode()
    ):
        raise AppError(
            "unauthorized",
            "缺少或无效的服务令牌，请在 Authorization 头中携带 Bearer 令牌。",
            401,
            headers={"WWW-Authenticate": "Bearer"},
        )


@dataclass(frozen=True)
class ChatUserRef:
    """The chat user the action server is acting for. It travels in headers, not in the path or
    query, so openids stay out of access logs and every chat-facing route names it the same way."""

    channel: str
    user_id: str

    @property
    def actor(self) -> Actor:
        return Actor.chat_user(self.channel, self.user_id)


async def get_chat_user(
    channel: Annotated[
        str,
        Header(
            alias="X-Chat-Channel",
            pattern=CHANNEL_PATTERN,
            description="会话渠道，如 wechat（微信公众号）、app（城市 App 内 H5）、rest",
        ),
    ],
    user_id: Annotated[
        str,
        Header(
            alias="X-Chat-User-Id",
            min_length=1,
            max_length=128,
            description="渠道内的用户标识，如微信 openid",
        ),
    ],
) -> ChatUserRef:
    return ChatUserRef(channel=channel, user_id=user_id)


ChatUserDep = Annotated[ChatUserRef, Depends(get_chat_user)]


# Typed `str`, not `str | None`: a header is a string or absent (then the routes' default None),
# and OpenAPI should not offer `null` (a client sending the text "null" would be refused).
IdempotencyKeyDep = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=128,
        description="幂等键：同一业务请求重试时携带相同的值，服务端只创建一次并返回首次结果",
    ),
]


async def get_now() -> datetime:
    """The request's clock. Tests override this dependency to run rules at a fixed time."""
    return utcnow()


NowDep = Annotated[datetime, Depends(get_now)]

_staff_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="坐席令牌",
    description="坐席登录（POST /api/v1/staff/sessions）取得的 Bearer 令牌",
)


def get_staff_session(
    session: SessionDep,
    now: NowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_staff_bearer)],
) -> StaffSession:
    if credentials is None:
        raise staff_service.session_invalid()
    try:
        return staff_service.resolve_session(session, credentials.credentials, now=now)
    finally:
        # The account is loaded with it; the connection must not wait for the endpoint's thread.
        release_connection(session)


StaffSessionDep = Annotated[StaffSession, Depends(get_staff_session)]


def get_staff_user(staff_session: StaffSessionDep) -> StaffUser:
    return staff_session.staff_user


# The signed-in staff account (Bearer staff token); expired, revoked or unknown → 401
# staff_session_invalid. Routes using it are mounted on `staff_api_router` (app/api/main.py),
# which does not take the service token.
StaffDep = Annotated[StaffUser, Depends(get_staff_user)]


def require_staff_role(*roles: StaffRole) -> Callable[..., StaffUser]:
    """A dependency admitting only staff with one of `roles` (403 forbidden_role otherwise):
    `admin: Annotated[StaffUser, Depends(require_staff_role(StaffRole.ADMIN))]`."""
    allowed = tuple(StaffRole(role) for role in roles)
    if not allowed:
        raise ValueError("require_staff_role needs at least one role")

    def _require(staff: StaffDep) -> StaffUser:
        if staff.role not in allowed:
            raise AppError(
                "forbidden_role",
                f"您的账号角色（{staff.role}）无权进行此操作，"
                f"需要{'或'.join(role.value for role in allowed)}角色。",
                403,
            )
        return staff

    return _require


_institution_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="机构令牌",
    description="接入机构自己的 Bearer 令牌（不是服务令牌）；演示令牌由 python -m app.seed 打印",
)


def get_institution(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_institution_bearer)],
) -> Institution:
    try:
        return institution_view.authenticate(
            session, None if credentials is None else credentials.credentials
        )
    finally:
        release_connection(session)  # as get_staff_session


# The calling institution (Bearer institution token); unknown or revoked → 401
# institution_unauthorized. Routes using it are mounted on `institution_api_router`
# (app/api/main.py), which does not take the service token.
InstitutionDep = Annotated[Institution, Depends(get_institution)]
