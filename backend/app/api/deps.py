"""Request dependencies: the database session, the service-token guard and the city."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.city import CityConfig
from app.core.config import Settings
from app.errors import AppError
from app.schemas import CHANNEL_PATTERN
from app.services.audit import Actor


def get_session(request: Request) -> Iterator[Session]:
    # Services commit their own writes; whatever is left uncommitted (an error) is rolled back.
    with request.app.state.session_factory() as session:
        yield session


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_city(request: Request) -> CityConfig:
    return request.app.state.city


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
CityDep = Annotated[CityConfig, Depends(get_city)]

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="服务令牌",
    description="内部服务调用（如 Rasa 动作服务器）使用的 Bearer 令牌，见 SERVICE_TOKEN",
)


def require_service_token(
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


def get_chat_user(
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


IdempotencyKeyDep = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=128,
        description="幂等键：同一业务请求重试时携带相同的值，服务端只创建一次并返回首次结果",
    ),
]
