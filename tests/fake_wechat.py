"""A local fake of WeChat's API server, and WeChat's side of the webhook, for the tests.

The fake speaks the real endpoints the channel uses (``/cgi-bin/token``, custom send, media
download, QR create) and records every call; messages are built, signed and encrypted with
wechatpy's own crypto, the way WeChat posts them. ``tests/bot`` runs the fake on the test's event
loop; the end-to-end suite runs it in a thread of its own (``ThreadedFakeWeChat``) next to the live
stack.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import xmltodict
from aiohttp import web
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from tests.support import free_port

TOKEN = "test-token"
APP_ID = "wx0123456789abcdef"
APP_SECRET = "test-secret"
ACCOUNT = "gh_test_account"
OPENID = "oUSER-openid-0001"
# What the fake's media download answers: the first bytes of a JPEG, so content sniffing works.
MEDIA_BYTES = b"\xff\xd8\xff\xe0 fake jpeg evidence"


@dataclass
class FakeWeChat:
    url: str = ""
    token_calls: list[dict[str, str]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    media_calls: list[str] = field(default_factory=list)
    qrcodes: list[dict[str, Any]] = field(default_factory=list)
    valid_tokens: set[str] = field(default_factory=set)
    # Called (on the fake's own loop) with each custom-send message: the event-load benchmark
    # wakes the simulated user it was for instead of polling.
    on_send: Callable[[dict[str, Any]], None] | None = None

    async def wait_for_sends(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.sent) < count:
            assert time.monotonic() < deadline, f"{len(self.sent)} of {count} custom sends came"
            await asyncio.sleep(0.05)
        return self.sent

    def contents(self, openid: str | None = None) -> list[str]:
        return [
            message["text"]["content"]
            for message in list(self.sent)
            if openid is None or message["touser"] == openid
        ]

    def wait_for_content(self, openid: str, needle: str, timeout: float = 30) -> list[str]:
        """Blocks until a custom send to ``openid`` contains ``needle``; all sends to them."""
        deadline = time.monotonic() + timeout
        while True:
            contents = self.contents(openid)
            if any(needle in content for content in contents):
                return contents
            assert time.monotonic() < deadline, f"no custom send with {needle!r}: {contents}"
            time.sleep(0.1)


def fake_wechat_app(state: FakeWeChat) -> web.Application:
    def token_ok(request: web.Request) -> bool:
        return request.query.get("access_token") in state.valid_tokens

    invalid = web.json_response({"errcode": 40001, "errmsg": "invalid credential"})

    async def token(request: web.Request) -> web.Response:
        query = dict(request.query)
        state.token_calls.append(query)
        if (query.get("appid"), query.get("secret")) != (APP_ID, APP_SECRET):
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        issued = f"ACCESS-{len(state.token_calls)}"
        state.valid_tokens.add(issued)
        return web.json_response({"access_token": issued, "expires_in": 7200})

    async def custom_send(request: web.Request) -> web.Response:
        if not token_ok(request):
            return invalid
        # WeChat wants UTF-8 JSON; \\u escapes would show literally on the phone.
        raw = await request.read()
        assert b"\\u" not in raw
        message = json.loads(raw)
        state.sent.append(message)
        if state.on_send is not None:
            state.on_send(message)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def media_get(request: web.Request) -> web.Response:
        if not token_ok(request):
            return invalid
        media_id = request.query["media_id"]
        state.media_calls.append(media_id)
        if media_id.startswith("expired"):
            return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
        return web.Response(body=MEDIA_BYTES, content_type="image/jpeg")

    async def qrcode_create(request: web.Request) -> web.Response:
        if not token_ok(request):
            return invalid
        body = await request.json()
        state.qrcodes.append(body)
        number = len(state.qrcodes)
        return web.json_response(
            {
                "ticket": f"TICKET-{number}",
                "expire_seconds": body["expire_seconds"],
                "url": f"http://weixin.qq.com/q/fake-{number}",
            }
        )

    app = web.Application()
    app.router.add_get("/cgi-bin/token", token)
    app.router.add_post("/cgi-bin/message/custom/send", custom_send)
    app.router.add_get("/cgi-bin/media/get", media_get)
    app.router.add_post("/cgi-bin/qrcode/create", qrcode_create)
    return app


class ThreadedFakeWeChat:
    """The fake on an event loop of its own thread, for synchronous tests and the live stack."""

    def __init__(self) -> None:
        self.state = FakeWeChat()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    def __enter__(self) -> FakeWeChat:
        self._thread.start()
        port = free_port()
        asyncio.run_coroutine_threadsafe(self._start(port), self._loop).result(timeout=10)
        self.state.url = f"http://127.0.0.1:{port}"
        return self.state

    async def _start(self, port: int) -> None:
        self._runner = web.AppRunner(fake_wechat_app(self.state))
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()

    def __exit__(self, *exc: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


# --- WeChat's XML ------------------------------------------------------------------------------


def envelope(
    msg_type: str, fields: str, create_time: int | None = None, openid: str = OPENID
) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[{msg_type}]]></MsgType>{fields}</xml>"
    )


def new_msg_id() -> int:
    return uuid.uuid4().int % 10**18


def text_xml(content: str, msg_id: int | None = None, openid: str = OPENID) -> str:
    return envelope(
        "text",
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id or new_msg_id()}</MsgId>",
        openid=openid,
    )


def voice_xml(recognition: str | None, openid: str = OPENID) -> str:
    fields = "<MediaId><![CDATA[voice-media-1]]></MediaId><Format><![CDATA[amr]]></Format>"
    if recognition is not None:
        fields += f"<Recognition><![CDATA[{recognition}]]></Recognition>"
    return envelope("voice", f"{fields}<MsgId>{new_msg_id()}</MsgId>", openid=openid)


def image_xml(media_id: str, pic_url: str, openid: str = OPENID) -> str:
    return envelope(
        "image",
        f"<PicUrl><![CDATA[{pic_url}]]></PicUrl><MediaId><![CDATA[{media_id}]]></MediaId>"
        f"<MsgId>{new_msg_id()}</MsgId>",
        openid=openid,
    )


def event_xml(
    event: str, key: str | None = None, create_time: int | None = None, openid: str = OPENID
) -> str:
    fields = f"<Event><![CDATA[{event}]]></Event>"
    if key is not None:
        fields += f"<EventKey><![CDATA[{key}]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket>"
    return envelope(
        "event", fields, create_time or int(time.time()) + new_msg_id() % 1000, openid=openid
    )


def new_aes_key() -> str:
    return base64.b64encode(os.urandom(32)).decode().rstrip("=")


def sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def signed_request(
    xml: str, *, aes_key: str = "", bad_signature: bool = False
) -> tuple[dict[str, str], bytes]:
    """The query parameters and body WeChat posts for ``xml``, in plaintext or 安全模式."""
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
    params = {"timestamp": timestamp, "nonce": nonce}
    signature = sign(TOKEN, timestamp, nonce)
    params["signature"] = "0" * 40 if bad_signature and not aes_key else signature
    body = xml
    if aes_key:
        crypto = WeChatCrypto(TOKEN, aes_key, APP_ID)
        sealed = xmltodict.parse(crypto.encrypt_message(xml, nonce, timestamp))["xml"]
        # What WeChat posts in 安全模式: the account and the ciphertext.
        body = (
            f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<Encrypt><![CDATA[{sealed['Encrypt']}]]></Encrypt></xml>"
        )
        params["encrypt_type"] = "aes"
        params["msg_signature"] = "0" * 40 if bad_signature else sealed["MsgSignature"]
    return params, body.encode()


def passive_content(body: str, openid: str = OPENID, aes_key: str = "") -> str:
    """The text of a passive reply (decrypted in 安全模式), or "success"."""
    if body == "success":
        return body
    if aes_key:
        sealed = xmltodict.parse(body)["xml"]
        crypto = WeChatCrypto(TOKEN, aes_key, APP_ID)
        body = crypto.decrypt_message(
            body, sealed["MsgSignature"], sealed["TimeStamp"], sealed["Nonce"]
        )
    message = xmltodict.parse(body)["xml"]
    assert message["ToUserName"] == openid and message["FromUserName"] == ACCOUNT
    assert message["MsgType"] == "text"
    return message["Content"]
