"""WeChat Official Account (微信公众号) input channel.

WeChat pushes every user message to one URL as XML, signed with the account's token and, in
安全模式, AES-encrypted. The server has five seconds to answer or WeChat retries (three times), and
a passive answer carries exactly one message. So a turn is collected first: a reply ready within
``reply_timeout`` goes back passively; a slower one is answered with ``success`` and delivered
through the customer-service message API when the bot is done. Each MsgId is claimed before the
turn starts (Redis ``SET NX`` when ``REDIS_URL`` is set, so replicas share it), which makes
WeChat's retries harmless.

Configuration: ``WECHAT_TOKEN``, ``WECHAT_APP_ID``, ``WECHAT_APP_SECRET``,
``WECHAT_ENCODING_AES_KEY`` (安全模式 when set), ``WECHAT_API_BASE_URL``, ``REDIS_URL`` (or the
lock store's ``REDIS_HOST``/``REDIS_PORT``/``REDIS_PASSWORD``/``REDIS_DB``),
``WECHAT_REPLY_TIMEOUT``, and for images ``BACKEND_URL`` and ``SERVICE_TOKEN`` (the backend
that keeps them as evidence, as the action server reaches it); each may also be given in
credentials.yml under this channel.

An image is downloaded from WeChat and uploaded to the backend inside its turn, before the bot
sees it: WeChat deletes temporary media after three days, long before staff look at an
objection, so the evidence must be the bytes themselves. The bot gets the stored file's id in
``metadata["wechat"]["evidence_file_id"]``, or ``evidence_error: True`` when that failed.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    OutputChannel,
    UserMessage,
)
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import create_reply
from wechatpy.utils import check_signature

logger = logging.getLogger(__name__)

CHANNEL_NAME = "wechat"
DEFAULT_API_BASE_URL = "https://api.weixin.qq.com"
# The same defaults as the action server's backend client (actions/backend_client.py).
DEFAULT_BACKEND_URL = "http://127.0.0.1:8000"
DEFAULT_SERVICE_TOKEN = "dev-service-token"
# A download from WeChat and an upload to the backend, each; a slow one only moves the reply from
# the passive answer to customer-service send.
MEDIA_TIMEOUT_SECONDS = 10.0
# WeChat gives up after 5 s; 4 s leaves room for encryption and the network.
DEFAULT_REPLY_TIMEOUT = 4.0
# WeChat's limit for one text message (passive reply or customer-service message).
MAX_MESSAGE_BYTES = 2048
# WeChat retries within ~15 s; an hour is ample and cheap.
DEDUP_TTL_SECONDS = 3600
BUTTONS_TTL_SECONDS = 24 * 3600
# Refresh the access_token this long before WeChat says it expires.
TOKEN_REFRESH_MARGIN_SECONDS = 300
TOKEN_LOCK_SECONDS = 10
# Errors that mean "this access_token is no longer valid": fetch a new one and retry once.
TOKEN_INVALID_ERRCODES = {40001, 40014, 42001}

SUCCESS = "success"
ASK_FOR_TEXT = "抱歉，没有听清这段语音，请打字告诉我。"
UNSUPPORTED_MESSAGE = "抱歉，暂时只能处理文字、语音和图片消息，请打字告诉我您要办理的事项。"
BUTTONS_HINT = "请回复数字选择。"
TURN_FAILED = "抱歉，系统暂时繁忙，请稍后再发一次。"
# What the bot "hears" for an image; the stored evidence file's id (and the media id and URL)
# travel in the metadata, so an open objection can keep the image as evidence.
IMAGE_TEXT = "[图片]"

# Menu CLICK keys → the flow intents of the domain (PRODUCT.md's intent contract).
MENU_INTENTS: dict[str, str] = {
    "REGISTER": "register",
    "AUTHORIZE": "authorize",
    "QUERY_AUTHORIZATION": "query_authorization",
    "CREDIT_CHECK": "credit_check",
    "FILE_OBJECTION": "file_objection",
    "CREDIT_REPAIR": "credit_repair",
    "ASK_PRODUCTS": "ask_products",
    "QUERY_PROGRESS": "query_progress",
    "HUMAN_HANDOFF": "human_handoff",
    "HELP": "help",
}
# A QR scene naming a promotion event: ``event_<code>`` (WeChat adds ``qrscene_`` on subscribe).
EVENT_SCENE = re.compile(r"^(?:qrscene_)?event_(?P<code>[A-Za-z0-9_-]{1,60})$")
# An event code as the backend makes them (app/services/events.py); WeChat keeps a temporary
# QR code for at most 30 days.
_EVENT_CODE = re.compile(r"[a-z0-9]{1,16}")
QR_MAX_SECONDS = 30 * 86400
# Full-width digits count too: phones often type them.
_LIST_NUMBER = re.compile(r"(?m)^[ \t]*[0-9０-９]{1,2}[.、．)）](?![0-9０-９])\s*")
_CHOICE = re.compile(r"^\s*([0-9０-９]{1,2})\s*[.。、]?\s*$")


@dataclass
class WeChatConfig:
    token: str = ""
    app_id: str = ""
    app_secret: str = ""
    encoding_aes_key: str = ""
    api_base_url: str = DEFAULT_API_BASE_URL
    redis_url: str = ""
    reply_timeout: float = DEFAULT_REPLY_TIMEOUT
    # Keeps several accounts (or test runs) apart in one Redis.
    redis_prefix: str = "wechat:"
    # Where images are kept as evidence (POST /api/v1/evidence-files).
    backend_url: str = DEFAULT_BACKEND_URL
    service_token: str = DEFAULT_SERVICE_TOKEN

    @classmethod
    def load(cls, credentials: dict[str, Any] | None = None) -> WeChatConfig:
        """credentials.yml entries first, then environment variables."""
        credentials = credentials or {}

        def value(key: str, env: str, default: str = "") -> str:
            given = credentials.get(key)
            if given not in (None, ""):
                return str(given)
            return os.environ.get(env, default)

        return cls(
            token=value("token", "WECHAT_TOKEN"),
            app_id=value("app_id", "WECHAT_APP_ID"),
            app_secret=value("app_secret", "WECHAT_APP_SECRET"),
            encoding_aes_key=value("encoding_aes_key", "WECHAT_ENCODING_AES_KEY"),
            api_base_url=value("api_base_url", "WECHAT_API_BASE_URL", DEFAULT_API_BASE_URL).rstrip(
                "/"
            ),
            redis_url=value("redis_url", "REDIS_URL") or redis_url_from_parts(),
            reply_timeout=float(
                value("reply_timeout", "WECHAT_REPLY_TIMEOUT", str(DEFAULT_REPLY_TIMEOUT))
            ),
            redis_prefix=value("redis_prefix", "WECHAT_REDIS_PREFIX", "wechat:"),
            backend_url=value("backend_url", "BACKEND_URL", DEFAULT_BACKEND_URL).rstrip("/"),
            service_token=value("service_token", "SERVICE_TOKEN", DEFAULT_SERVICE_TOKEN),
        )


def redis_url_from_parts() -> str:
    """The lock store's Redis (REDIS_HOST, REDIS_PORT, REDIS_PASSWORD, REDIS_DB: the names of
    docker-compose.yml and the Helm chart) when no REDIS_URL is given, so replicas share state."""
    host = os.environ.get("REDIS_HOST", "")
    if not host:
        return ""
    password = os.environ.get("REDIS_PASSWORD", "")
    auth = f":{quote(password, safe='')}@" if password else ""
    port = os.environ.get("REDIS_PORT", "6379")
    return f"redis://{auth}{host}:{port}/{os.environ.get('REDIS_DB', '0')}"


# --- shared state: in Redis when configured (replicas share it), else in this process ----------


class StateStore:
    """Key-value state with expiry, and an atomic claim for deduplication."""

    async def claim(self, key: str, ttl: int, value: str = "1") -> bool:
        """Sets ``key`` only if it is absent; True when this caller got it."""
        raise NotImplementedError

    async def get(self, key: str) -> str | None:
        raise NotImplementedError

    async def set(self, key: str, value: str, ttl: int) -> None:
        raise NotImplementedError

    async def delete(self, key: str) -> None:
        raise NotImplementedError

    async def release(self, key: str, value: str) -> None:
        """Deletes ``key`` only while it still holds ``value`` (a lock we own)."""
        raise NotImplementedError


class MemoryStore(StateStore):
    def __init__(self) -> None:
        self._items: dict[str, tuple[str, float]] = {}
        self._pruned_at = 0.0

    def _prune(self) -> None:
        now = time.monotonic()
        expired = [k for k, (_, expires) in self._items.items() if expires <= now]
        for key in expired:
            del self._items[key]

    def _live(self, key: str) -> tuple[str, float] | None:
        # Expired entries are swept at most once a second, not on every call: the dict holds an
        # hour of message ids on a busy account.
        now = time.monotonic()
        if now - self._pruned_at > 1:
            self._pruned_at = now
            self._prune()
        item = self._items.get(key)
        if item and item[1] <= now:
            del self._items[key]
            return None
        return item

    async def claim(self, key: str, ttl: int, value: str = "1") -> bool:
        # No await between the check and the set: atomic within the event loop.
        if self._live(key):
            return False
        self._items[key] = (value, time.monotonic() + ttl)
        return True

    async def get(self, key: str) -> str | None:
        item = self._live(key)
        return item[0] if item else None

    async def set(self, key: str, value: str, ttl: int) -> None:
        self._items[key] = (value, time.monotonic() + ttl)

    async def delete(self, key: str) -> None:
        self._items.pop(key, None)

    async def release(self, key: str, value: str) -> None:
        if await self.get(key) == value:
            await self.delete(key)


class RedisStore(StateStore):
    """Shared by all replicas. If Redis is unreachable, this process's memory stands in (with a
    warning) rather than failing every message: the backend's idempotency keys still stop a
    second ticket, and WeChat users get an answer."""

    _RELEASE = (
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) "
        "else return 0 end"
    )

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis
        from redis.exceptions import ConnectionError, TimeoutError

        self._redis = redis.from_url(
            url, decode_responses=True, socket_timeout=2, socket_connect_timeout=2
        )
        self._unavailable = (ConnectionError, TimeoutError, OSError)
        self._fallback = MemoryStore()

    async def _do(self, command: Awaitable[Any], fallback: Awaitable[Any]) -> Any:
        try:
            result = await command
        except self._unavailable as error:
            logger.warning("Redis unavailable (%s): WeChat state kept in this process", error)
            return await fallback
        if asyncio.iscoroutine(fallback):
            fallback.close()  # not needed: discard without a "never awaited" warning
        return result

    async def claim(self, key: str, ttl: int, value: str = "1") -> bool:
        return bool(
            await self._do(
                self._redis.set(key, value, nx=True, ex=ttl),
                self._fallback.claim(key, ttl, value),
            )
        )

    async def get(self, key: str) -> str | None:
        return await self._do(self._redis.get(key), self._fallback.get(key))

    async def set(self, key: str, value: str, ttl: int) -> None:
        await self._do(self._redis.set(key, value, ex=ttl), self._fallback.set(key, value, ttl))

    async def delete(self, key: str) -> None:
        await self._do(self._redis.delete(key), self._fallback.delete(key))

    async def release(self, key: str, value: str) -> None:
        await self._do(
            self._redis.eval(self._RELEASE, 1, key, value), self._fallback.release(key, value)
        )

    async def close(self) -> None:
        await self._redis.close()


# --- the WeChat server API ----------------------------------------------------------------------


class WeChatApiError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat API error {errcode}: {errmsg}")
        self.errcode = errcode


class WeChatApi:
    """access_token, customer-service messages, media download and event QR codes."""

    def __init__(self, config: WeChatConfig, store: StateStore) -> None:
        self.config = config
        self.store = store
        self._token_key = f"{config.redis_prefix}access_token:{config.app_id}"
        self._lock_key = f"{self._token_key}:lock"
        # Within one process, one refresh at a time even without Redis.
        self._local_lock = asyncio.Lock()

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.config.api_base_url, timeout=10)

    async def access_token(self) -> str:
        if cached := await self.store.get(self._token_key):
            return cached
        async with self._local_lock:
            if cached := await self.store.get(self._token_key):
                return cached
            return await self._refresh_across_processes()

    async def _refresh_across_processes(self) -> str:
        # One process refreshes; the others wait for its token instead of fetching their own,
        # because every fetch invalidates the token the other replicas hold.
        owner = uuid.uuid4().hex
        deadline = time.monotonic() + TOKEN_LOCK_SECONDS
        while not await self.store.claim(self._lock_key, TOKEN_LOCK_SECONDS, owner):
            await asyncio.sleep(0.05)
            if cached := await self.store.get(self._token_key):
                return cached
            if time.monotonic() > deadline:
                break  # the lock holder died: fetch ourselves rather than hang
        try:
            token, expires_in = await self._fetch_token()
            # Expire early so the cached token is replaced before WeChat rejects it.
            ttl = max(expires_in - TOKEN_REFRESH_MARGIN_SECONDS, 60)
            await self.store.set(self._token_key, token, ttl)
            return token
        finally:
            await self.store.release(self._lock_key, owner)

    async def _fetch_token(self) -> tuple[str, int]:
        async with self._client() as client:
            reply = await client.get(
                "/cgi-bin/token",
                params={
                    "grant_type": "client_credential",
                    "appid": self.config.app_id,
                    "secret": self.config.app_secret,
                },
            )
        data = reply.json()
        if "access_token" not in data:
            raise WeChatApiError(int(data.get("errcode", -1)), str(data.get("errmsg", "")))
        return data["access_token"], int(data.get("expires_in", 7200))

    async def _call(
        self, method: str, path: str, payload: dict[str, Any] | None = None, **params: Any
    ) -> httpx.Response:
        for attempt in range(2):
            token = await self.access_token()
            # WeChat shows JSON escapes literally: send the JSON as UTF-8 text.
            body = None if payload is None else json.dumps(payload, ensure_ascii=False).encode()
            async with self._client() as client:
                reply = await client.request(
                    method,
                    path,
                    params={"access_token": token, **params},
                    content=body,
                    headers={"Content-Type": "application/json; charset=utf-8"} if body else None,
                )
            content_type = reply.headers.get("content-type", "")
            if "json" not in content_type and "text" not in content_type:
                return reply  # a media download: the bytes themselves
            data = reply.json()
            errcode = int(data.get("errcode", 0))
            if errcode in TOKEN_INVALID_ERRCODES and attempt == 0:
                # Drop only this token: another process may already have stored a fresh one.
                await self.store.release(self._token_key, token)
                continue
            if errcode:
                raise WeChatApiError(errcode, str(data.get("errmsg", "")))
            return reply
        raise AssertionError("unreachable")

    async def send_text(self, openid: str, text: str) -> None:
        await self._call(
            "POST",
            "/cgi-bin/message/custom/send",
            {"touser": openid, "msgtype": "text", "text": {"content": text}},
        )

    async def download_media(self, media_id: str) -> bytes:
        """A temporary media file (an image the user sent), e.g. to store as evidence."""
        reply = await self._call("GET", "/cgi-bin/media/get", media_id=media_id)
        return reply.content

    async def create_event_qrcode(self, event_code: str, expire_seconds: int = 30 * 86400) -> dict:
        """A temporary QR code whose scene starts registration for the event."""
        reply = await self._call(
            "POST",
            "/cgi-bin/qrcode/create",
            {
                "expire_seconds": expire_seconds,
                "action_name": "QR_STR_SCENE",
                "action_info": {"scene": {"scene_str": f"event_{event_code}"}},
            },
        )
        data = reply.json()
        data["url_to_show"] = (
            f"https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket={quote(data.get('ticket', ''))}"
        )
        return data


# --- the backend, which keeps images as evidence --------------------------------------------------


class EvidenceUploadError(Exception):
    """The backend did not store the file (refused it, or could not be reached)."""


class EvidenceStore:
    """Uploads a file a user sent to the backend, acting for that user as the action server
    does (service token, the chat user in headers: openids stay out of URLs and access logs)."""

    def __init__(self, config: WeChatConfig) -> None:
        self.config = config

    async def upload(self, openid: str, data: bytes) -> str:
        """The stored file's id. The same bytes from the same user give the same id again."""
        try:
            async with httpx.AsyncClient(
                base_url=self.config.backend_url, timeout=MEDIA_TIMEOUT_SECONDS
            ) as client:
                reply = await client.post(
                    "/api/v1/evidence-files",
                    content=data,
                    headers={
                        "Authorization": f"Bearer {self.config.service_token}",
                        "X-Chat-Channel": CHANNEL_NAME,
                        "X-Chat-User-Id": openid,
                        "Content-Type": "application/octet-stream",
                    },
                )
        except httpx.HTTPError as error:
            raise EvidenceUploadError(f"backend unreachable: {type(error).__name__}") from error
        if reply.status_code not in (200, 201):
            try:
                code = reply.json().get("code", "")
            except ValueError:
                code = ""
            raise EvidenceUploadError(f"backend answered {reply.status_code} {code}".strip())
        return str(reply.json()["id"])


# --- rendering the bot's messages as WeChat text ------------------------------------------------


def render_message(message: dict[str, Any]) -> tuple[str, list[str]]:
    """One bot message as text, and its button payloads in order ("1. xxx" ↔ payloads[0])."""
    parts: list[str] = []
    buttons = message.get("buttons") or message.get("quick_replies") or []
    if message.get("text"):
        text = str(message["text"]).strip()
        if buttons:
            # The choices' numbers must be the only ones on screen: a user reading "3. 信用自查"
            # in the text would answer 3 and get the third button instead.
            text = _LIST_NUMBER.sub("· ", text)
        parts.append(text)
    payloads: list[str] = []
    if buttons:
        lines = []
        for number, button in enumerate(buttons, start=1):
            title = button.get("title") or button.get("payload") or ""
            lines.append(f"{number}. {title}")
            payloads.append(str(button.get("payload") or title))
        lines.append(BUTTONS_HINT)
        parts.append("\n".join(lines))
    if message.get("image"):
        parts.append(f"图片：{message['image']}")
    if message.get("attachment"):
        parts.append(str(message["attachment"]))
    custom = message.get("custom")
    if isinstance(custom, dict) and custom.get("text"):
        parts.append(str(custom["text"]))
    return "\n".join(p for p in parts if p), payloads


def split_message(text: str, limit: int = MAX_MESSAGE_BYTES) -> list[str]:
    """Splits on line boundaries into pieces of at most ``limit`` UTF-8 bytes; a single line
    longer than that is cut between characters."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line.encode()) > limit:
            cut = len(line.encode()[:limit].decode("utf-8", errors="ignore"))
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate.encode()) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        chunks.append(current)
    return [chunk for chunk in chunks if chunk.strip()]


def render_turn(messages: Iterable[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """All the bot's messages of one turn: the WeChat messages to send, and the last buttons."""
    texts: list[str] = []
    payloads: list[str] = []
    for message in messages:
        text, message_payloads = render_message(message)
        if text:
            texts.append(text)
        if message_payloads:
            payloads = message_payloads
    return split_message("\n\n".join(texts)), payloads


class WeChatCollector(CollectingOutputChannel):
    """Collects one turn's replies, to be sent passively or through the custom-service API."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME


class WeChatOutput(OutputChannel):
    """Sends straight through the customer-service message API: for messages outside a turn
    (ticket status changes, reminders) that Rasa sends on its own."""

    def __init__(
        self,
        api: WeChatApi,
        remember_buttons: Callable[[str, list[str]], Awaitable[None]] | None = None,
    ) -> None:
        self.api = api
        self.remember_buttons = remember_buttons

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        chunks, payloads = render_turn([message])
        for chunk in chunks:
            await self.api.send_text(recipient_id, chunk)
        if payloads and self.remember_buttons:
            # The user answers a notice's choices by number too.
            await self.remember_buttons(recipient_id, payloads)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})


# --- the input channel --------------------------------------------------------------------------


@dataclass
class Inbound:
    """What one WeChat push becomes: a bot message, a direct answer, or nothing."""

    dedup_key: str
    text: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    direct_reply: str | None = None


class WeChatInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WeChatInput:
        return cls(WeChatConfig.load(credentials))

    def __init__(self, config: WeChatConfig | None = None) -> None:
        self.config = config or WeChatConfig.load()
        self.store: StateStore = (
            RedisStore(self.config.redis_url) if self.config.redis_url else MemoryStore()
        )
        self.api = WeChatApi(self.config, self.store)
        self.evidence = EvidenceStore(self.config)
        self.crypto: WeChatCrypto | None = None
        if self.config.encoding_aes_key:
            if len(self.config.encoding_aes_key) != 43:
                # wechatpy would fail with a bare assertion; say what is wrong at start-up.
                raise ValueError("WECHAT_ENCODING_AES_KEY must be the 43 characters WeChat shows")
            self.crypto = WeChatCrypto(
                self.config.token, self.config.encoding_aes_key, self.config.app_id
            )
        # Background turns must be referenced or the loop may drop them.
        self._background: set[asyncio.Task] = set()
        if not self.config.token:
            # Not an error: `make run` loads every channel of credentials.yml, also on machines
            # with no Official Account. The webhook then refuses everything.
            logger.warning("WECHAT_TOKEN is not set: the WeChat channel refuses all requests.")

    def get_output_channel(self) -> OutputChannel:
        return WeChatOutput(self.api, self._remember_buttons)

    async def _remember_buttons(self, openid: str, payloads: list[str]) -> None:
        # Numbers answer only the latest buttons: a turn without buttons forgets the old ones.
        if payloads:
            await self.store.set(
                self._buttons_key(openid),
                json.dumps(payloads, ensure_ascii=False),
                BUTTONS_TTL_SECONDS,
            )
        else:
            await self.store.delete(self._buttons_key(openid))

    async def wait_for_background(self) -> None:
        """Waits for turns still being delivered through the customer-service API (tests)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    # -- request checks

    def _signature_ok(self, request: Request) -> bool:
        args = request.args
        try:
            check_signature(
                self.config.token,
                args.get("signature", ""),
                args.get("timestamp", ""),
                args.get("nonce", ""),
            )
        except InvalidSignatureException:
            return False
        return True

    def _decode_body(self, request: Request) -> str | None:
        """The message XML in plain text, or None when the request is not WeChat's."""
        args = request.args
        body = request.body.decode("utf-8", errors="replace")
        if args.get("encrypt_type") == "aes":
            if self.crypto is None:
                return None
            try:
                return self.crypto.decrypt_message(
                    body,
                    args.get("msg_signature", ""),
                    args.get("timestamp", ""),
                    args.get("nonce", ""),
                )
            except (InvalidSignatureException, InvalidAppIdException):
                return None
        # Plaintext: the URL signature proves it came from WeChat.
        return body if self._signature_ok(request) else None

    def _encode_reply(self, request: Request, xml: str) -> str:
        if request.args.get("encrypt_type") == "aes" and self.crypto is not None:
            return self.crypto.encrypt_message(
                xml, request.args.get("nonce", ""), request.args.get("timestamp") or None
            )
        return xml

    # -- from WeChat message to bot message

    async def _inbound(self, message: Any) -> Inbound:
        openid = message.source
        meta: dict[str, Any] = {
            "wechat": {
                "msg_type": message.type,
                "msg_id": message.id or None,
                "create_time": message.time,
                "to_user": message.target,
            }
        }
        if message.type == "event":
            key = f"{openid}:{message.time}"
            return self._inbound_event(message, key, meta)
        key = str(message.id) if message.id else f"{openid}:{message.time}"
        if message.type == "text":
            return Inbound(key, await self._choice_or_text(openid, message.content), meta)
        if message.type == "voice":
            meta["wechat"].update(media_id=message.media_id, format=message.format)
            recognition = (message.recognition or "").strip().rstrip("。")
            if not recognition:
                return Inbound(key, direct_reply=ASK_FOR_TEXT)
            return Inbound(key, await self._choice_or_text(openid, recognition), meta)
        if message.type == "image":
            meta["wechat"].update(media_id=message.media_id, pic_url=message.image)
            return Inbound(key, IMAGE_TEXT, meta)
        return Inbound(key, direct_reply=UNSUPPORTED_MESSAGE)

    def _inbound_event(self, message: Any, key: str, meta: dict[str, Any]) -> Inbound:
        event = message.event
        meta["wechat"]["event"] = event
        if event in ("subscribe", "subscribe_scan", "scan"):
            scene = getattr(message, "scene_id", None) or getattr(message, "key", None) or ""
            meta["wechat"]["scene"] = scene
            match = EVENT_SCENE.match(scene)
            if match:
                code = match.group("code")
                entities = json.dumps({"event_code": code}, ensure_ascii=False)
                return Inbound(key, f"/register{entities}", meta)
            if event == "scan":
                return Inbound(key)  # a known follower scanned a non-event code: nothing to do
            return Inbound(key, "/greet", meta)
        if event == "click":
            intent = MENU_INTENTS.get((message.key or "").upper(), "help")
            meta["wechat"]["key"] = message.key
            return Inbound(key, f"/{intent}", meta)
        # unsubscribe (the user can no longer be written to), VIEW, LOCATION …: no turn.
        return Inbound(key)

    async def _choice_or_text(self, openid: str, text: str) -> str:
        """A reply that is only a number picks that button of the last message."""
        # Rasa reads "/intent{...}" as a ready-made intent with entities; users must not be
        # able to type one (e.g. an event_code or a USCC), only buttons may.
        text = text.lstrip("/") or "？"
        match = _CHOICE.match(text)
        if not match:
            return text
        stored = await self.store.get(self._buttons_key(openid))
        if not stored:
            return text
        number = int(match.group(1).translate(str.maketrans("０１２３４５６７８９", "0123456789")))
        payloads = json.loads(stored)
        if 1 <= number <= len(payloads):
            return payloads[number - 1]
        return text

    def _buttons_key(self, openid: str) -> str:
        return f"{self.config.redis_prefix}buttons:{openid}"

    def _dedup_key(self, key: str) -> str:
        return f"{self.config.redis_prefix}msg:{key}"

    def _reply_key(self, key: str) -> str:
        return f"{self.config.redis_prefix}reply:{key}"

    # -- the turn

    async def _run_turn(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        openid: str,
        inbound: Inbound,
        collector: WeChatCollector,
    ) -> tuple[list[str], list[str]]:
        try:
            await self._keep_image(openid, inbound)
            await on_new_message(
                UserMessage(
                    inbound.text,
                    collector,
                    openid,
                    input_channel=CHANNEL_NAME,
                    message_id=inbound.dedup_key,
                    metadata=inbound.metadata,
                )
            )
        except Exception:
            logger.exception("WeChat turn failed for %s", inbound.dedup_key)
            if not collector.messages:
                # Silence would look like a lost message; the user should know to try again.
                collector.messages.append({"text": TURN_FAILED})
        chunks, payloads = render_turn(collector.messages)
        await self._remember_buttons(openid, payloads)
        return chunks, payloads

    async def _keep_image(self, openid: str, inbound: Inbound) -> None:
        """Stores an image the user sent in the backend, before the bot sees it. Every image is
        kept, not only those sent while an objection asks for evidence: the channel does not know
        the dialogue's state, and the turn is the only time the media can still be fetched.
        Runs inside the turn, after the MsgId was claimed, so a retry never uploads again."""
        wechat = inbound.metadata.get("wechat") or {}
        media_id = wechat.get("media_id")
        if wechat.get("msg_type") != "image" or not media_id:
            return
        try:
            data = await self.api.download_media(media_id)
            wechat["evidence_file_id"] = await self.evidence.upload(openid, data)
        except Exception as error:
            # Whatever went wrong (WeChat refused or garbled the download, the backend is down),
            # the user's turn goes on and the bot says the image was not saved. The log holds
            # the MsgId and the reason only: no openid, media id or image; our own errors' texts
            # are written not to contain them, other exceptions are named by type.
            ours = isinstance(error, WeChatApiError | EvidenceUploadError)
            logger.warning(
                "WeChat image of message %s not kept as evidence: %s",
                wechat.get("msg_id"),
                error if ours else type(error).__name__,
            )
            wechat["evidence_error"] = True

    async def _deliver_later(self, openid: str, turn: asyncio.Task, key: str) -> None:
        try:
            chunks, _ = await turn
            for chunk in chunks:
                await self.api.send_text(openid, chunk)
        except Exception:
            logger.exception("WeChat delivery through custom send failed for %s", key)

    def _spawn(self, coroutine: Awaitable[Any]) -> asyncio.Task:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _handle(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        xml = self._decode_body(request) if self.config.token else None
        if xml is None:
            return response.text("forbidden", status=403)
        try:
            message = parse_message(xml)
        except Exception:
            return response.text("bad request", status=400)
        if message is None or not message.source:
            return response.text("bad request", status=400)

        inbound = await self._inbound(message)
        # Claimed before any work, so a retry arriving mid-turn never starts a second one.
        if not await self.store.claim(self._dedup_key(inbound.dedup_key), DEDUP_TTL_SECONDS):
            earlier = await self.store.get(self._reply_key(inbound.dedup_key))
            if earlier:
                return response.text(
                    self._encode_reply(request, earlier), content_type="application/xml"
                )
            return response.text(SUCCESS)

        if inbound.direct_reply:
            return await self._reply_passively(request, message, inbound, inbound.direct_reply)
        if inbound.text is None:
            return response.text(SUCCESS)

        collector = WeChatCollector()
        turn = self._spawn(self._run_turn(on_new_message, message.source, inbound, collector))
        done, _ = await asyncio.wait({turn}, timeout=self.config.reply_timeout)
        if done:
            chunks, _ = turn.result()
            if not chunks:
                return response.text(SUCCESS)
            if len(chunks) == 1:
                return await self._reply_passively(request, message, inbound, chunks[0])
            # A passive reply carries one message; several go out in order through custom send.
            self._spawn(self._deliver_later(message.source, turn, inbound.dedup_key))
            return response.text(SUCCESS)
        self._spawn(self._deliver_later(message.source, turn, inbound.dedup_key))
        return response.text(SUCCESS)

    async def _reply_passively(
        self, request: Request, message: Any, inbound: Inbound, text: str
    ) -> HTTPResponse:
        xml = create_reply(text, message, render=True)
        # A retry of this message (the passive reply got lost) gets the same answer.
        await self.store.set(self._reply_key(inbound.dedup_key), xml, DEDUP_TTL_SECONDS)
        return response.text(self._encode_reply(request, xml), content_type="application/xml")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"wechat_webhook_{id(self)}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            # WeChat's URL check when the server address is saved in the console.
            if not self.config.token or not self._signature_ok(request):
                return response.text("forbidden", status=403)
            return response.text(request.args.get("echostr", ""))

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self._handle(request, on_new_message)

        @webhook.route("/qrcodes", methods=["POST"])
        async def create_qrcode(request: Request) -> HTTPResponse:
            return await self._create_event_qrcode(request)

        return webhook

    async def _create_event_qrcode(self, request: Request) -> HTTPResponse:
        """For the backend only (service token; nginx does not expose it): a promotion event's
        temporary QR code. Made here because this channel holds the access_token, and a second
        process fetching its own would invalidate this one."""
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not given or not hmac.compare_digest(given.encode(), self.config.service_token.encode()):
            return response.json({"code": "unauthorized", "message": "需要服务令牌。"}, status=401)
        if not (self.config.token and self.config.app_id and self.config.app_secret):
            return response.json(
                {"code": "wechat_not_configured", "message": "未配置微信公众号。"}, status=503
            )
        body = request.json if isinstance(request.json, dict) else {}
        code = str(body.get("event_code") or "")
        seconds = body.get("expire_seconds")
        if not _EVENT_CODE.fullmatch(code) or not isinstance(seconds, int):
            return response.json(
                {"code": "invalid_input", "message": "活动码或有效期不正确。"}, 400
            )
        try:
            data = await self.api.create_event_qrcode(code, max(60, min(seconds, QR_MAX_SECONDS)))
        except (httpx.HTTPError, WeChatApiError) as error:
            logger.warning("WeChat QR code for event %s failed: %s", code, error)
            data = {}
        if not data.get("ticket") or not data.get("url"):
            return response.json(
                {"code": "wechat_unavailable", "message": "微信暂时无法生成二维码。"}, status=502
            )
        return response.json(
            {
                "ticket": data["ticket"],
                "url": data["url"],
                "expire_seconds": data.get("expire_seconds", seconds),
            }
        )
