"""The WeChat Official Account channel, driven as WeChat drives it.

The channel is served by a real Sanic app (registered the way Rasa registers channels) and talks to
a local fake of WeChat's API server (token, custom send, media download, QR create) that records
every call. Messages are built, signed and encrypted with wechatpy's own crypto. The bot is a fake
``agent.handle_message``: the unit under test is the channel, not the dialogue (that is e2e).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import xmltodict
from aiohttp import web
from rasa.core.channels.channel import UserMessage, register
from sanic import Sanic
from wechatpy.crypto import WeChatCrypto

from bot.channels.wechat import (
    ASK_FOR_TEXT,
    MAX_MESSAGE_BYTES,
    SUCCESS,
    WeChatConfig,
    WeChatInput,
    split_message,
)
from tests.fake_wechat import (
    APP_ID,
    APP_SECRET,
    MEDIA_BYTES,
    OPENID,
    TOKEN,
    FakeWeChat,
    envelope,
    event_xml,
    fake_wechat_app,
    image_xml,
    new_aes_key,
    new_msg_id,
    passive_content,
    sign,
    signed_request,
    text_xml,
    voice_xml,
)
from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]
# The service token of the backend tests/bot/conftest.py starts (scripts/stack.py's default).
SERVICE_TOKEN = "dev-service-token"
# Where no backend listens: tests that are not about images never reach one.
NO_BACKEND = f"http://127.0.0.1:{free_port()}"
SLOW_SECONDS = 1.2
REPLY_TIMEOUT = 0.5
LONG_LINES = [f"第{i}条：行政处罚记录，处罚机关示范市市场监督管理局，状态正常。" for i in range(80)]
BUTTONS = [
    {"title": "实名注册", "payload": "/register"},
    {"title": "信用自查", "payload": "/credit_check"},
    {"title": "产品申请", "payload": "/ask_products"},
]


# --- the fake WeChat API server (tests/fake_wechat.py), on this test's event loop ---------------


@pytest.fixture
async def fake_wechat() -> AsyncIterator[FakeWeChat]:
    state = FakeWeChat()
    runner = web.AppRunner(fake_wechat_app(state))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    state.url = f"http://127.0.0.1:{port}"
    yield state
    await runner.cleanup()


# --- where state lives: memory, or a real Redis -----------------------------------------------


@pytest.fixture
def redis_url() -> str:
    """A real Redis; under CI=true its absence is a failure, not a skip."""
    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    client = redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except Exception as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {url} is required under CI=true: {error}")
        pytest.skip(f"no Redis at {url}")
    finally:
        client.close()
    return url


@pytest.fixture(params=["memory", "redis"])
def store_url(request: pytest.FixtureRequest) -> str:
    """Where the channel keeps its state: "" for this process's memory, or a Redis URL."""
    return "" if request.param == "memory" else request.getfixturevalue("redis_url")


@pytest.fixture
def prefix() -> str:
    """A key prefix of this test's own, so runs and tests sharing a Redis never see each other."""
    return f"test-wechat:{uuid.uuid4().hex}:"


async def drop_keys(url: str, prefix: str) -> None:
    import redis.asyncio as redis

    client = redis.from_url(url)
    async for key in client.scan_iter(match=f"{prefix}*"):
        await client.delete(key)
    await client.close()


# --- the fake bot and the served channel -------------------------------------------------------


@dataclass
class FakeBot:
    """Plays Rasa's agent: answers by what the user said, as the real bot would send it."""

    received: list[UserMessage] = field(default_factory=list)

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        out = message.output_channel
        text = message.text or ""
        if text == "慢":
            await asyncio.sleep(SLOW_SECONDS)
            await out.send_response(message.sender_id, {"text": "查询完成：您的企业信用良好。"})
        elif text == "一次":
            await asyncio.sleep(0.3)  # long enough for the retries to overlap the turn
            await out.send_response(message.sender_id, {"text": "工单已受理：YY2026000001"})
        elif text == "长":
            await out.send_response(message.sender_id, {"text": "\n".join(LONG_LINES)})
        elif text == "按钮":
            await out.send_response(
                message.sender_id, {"text": "请问您要办理什么？", "buttons": list(BUTTONS)}
            )
        elif text == "菜单":
            menu = "我可以帮您：\n1. 实名注册企业\n2. 免费信用自查\n3. 匹配信贷产品"
            await out.send_response(message.sender_id, {"text": menu, "buttons": BUTTONS[1:]})
        elif text == "出错":
            raise RuntimeError("the action server is down")
        elif text == "两条":
            await out.send_response(message.sender_id, {"text": "您好！"})
            await out.send_response(message.sender_id, {"text": "请问有什么可以帮您？"})
        else:
            await out.send_response(message.sender_id, {"text": f"收到：{text}"})

    def texts(self) -> list[str | None]:
        return [message.text for message in self.received]


@dataclass
class Served:
    url: str
    channel: WeChatInput
    bot: FakeBot
    client: httpx.AsyncClient
    aes_key: str = ""

    @property
    def webhook(self) -> str:
        return f"{self.url}/webhooks/wechat/webhook"

    async def post(
        self, xml: str, *, bad_signature: bool = False, safe: bool = False
    ) -> httpx.Response:
        params, body = signed_request(
            xml, aes_key=self.aes_key if safe else "", bad_signature=bad_signature
        )
        return await self.client.post(self.webhook, params=params, content=body)

    async def say(self, xml: str, **kwargs: Any) -> str:
        """The reply text: the passive reply's content, or "success"."""
        return await self.say_as(OPENID, xml, **kwargs)

    async def say_as(self, openid: str, xml: str, **kwargs: Any) -> str:
        """As `say`, for a message of another WeChat user."""
        reply = await self.post(xml, **kwargs)
        assert reply.status_code == 200, reply.text
        return passive_content(reply.text, openid=openid)


ServeFactory = Callable[..., Awaitable[Served]]


@pytest.fixture
async def serve(
    fake_wechat: FakeWeChat, store_url: str, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[ServeFactory]:
    servers: list[tuple[Any, Served]] = []
    # Sanic 21.12 rewrites its own methods at start-up and fails doing it a second time in one
    # process unless told that several apps will start.
    monkeypatch.setattr(Sanic, "test_mode", True)

    async def start(
        aes_key: str = "", reply_timeout: float = REPLY_TIMEOUT, backend: str = NO_BACKEND
    ) -> Served:
        config = WeChatConfig(
            token=TOKEN,
            app_id=APP_ID,
            app_secret=APP_SECRET,
            encoding_aes_key=aes_key,
            api_base_url=fake_wechat.url,
            redis_url=store_url,
            reply_timeout=reply_timeout,
            redis_prefix=prefix,
            backend_url=backend,
            service_token=SERVICE_TOKEN,
        )
        channel = WeChatInput(config)
        bot = FakeBot()
        app = Sanic(f"wechat_test_{uuid.uuid4().hex}")
        app.ctx.agent = bot
        register([channel], app, route="/webhooks/")  # as rasa.core.run does
        port = free_port()
        server = await app.create_server(
            host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
        )
        # create_server has already bound the port; startup() finalises the routes.
        await server.startup()
        served = Served(
            f"http://127.0.0.1:{port}", channel, bot, httpx.AsyncClient(timeout=10), aes_key
        )
        servers.append((server, served))
        return served

    yield start
    for server, served in servers:
        await served.channel.wait_for_background()
        await served.client.aclose()
        server.close()
        await server.wait_closed()
        if hasattr(served.channel.store, "close"):
            await served.channel.store.close()
    if store_url:
        await drop_keys(store_url, prefix)


# --- signatures --------------------------------------------------------------------------------


async def test_get_verification_returns_echostr(serve: ServeFactory) -> None:
    served = await serve()
    timestamp, nonce = "1700000000", "n0nce"
    params = {"timestamp": timestamp, "nonce": nonce, "echostr": "echo-4711"}
    good = await served.client.get(
        served.webhook, params={**params, "signature": sign(TOKEN, timestamp, nonce)}
    )
    assert (good.status_code, good.text) == (200, "echo-4711")
    bad = await served.client.get(served.webhook, params={**params, "signature": "f" * 40})
    assert bad.status_code == 403 and "echo-4711" not in bad.text


async def test_bad_signature_is_refused_and_not_processed(serve: ServeFactory) -> None:
    served = await serve()
    reply = await served.post(text_xml("你好"), bad_signature=True)
    assert reply.status_code == 403
    unsigned = await served.client.post(served.webhook, content=text_xml("你好").encode())
    assert unsigned.status_code == 403
    assert served.bot.received == []


async def test_bad_msg_signature_in_safe_mode_is_refused(serve: ServeFactory) -> None:
    served = await serve(aes_key=new_aes_key())
    reply = await served.post(text_xml("你好"), safe=True, bad_signature=True)
    assert reply.status_code == 403
    assert served.bot.received == []


# --- round trips -------------------------------------------------------------------------------


async def test_plaintext_round_trip(serve: ServeFactory) -> None:
    served = await serve()
    assert await served.say(text_xml("你好")) == "收到：你好"
    [message] = served.bot.received
    assert message.sender_id == OPENID
    assert message.input_channel == "wechat"
    assert message.metadata["wechat"]["msg_type"] == "text"


async def test_safe_mode_round_trip(serve: ServeFactory) -> None:
    aes_key = new_aes_key()
    served = await serve(aes_key=aes_key)
    reply = await served.post(text_xml("我想查信用"), safe=True)
    assert reply.status_code == 200
    encrypted = xmltodict.parse(reply.text)["xml"]
    assert "Content" not in encrypted  # nothing in the clear
    plain = WeChatCrypto(TOKEN, aes_key, APP_ID).decrypt_message(
        reply.text, encrypted["MsgSignature"], encrypted["TimeStamp"], encrypted["Nonce"]
    )
    assert passive_content(plain) == "收到：我想查信用"
    assert served.bot.texts() == ["我想查信用"]


async def test_several_bot_messages_make_one_passive_reply(serve: ServeFactory) -> None:
    served = await serve()
    assert await served.say(text_xml("两条")) == "您好！\n\n请问有什么可以帮您？"


async def test_typed_intents_are_not_passed_on(serve: ServeFactory) -> None:
    served = await serve()
    await served.say(text_xml('/register{"event_code": "FAKE"}'))
    assert served.bot.texts() == ['register{"event_code": "FAKE"}']


# --- the 5-second rule -------------------------------------------------------------------------


async def test_slow_turn_answers_success_then_custom_send(
    serve: ServeFactory, fake_wechat: FakeWeChat
) -> None:
    served = await serve()
    started = time.monotonic()
    assert await served.say(text_xml("慢")) == SUCCESS
    assert time.monotonic() - started < SLOW_SECONDS  # WeChat was not kept waiting
    [sent] = await fake_wechat.wait_for_sends(1)
    assert sent == {
        "touser": OPENID,
        "msgtype": "text",
        "text": {"content": "查询完成：您的企业信用良好。"},
    }


async def test_long_reply_is_split_under_the_byte_limit(
    serve: ServeFactory, fake_wechat: FakeWeChat
) -> None:
    served = await serve()
    assert len("\n".join(LONG_LINES).encode()) > 2 * MAX_MESSAGE_BYTES
    # One passive reply holds one message, so the pieces all go through custom send, in order.
    assert await served.say(text_xml("长")) == SUCCESS
    await served.channel.wait_for_background()
    contents = fake_wechat.contents()
    assert len(contents) >= 3
    assert all(len(content.encode()) <= MAX_MESSAGE_BYTES for content in contents)
    assert "\n".join(contents).split("\n") == LONG_LINES  # split on line boundaries, nothing lost


def test_split_message_cuts_an_overlong_line_between_characters() -> None:
    line = "信" * 1000  # 3,000 bytes, no line break
    pieces = split_message(line)
    assert "".join(pieces) == line
    assert all(len(piece.encode()) <= MAX_MESSAGE_BYTES for piece in pieces)


async def test_access_token_is_fetched_once_for_several_sends(
    serve: ServeFactory, fake_wechat: FakeWeChat
) -> None:
    served = await serve()
    for _ in range(3):
        assert await served.say(text_xml("慢")) == SUCCESS
    await fake_wechat.wait_for_sends(3)
    assert len(fake_wechat.token_calls) == 1
    assert fake_wechat.token_calls[0]["grant_type"] == "client_credential"


async def test_rejected_token_is_replaced_once(
    serve: ServeFactory, fake_wechat: FakeWeChat
) -> None:
    served = await serve()
    await served.channel.api.send_text(OPENID, "第一条")
    fake_wechat.valid_tokens.clear()  # WeChat revoked it (another fetch elsewhere, a reset)
    await served.channel.api.send_text(OPENID, "第二条")
    assert fake_wechat.contents() == ["第一条", "第二条"]
    assert len(fake_wechat.token_calls) == 2


async def test_media_download_and_event_qrcode(
    serve: ServeFactory, fake_wechat: FakeWeChat
) -> None:
    served = await serve()
    assert (await served.channel.api.download_media("img-1")).startswith(b"\xff\xd8")
    qrcode = await served.channel.api.create_event_qrcode("EXPO2026", expire_seconds=86400)
    assert qrcode["ticket"] == "TICKET-1"
    [request] = fake_wechat.qrcodes
    assert request["action_info"]["scene"]["scene_str"] == "event_EXPO2026"
    assert fake_wechat.media_calls == ["img-1"] and len(fake_wechat.token_calls) == 1


async def test_the_backend_gets_an_event_qrcode_with_its_service_token(
    serve: ServeFactory, fake_wechat: FakeWeChat
) -> None:
    served = await serve()
    url = f"{served.url}/webhooks/wechat/qrcodes"
    body = {"event_code": "k7m2p9qa", "expire_seconds": 3 * 86400}
    refused = await served.client.post(url, json=body)
    wrong = await served.client.post(url, json=body, headers={"Authorization": "Bearer nope"})
    assert (refused.status_code, wrong.status_code) == (401, 401)
    assert fake_wechat.qrcodes == []

    service = {"Authorization": f"Bearer {served.channel.config.service_token}"}
    made = await served.client.post(url, json=body, headers=service)
    assert made.status_code == 200, made.text
    assert made.json() == {
        "ticket": "TICKET-1",
        "url": "http://weixin.qq.com/q/fake-1",
        "expire_seconds": 3 * 86400,
    }
    [request] = fake_wechat.qrcodes
    assert request["action_name"] == "QR_STR_SCENE"
    assert request["action_info"]["scene"]["scene_str"] == "event_k7m2p9qa"

    for bad in ({"event_code": "../x", "expire_seconds": 60}, {"event_code": "abc"}, []):
        answer = await served.client.post(url, json=bad, headers=service)
        assert answer.status_code == 400 and answer.json()["code"] == "invalid_input"
    # Longer than WeChat keeps a temporary code: asked for 30 days, the most there is.
    await served.client.post(
        url, json={"event_code": "abc", "expire_seconds": 90 * 86400}, headers=service
    )
    assert fake_wechat.qrcodes[-1]["expire_seconds"] == 30 * 86400


async def test_without_an_official_account_no_qrcode_is_made(
    serve: ServeFactory, fake_wechat: FakeWeChat
) -> None:
    served = await serve()
    served.channel.config.app_secret = ""
    answer = await served.client.post(
        f"{served.url}/webhooks/wechat/qrcodes",
        json={"event_code": "abc", "expire_seconds": 600},
        headers={"Authorization": f"Bearer {served.channel.config.service_token}"},
    )
    assert answer.status_code == 503 and answer.json()["code"] == "wechat_not_configured"
    assert fake_wechat.qrcodes == []


# --- retries -----------------------------------------------------------------------------------


async def test_three_concurrent_retries_make_one_turn(
    serve: ServeFactory, fake_wechat: FakeWeChat
) -> None:
    served = await serve()
    xml = text_xml("一次", msg_id=new_msg_id())
    replies = await asyncio.gather(*(served.say(xml) for _ in range(3)))
    assert served.bot.texts() == ["一次"]
    assert sorted(replies) == sorted(["工单已受理：YY2026000001", SUCCESS, SUCCESS])
    # A later retry (the passive reply was lost on the way) gets the same answer, no new turn.
    assert await served.say(xml) == "工单已受理：YY2026000001"
    assert served.bot.texts() == ["一次"] and fake_wechat.sent == []


async def test_retries_of_an_event_make_one_turn(serve: ServeFactory) -> None:
    served = await serve()
    xml = event_xml("subscribe", create_time=1_800_000_000)
    await asyncio.gather(*(served.say(xml) for _ in range(3)))
    assert served.bot.texts() == ["/greet"]


async def test_replicas_sharing_redis_make_one_turn_and_fetch_one_token(
    redis_url: str, prefix: str, fake_wechat: FakeWeChat
) -> None:
    def replica() -> WeChatInput:
        return WeChatInput(
            WeChatConfig(
                token=TOKEN,
                app_id=APP_ID,
                app_secret=APP_SECRET,
                api_base_url=fake_wechat.url,
                redis_url=redis_url,
                redis_prefix=prefix,
            )
        )

    first, second = replica(), replica()
    tokens = await asyncio.gather(first.api.access_token(), second.api.access_token())
    assert tokens[0] == tokens[1] and len(fake_wechat.token_calls) == 1
    key = first._dedup_key("4711")
    claims = await asyncio.gather(first.store.claim(key, 60), second.store.claim(key, 60))
    assert sorted(claims) == [False, True]
    for channel in (first, second):
        await channel.store.close()
    await drop_keys(redis_url, prefix)


async def test_an_unreachable_redis_falls_back_to_memory(
    fake_wechat: FakeWeChat, prefix: str
) -> None:
    channel = WeChatInput(
        WeChatConfig(
            token=TOKEN,
            app_id=APP_ID,
            app_secret=APP_SECRET,
            api_base_url=fake_wechat.url,
            redis_url=f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
            redis_prefix=prefix,
        )
    )
    assert await channel.store.claim("k", 60) is True
    assert await channel.store.claim("k", 60) is False
    await channel.api.send_text(OPENID, "您好")
    assert fake_wechat.contents() == ["您好"]
    await channel.store.close()


# --- buttons -----------------------------------------------------------------------------------


async def test_buttons_become_numbers_and_a_number_sends_the_payload(
    serve: ServeFactory,
) -> None:
    served = await serve()
    reply = await served.say(text_xml("按钮"))
    assert reply.startswith("请问您要办理什么？")
    assert "1. 实名注册\n2. 信用自查\n3. 产品申请" in reply
    await served.say(text_xml("2"))
    assert served.bot.texts()[-1] == "/credit_check"
    # The reply to "2" had no buttons, so a later number is just a number again.
    await served.say(text_xml("3"))
    assert served.bot.texts()[-1] == "3"


async def test_only_the_choices_are_numbered(serve: ServeFactory) -> None:
    served = await serve()
    reply = await served.say(text_xml("菜单"))
    assert reply == (
        "我可以帮您：\n· 实名注册企业\n· 免费信用自查\n· 匹配信贷产品\n"
        "1. 信用自查\n2. 产品申请\n请回复数字选择。"
    )
    await served.say(text_xml("1"))
    assert served.bot.texts()[-1] == "/credit_check"


async def test_a_failed_turn_says_so(serve: ServeFactory) -> None:
    served = await serve()
    assert "稍后" in await served.say(text_xml("出错"))


async def test_a_full_width_number_picks_a_button_too(serve: ServeFactory) -> None:
    served = await serve()
    await served.say(text_xml("按钮"))
    await served.say(text_xml("３"))
    assert served.bot.texts()[-1] == "/ask_products"


# --- voice, image, events ----------------------------------------------------------------------


async def test_voice_uses_the_recognition_transcript(serve: ServeFactory) -> None:
    served = await serve()
    await served.say(voice_xml("我想查一下信用。"))
    [message] = served.bot.received
    assert message.text == "我想查一下信用"
    assert message.metadata["wechat"]["media_id"] == "voice-media-1"


async def test_voice_without_recognition_asks_for_text(serve: ServeFactory) -> None:
    served = await serve()
    assert await served.say(voice_xml(None)) == ASK_FOR_TEXT
    assert await served.say(voice_xml("")) == ASK_FOR_TEXT
    assert served.bot.received == []


def stored_evidence(database_url: str, openid: str) -> list[tuple[str, bytes, str]]:
    """(id, bytes, content type) of the evidence files the backend holds for a WeChat user,
    read straight from its SQLite database."""
    path = database_url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as db:
        return db.execute(
            "SELECT id, content, content_type FROM evidence_files "
            "WHERE uploader_channel = 'wechat' AND uploader_user_id = ? ORDER BY created_at",
            (openid,),
        ).fetchall()


def new_openid() -> str:
    """A WeChat user of the test's own: the backend's database is shared by the session."""
    return f"oEvidence-{uuid.uuid4().hex[:16]}"


async def test_image_is_kept_in_the_backend_as_evidence(
    serve: ServeFactory, fake_wechat: FakeWeChat, backend_url: str, demo_database_url: str
) -> None:
    served = await serve(reply_timeout=5, backend=backend_url)
    openid = new_openid()

    reply = await served.say_as(
        openid, image_xml("img-media-9", "http://mmbiz.qpic.cn/evidence.jpg", openid=openid)
    )

    assert reply == "收到：[图片]"
    [message] = served.bot.received
    wechat = message.metadata["wechat"]
    assert wechat["msg_type"] == "image"
    assert wechat["media_id"] == "img-media-9"
    assert wechat["pic_url"] == "http://mmbiz.qpic.cn/evidence.jpg"
    assert "evidence_error" not in wechat
    [(file_id, content, content_type)] = stored_evidence(demo_database_url, openid)
    assert wechat["evidence_file_id"] == file_id and file_id.startswith("ev_")
    assert (content, content_type) == (MEDIA_BYTES, "image/jpeg")  # the image itself
    assert fake_wechat.media_calls == ["img-media-9"]


async def test_a_retried_image_is_downloaded_and_uploaded_once(
    serve: ServeFactory, fake_wechat: FakeWeChat, backend_url: str, demo_database_url: str
) -> None:
    served = await serve(reply_timeout=5, backend=backend_url)
    openid = new_openid()
    xml = image_xml("img-media-retry", "http://mmbiz.qpic.cn/r.jpg", openid=openid)

    # WeChat's retries: two at once while the first turn runs, one after it answered.
    await asyncio.gather(*(served.say_as(openid, xml) for _ in range(3)))
    await served.say_as(openid, xml)
    await served.channel.wait_for_background()

    assert len(served.bot.received) == 1
    assert fake_wechat.media_calls == ["img-media-retry"]
    [(file_id, _, _)] = stored_evidence(demo_database_url, openid)
    assert served.bot.received[0].metadata["wechat"]["evidence_file_id"] == file_id

    # The same picture sent again as a new message: a new turn, but the same evidence file.
    await served.say_as(openid, image_xml("img-media-again", "http://x/y.jpg", openid=openid))
    assert served.bot.received[-1].metadata["wechat"]["evidence_file_id"] == file_id
    assert len(stored_evidence(demo_database_url, openid)) == 1


async def test_an_expired_image_reaches_the_bot_with_evidence_error(
    serve: ServeFactory,
    fake_wechat: FakeWeChat,
    backend_url: str,
    demo_database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    served = await serve(reply_timeout=5, backend=backend_url)
    openid = new_openid()

    with caplog.at_level(logging.WARNING, logger="bot.channels.wechat"):
        reply = await served.say_as(
            openid, image_xml("expired-media-1", "http://mmbiz.qpic.cn/e.jpg", openid=openid)
        )

    assert reply == "收到：[图片]"  # the turn still happens: the bot says what went wrong
    [message] = served.bot.received
    assert message.metadata["wechat"]["evidence_error"] is True
    assert "evidence_file_id" not in message.metadata["wechat"]
    assert stored_evidence(demo_database_url, openid) == []
    assert "40007" in caplog.text
    assert openid not in caplog.text and "expired-media-1" not in caplog.text


async def test_an_unreachable_backend_gives_evidence_error(
    serve: ServeFactory, fake_wechat: FakeWeChat, caplog: pytest.LogCaptureFixture
) -> None:
    served = await serve(reply_timeout=5)  # NO_BACKEND
    with caplog.at_level(logging.WARNING, logger="bot.channels.wechat"):
        await served.say(image_xml("img-media-10", "http://mmbiz.qpic.cn/a.jpg"))
    [message] = served.bot.received
    assert message.metadata["wechat"]["evidence_error"] is True
    assert fake_wechat.media_calls == ["img-media-10"]
    assert OPENID not in caplog.text


@pytest.mark.parametrize(
    ("event", "key"),
    [("subscribe", "qrscene_event_EXPO2026"), ("SCAN", "event_EXPO2026")],
)
async def test_event_qr_scene_starts_registration_for_the_event(
    serve: ServeFactory, event: str, key: str
) -> None:
    served = await serve()
    await served.say(event_xml(event, key))
    [message] = served.bot.received
    assert message.text == '/register{"event_code": "EXPO2026"}'
    assert message.sender_id == OPENID


async def test_plain_subscribe_greets_and_unsubscribe_is_quiet(serve: ServeFactory) -> None:
    served = await serve()
    await served.say(event_xml("subscribe"))
    assert await served.say(event_xml("unsubscribe")) == SUCCESS
    assert served.bot.texts() == ["/greet"]


async def test_menu_click_maps_to_the_flow_intent(serve: ServeFactory) -> None:
    served = await serve()
    await served.say(event_xml("CLICK", "CREDIT_CHECK"))
    await served.say(event_xml("CLICK", "NO_SUCH_KEY"))
    assert served.bot.texts() == ["/credit_check", "/help"]


async def test_other_message_types_get_a_polite_answer(serve: ServeFactory) -> None:
    served = await serve()
    location = envelope(
        "location",
        "<Location_X>32.06</Location_X><Location_Y>118.79</Location_Y><Scale>15</Scale>"
        f"<Label><![CDATA[示范市]]></Label><MsgId>{new_msg_id()}</MsgId>",
    )
    assert "文字" in await served.say(location)
    assert served.bot.received == []


async def test_messages_outside_a_turn_go_through_custom_send(
    serve: ServeFactory, fake_wechat: FakeWeChat
) -> None:
    served = await serve()
    output = served.channel.get_output_channel()
    await output.send_response(
        OPENID, {"text": "您的异议工单已转交省级平台。", "buttons": BUTTONS[:1]}
    )
    assert fake_wechat.contents() == ["您的异议工单已转交省级平台。\n1. 实名注册\n请回复数字选择。"]
    await served.say(text_xml("1"))  # answering the notice's choice by number
    assert served.bot.texts() == ["/register"]


# --- configuration -----------------------------------------------------------------------------


def test_credentials_yml_registers_the_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.core.run import create_http_input_channels

    monkeypatch.setenv("WECHAT_TOKEN", "from-env")
    monkeypatch.setenv("WECHAT_API_BASE_URL", "http://127.0.0.1:1/")
    channels = create_http_input_channels(None, str(ROOT / "bot" / "credentials.yml"))
    [wechat] = [channel for channel in channels if channel.name() == "wechat"]
    assert isinstance(wechat, WeChatInput)
    assert wechat.config.token == "from-env"
    assert wechat.config.api_base_url == "http://127.0.0.1:1"
    assert "rest" in {channel.name() for channel in channels}


def test_credentials_entries_come_before_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECHAT_TOKEN", "from-env")
    monkeypatch.delenv("WECHAT_ENCODING_AES_KEY", raising=False)
    config = WeChatConfig.load({"token": "from-yml", "reply_timeout": 3})
    assert (config.token, config.reply_timeout, config.encoding_aes_key) == ("from-yml", 3.0, "")


def test_redis_of_the_lock_store_is_used_without_redis_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("REDIS_HOST", "redis")
    monkeypatch.setenv("REDIS_PASSWORD", "p@ss/word")
    monkeypatch.setenv("REDIS_DB", "1")
    assert WeChatConfig.load().redis_url == "redis://:p%40ss%2Fword@redis:6379/1"
