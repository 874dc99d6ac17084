"""The city app's H5 chat: a Rasa InputChannel named ``h5`` at ``/webhooks/h5/webhook``.

The city app signs its users in and opens the chat page (served by the backend at ``/chat``) with a
JWT it issued. Every message carries that token as ``Authorization: Bearer <jwt>``; the channel
accepts only tokens signed by the city app — HS256 with a shared secret or RS256 with the app's
public key, never both, so a token cannot choose its own algorithm — and the conversation's sender
is the token's ``sub``. A request without a valid token is refused before anything reaches the bot.

Configuration (credentials.yml entries first, then the environment):

- ``H5_JWT_SECRET``: the HS256 secret; or
- ``H5_JWT_PUBLIC_KEY``: the RS256 public key, PEM text or the path of a PEM file;
- ``H5_JWT_ISSUER`` / ``H5_JWT_AUDIENCE``: checked when set.

``python -m bot.channels.h5 --sub demo-user`` prints a token signed with ``H5_JWT_SECRET``: the
city app's part, for development (`make run` prints a chat link with one).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

CHANNEL_NAME = "h5"
MAX_MESSAGE_CHARS = 500
# Clocks of the city app and of this server differ a little.
LEEWAY_SECONDS = 30
DEMO_TOKEN_HOURS = 12

NOT_CONFIGURED = "对话服务尚未配置城市 App 的登录校验，请联系平台管理员。"
UNAUTHORIZED = "登录已失效，请从城市 App 重新进入对话。"
BAD_MESSAGE = "消息格式有误，请重新输入。"
TOO_LONG = f"消息太长了，请控制在 {MAX_MESSAGE_CHARS} 字以内。"
TURN_FAILED = "抱歉，系统暂时繁忙，请稍后再发一次。"


@dataclass(frozen=True)
class H5Config:
    secret: str = ""
    public_key: str = ""
    issuer: str = ""
    audience: str = ""

    @classmethod
    def load(cls, credentials: dict[str, Any] | None = None) -> H5Config:
        credentials = credentials or {}

        def value(key: str, env: str) -> str:
            given = credentials.get(key)
            return str(given) if given not in (None, "") else os.environ.get(env, "")

        public_key = value("jwt_public_key", "H5_JWT_PUBLIC_KEY").strip()
        if public_key and not public_key.startswith("-----BEGIN"):
            public_key = Path(public_key).read_text()
        return cls(
            secret=value("jwt_secret", "H5_JWT_SECRET"),
            public_key=public_key,
            issuer=value("jwt_issuer", "H5_JWT_ISSUER"),
            audience=value("jwt_audience", "H5_JWT_AUDIENCE"),
        )

    def verification(self) -> tuple[Any, str] | None:
        """The key and the one algorithm tokens must use; None when nothing is configured."""
        if self.public_key:
            return self.public_key, "RS256"
        if self.secret:
            return self.secret, "HS256"
        return None


class InvalidToken(Exception):
    pass


class H5Input(InputChannel):
    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> H5Input:
        return cls(H5Config.load(credentials))

    def __init__(self, config: H5Config | None = None) -> None:
        self.config = config or H5Config.load()
        if self.config.secret and self.config.public_key:
            raise ValueError("Set either H5_JWT_SECRET (HS256) or H5_JWT_PUBLIC_KEY (RS256)")
        if self.config.verification() is None:
            # Not an error: `make run` loads every channel of credentials.yml. The webhook then
            # refuses everything.
            logger.warning("H5_JWT_SECRET/H5_JWT_PUBLIC_KEY unset: the H5 channel refuses all.")

    def user_of(self, request: Request) -> str:
        """The token's subject: the city app's user id, which is the conversation's sender."""
        verification = self.config.verification()
        if verification is None:
            raise InvalidToken(NOT_CONFIGURED)
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken(UNAUTHORIZED)
        key, algorithm = verification
        try:
            claims = jwt.decode(
                token.strip(),
                key,
                algorithms=[algorithm],
                issuer=self.config.issuer or None,
                audience=self.config.audience or None,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "sub"], "verify_aud": bool(self.config.audience)},
            )
        except jwt.InvalidTokenError as error:
            logger.info("h5 token refused: %s", type(error).__name__)
            raise InvalidToken(UNAUTHORIZED) from None
        subject = claims["sub"]
        if not isinstance(subject, str) or not 0 < len(subject) <= 128:
            raise InvalidToken(UNAUTHORIZED)
        return subject

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"h5_webhook_{id(self)}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                sender = self.user_of(request)
            except InvalidToken as refusal:
                return _error("unauthorized", str(refusal), 401)
            try:
                body = request.json
            except Exception:
                body = None
            text = body.get("message") if isinstance(body, dict) else None
            if not isinstance(text, str) or not text.strip():
                return _error("invalid_input", BAD_MESSAGE, 400)
            if len(text) > MAX_MESSAGE_CHARS:
                return _error("invalid_input", TOO_LONG, 400)
            collector = CollectingOutputChannel()
            try:
                # The channel is ours, not the client's: unlike the REST channel, neither the
                # input channel nor metadata come from the request body.
                await on_new_message(
                    UserMessage(text, collector, sender, input_channel=CHANNEL_NAME)
                )
            except Exception:
                logger.exception("h5 turn failed")
                return response.json([{"recipient_id": sender, "text": TURN_FAILED}])
            return response.json(collector.messages)

        return webhook


def _error(code: str, message: str, status: int) -> HTTPResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return response.json({"code": code, "message": message}, status=status, headers=headers)


def mint_token(secret: str, subject: str, hours: float = DEMO_TOKEN_HOURS, **claims: Any) -> str:
    """An HS256 token as the city app would issue it (development and tests)."""
    now = int(time.time())
    payload = {"sub": subject, "iat": now, "exp": now + int(hours * 3600), **claims}
    return jwt.encode(payload, secret, algorithm="HS256")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.channels.h5", description="签发开发用的城市 App 用户令牌（HS256）"
    )
    parser.add_argument("--sub", default="demo-user", help="用户标识（令牌的 sub）")
    parser.add_argument("--hours", type=float, default=DEMO_TOKEN_HOURS, help="有效时长（小时）")
    args = parser.parse_args(argv)
    secret = os.environ.get("H5_JWT_SECRET", "")
    if not secret:
        print("请先设置 H5_JWT_SECRET。", file=sys.stderr)
        return 1
    print(mint_token(secret, args.sub, args.hours))
    return 0


if __name__ == "__main__":
    sys.exit(main())
