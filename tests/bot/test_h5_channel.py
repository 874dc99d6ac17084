"""The city-app H5 channel: only users carrying the city app's JWT reach the bot.

The channel is served by a real Sanic app, registered the way Rasa registers channels; the bot is a
fake ``agent.handle_message`` that echoes (the dialogue itself is tested end to end, and in the
browser test). Tokens are made with PyJWT as the city app would: HS256 with the shared secret, or
RS256 with the app's private key."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from rasa.core.channels.channel import UserMessage, register
from sanic import Sanic

from bot.channels.h5 import (
    MAX_MESSAGE_CHARS,
    NOT_CONFIGURED,
    TURN_FAILED,
    UNAUTHORIZED,
    H5Config,
    H5Input,
    main,
    mint_token,
)
from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "city-app-secret-for-tests-0123456789"


def rsa_keys() -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public.decode()


@dataclass
class EchoBot:
    received: list[UserMessage] = field(default_factory=list)

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        if message.text == "出错":
            raise RuntimeError("the action server is down")
        await message.output_channel.send_response(
            message.sender_id,
            {"text": f"收到：{message.text}", "buttons": [{"title": "信用自查", "payload": "/x"}]},
        )


@dataclass
class Served:
    url: str
    bot: EchoBot
    client: httpx.AsyncClient

    async def post(self, body: Any, token: str | None = None, **headers: str) -> httpx.Response:
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return await self.client.post(f"{self.url}/webhooks/h5/webhook", json=body, headers=headers)


ServeFactory = Callable[[H5Config], Awaitable[Served]]


@pytest.fixture
async def serve(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[ServeFactory]:
    servers: list[tuple[Any, Served]] = []
    # Several Sanic apps start in one process (see test_wechat_channel.py).
    monkeypatch.setattr(Sanic, "test_mode", True)

    async def start(config: H5Config) -> Served:
        app = Sanic(f"h5_test_{uuid.uuid4().hex}")
        bot = EchoBot()
        app.ctx.agent = bot
        register([H5Input(config)], app, route="/webhooks/")
        port = free_port()
        server = await app.create_server(
            host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
        )
        await server.startup()
        served = Served(f"http://127.0.0.1:{port}", bot, httpx.AsyncClient(timeout=10))
        servers.append((server, served))
        return served

    yield start
    for server, served in servers:
        await served.client.aclose()
        server.close()
        await server.wait_closed()


async def test_hs256_token_reaches_the_bot_as_its_subject(serve: ServeFactory) -> None:
    served = await serve(H5Config(secret=SECRET))
    reply = await served.post({"message": "你好"}, mint_token(SECRET, "app-user-1"))
    assert reply.status_code == 200
    assert reply.json() == [
        {
            "recipient_id": "app-user-1",
            "text": "收到：你好",
            "buttons": [{"title": "信用自查", "payload": "/x"}],
        }
    ]
    (message,) = served.bot.received
    assert (message.sender_id, message.input_channel) == ("app-user-1", "h5")


async def test_rs256_public_key_accepts_the_apps_tokens(
    serve: ServeFactory, tmp_path: Path
) -> None:
    private, public = rsa_keys()
    # The public key may be given as a file path, as a Kubernetes secret mount would.
    key_file = tmp_path / "city-app.pub.pem"
    key_file.write_text(public)
    config = H5Config.load({"jwt_public_key": str(key_file)})
    served = await serve(config)
    now = int(time.time())
    token = jwt.encode({"sub": "app-user-2", "exp": now + 600}, private, algorithm="RS256")
    assert (await served.post({"message": "查信用"}, token)).status_code == 200
    assert served.bot.received[0].sender_id == "app-user-2"


async def test_a_token_cannot_pick_its_algorithm(serve: ServeFactory) -> None:
    _, public = rsa_keys()
    served = await serve(H5Config(public_key=public))
    now = int(time.time())
    # The classic confusion: HS256 "signed" with the public key, or no signature at all.
    unsigned = jwt.encode({"sub": "x", "exp": now + 600}, None, algorithm="none")
    for token in (mint_token(SECRET, "x"), unsigned):
        reply = await served.post({"message": "你好"}, token)
        assert reply.status_code == 401
    assert served.bot.received == []


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "late", "exp": -120},  # expired (beyond the leeway)
        {"exp": 600},  # no subject
        {"sub": "forever"},  # no expiry
        {"sub": "", "exp": 600},  # empty subject
        {"sub": "x" * 129, "exp": 600},  # longer than any user id the backend keeps
    ],
)
async def test_bad_tokens_are_refused_before_the_bot(
    serve: ServeFactory, claims: dict[str, Any]
) -> None:
    served = await serve(H5Config(secret=SECRET))
    now = int(time.time())
    payload = {key: now + value if key == "exp" else value for key, value in claims.items()}
    reply = await served.post({"message": "你好"}, jwt.encode(payload, SECRET, "HS256"))
    assert reply.status_code == 401
    assert reply.json() == {"code": "unauthorized", "message": UNAUTHORIZED}
    assert reply.headers["WWW-Authenticate"] == "Bearer"
    assert served.bot.received == []


async def test_missing_wrong_or_foreign_tokens_are_refused(serve: ServeFactory) -> None:
    served = await serve(H5Config(secret=SECRET))
    for token, headers in (
        (None, {}),
        (mint_token("another-apps-secret-0123456789abcdef", "u"), {}),
        ("not.a.jwt", {}),
        (None, {"Authorization": mint_token(SECRET, "u")}),  # no Bearer scheme
    ):
        reply = await served.post({"message": "你好"}, token, **headers)
        assert reply.status_code == 401, (token, headers)
    assert served.bot.received == []


async def test_issuer_and_audience_are_checked_when_configured(serve: ServeFactory) -> None:
    served = await serve(H5Config(secret=SECRET, issuer="city-app", audience="xinyidai"))
    good = mint_token(SECRET, "u1", iss="city-app", aud="xinyidai")
    wrong_issuer = mint_token(SECRET, "u1", iss="elsewhere", aud="xinyidai")
    no_audience = mint_token(SECRET, "u1", iss="city-app")
    assert (await served.post({"message": "你好"}, good)).status_code == 200
    assert (await served.post({"message": "你好"}, wrong_issuer)).status_code == 401
    assert (await served.post({"message": "你好"}, no_audience)).status_code == 401
    assert len(served.bot.received) == 1


async def test_unconfigured_channel_refuses_everything(serve: ServeFactory) -> None:
    served = await serve(H5Config())
    reply = await served.post({"message": "你好"}, mint_token(SECRET, "u"))
    assert reply.status_code == 401
    assert reply.json()["message"] == NOT_CONFIGURED
    assert served.bot.received == []


async def test_bad_bodies_get_a_clear_message(serve: ServeFactory) -> None:
    served = await serve(H5Config(secret=SECRET))
    token = mint_token(SECRET, "u")
    for body in ({}, {"message": ""}, {"message": "   "}, {"message": 5}, ["你好"]):
        reply = await served.post(body, token)
        assert reply.status_code == 400, body
        assert reply.json()["code"] == "invalid_input"
    too_long = await served.post({"message": "字" * (MAX_MESSAGE_CHARS + 1)}, token)
    assert too_long.status_code == 400 and "500" in too_long.json()["message"]
    not_json = await served.client.post(
        f"{served.url}/webhooks/h5/webhook",
        content=b"{not json",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert not_json.status_code == 400
    assert served.bot.received == []


async def test_the_body_cannot_choose_sender_channel_or_metadata(serve: ServeFactory) -> None:
    served = await serve(H5Config(secret=SECRET))
    body = {"message": "你好", "sender": "someone-else", "input_channel": "console", "metadata": {}}
    assert (await served.post(body, mint_token(SECRET, "me"))).status_code == 200
    (message,) = served.bot.received
    assert (message.sender_id, message.input_channel, message.metadata) == ("me", "h5", None)


async def test_a_failed_turn_says_so(serve: ServeFactory) -> None:
    served = await serve(H5Config(secret=SECRET))
    reply = await served.post({"message": "出错"}, mint_token(SECRET, "u"))
    assert reply.status_code == 200
    assert reply.json() == [{"recipient_id": "u", "text": TURN_FAILED}]


def test_both_keys_at_once_is_a_configuration_error() -> None:
    _, public = rsa_keys()
    with pytest.raises(ValueError, match="either"):
        H5Input(H5Config(secret=SECRET, public_key=public))


def test_demo_token_command(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("H5_JWT_SECRET", SECRET)
    assert main(["--sub", "demo-user", "--hours", "1"]) == 0
    token = capsys.readouterr().out.strip()
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["sub"] == "demo-user"
    assert 3500 < claims["exp"] - time.time() <= 3600
    monkeypatch.delenv("H5_JWT_SECRET")
    assert main([]) == 1


def test_credentials_yml_registers_the_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml
    from rasa.core.run import _create_single_channel

    monkeypatch.setenv("H5_JWT_SECRET", SECRET)
    credentials = yaml.safe_load((ROOT / "bot" / "credentials.yml").read_text())
    assert "bot.channels.h5.H5Input" in credentials
    channel = _create_single_channel(
        "bot.channels.h5.H5Input", credentials["bot.channels.h5.H5Input"]
    )
    assert isinstance(channel, H5Input) and channel.name() == "h5"
    assert channel.config.secret == SECRET
