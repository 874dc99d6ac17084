"""SMS verification codes: 6 digits, 5-minute expiry, at most 5 wrong tries, a 60 s resend
cool-down per phone, only a hash stored, mobile numbers `1[3-9]\\d{9}`; the provider interface with
the development outbox as default, readable at GET /api/v1/dev/sms-outbox; phones never logged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.deps import get_session
from app.core.config import Settings
from app.errors import AppError
from app.main import create_app
from app.models import SmsCode, SmsOutboxMessage
from app.seed import DemoEnterprise
from app.services import sms

SENT = datetime(2026, 6, 30, 2, 0, tzinfo=UTC)
PHONE = "13812345678"
CHAT = {"channel": "wechat", "user_id": "oSms0001"}
HEADERS = {"X-Chat-Channel": "wechat", "X-Chat-User-Id": "oSms0001"}


class RecordingProvider:
    """A stand-in for a real SMS gateway (SMS_PROVIDER=test_sms_codes:RecordingProvider)."""

    sent: list[tuple[str, str]] = []  # noqa: RUF012 (shared on purpose: the app builds its own)

    def send(self, session: Session, phone: str, text: str, *, now: datetime) -> None:
        RecordingProvider.sent.append((phone, text))


def _send(session: Session, at: datetime = SENT, phone: str = PHONE, **chat: str) -> str:
    """Sends a code at `at` and returns it, read from the development outbox."""
    sms.send_code(
        session,
        sms.DevOutboxProvider(),
        phone=phone,
        platform_name="示范平台",
        now=at,
        **{**CHAT, **chat},
    )
    latest = sms.outbox(session, phone)[0]
    code = sms.code_in(latest.text)
    assert code is not None
    return code


def _verify(session: Session, code: str, at: datetime, phone: str = PHONE, **chat: str):
    """verify_code as registration uses it: the error a refusal answers with."""
    try:
        sms.verify_code(session, phone=phone, code=code, now=at, **{**CHAT, **chat})
    except sms.SmsCodeRejected as rejected:
        session.rollback()
        return rejected.settle(session)
    session.commit()
    return None


def _other(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_a_code_is_six_digits_and_only_its_hash_is_stored(session: Session) -> None:
    code = _send(session)
    assert len(code) == 6 and code.isdigit()
    stored = session.scalars(select(SmsCode)).one()
    assert code not in (stored.code_hash + stored.salt)
    assert len(stored.code_hash) == 64
    assert stored.expires_at.replace(tzinfo=UTC) == SENT + timedelta(minutes=5)
    message = session.scalars(select(SmsOutboxMessage)).one()
    assert message.phone == PHONE
    assert "示范平台" in message.text and code in message.text and "5分钟" in message.text


def test_codes_expire_after_five_minutes(session: Session) -> None:
    code = _send(session)
    expired = _verify(session, code, SENT + timedelta(minutes=5))
    assert isinstance(expired, AppError) and expired.code == "sms_code_expired"
    assert "过期" in expired.message
    assert _verify(session, code, SENT + timedelta(minutes=4, seconds=59)) is None


def test_five_wrong_tries_kill_the_code(session: Session) -> None:
    code = _send(session)
    wrong = _other(code)
    for left in (4, 3, 2, 1):
        error = _verify(session, wrong, SENT + timedelta(seconds=10))
        assert error.code == "sms_code_wrong"
        assert error.body()["tries_left"] == left
        assert f"还可以再试{left}次" in error.message
    locked = _verify(session, wrong, SENT + timedelta(seconds=10))
    assert locked.code == "sms_code_locked"
    assert locked.body()["tries_left"] == 0
    assert "重新获取" in locked.message
    # Dead: even the right code no longer works.
    assert _verify(session, code, SENT + timedelta(seconds=20)).code == "sms_code_locked"
    assert session.scalars(select(SmsCode)).one().failed_attempts == 5

    # A new code (after the cool-down) works again.
    fresh = _send(session, at=SENT + timedelta(seconds=61))
    assert _verify(session, fresh, SENT + timedelta(seconds=70)) is None


def test_the_right_code_after_four_wrong_tries_is_accepted(session: Session) -> None:
    code = _send(session)
    for _ in range(4):
        assert _verify(session, _other(code), SENT).code == "sms_code_wrong"
    assert _verify(session, code, SENT) is None


def test_a_code_is_used_once(session: Session) -> None:
    code = _send(session)
    assert _verify(session, code, SENT) is None
    again = _verify(session, code, SENT + timedelta(seconds=1))
    assert again.code == "sms_code_expired"
    assert "使用过" in again.message


def test_resend_cool_down_is_sixty_seconds_per_phone(session: Session) -> None:
    first = _send(session)
    for after, wait in ((1, 59), (30, 30), (59, 1)):
        with pytest.raises(AppError) as refused:
            _send(session, at=SENT + timedelta(seconds=after))
        assert refused.value.code == "sms_cooldown"
        assert refused.value.status_code == 429
        assert refused.value.body()["retry_after_seconds"] == wait
        assert f"{wait}秒后" in refused.value.message
        assert refused.value.headers == {"Retry-After": str(wait)}
        session.rollback()
    # Another phone is not held up.
    _send(session, phone="13912345678")
    # After 60 s a new code replaces the old one.
    second = _send(session, at=SENT + timedelta(seconds=60))
    if second != first:
        assert _verify(session, first, SENT + timedelta(seconds=61)).code == "sms_code_wrong"
    assert _verify(session, second, SENT + timedelta(seconds=62)) is None


def test_a_code_belongs_to_the_chat_user_who_asked_for_it(session: Session) -> None:
    code = _send(session)
    error = _verify(session, code, SENT, user_id="oSomeoneElse")
    assert error.code == "sms_code_not_sent"
    assert _verify(session, "123456", SENT, phone="13700000000").code == "sms_code_not_sent"
    assert _verify(session, code, SENT) is None


# ------------------------------------------------------------------------------------ HTTP


@pytest.fixture
def clock(app: FastAPI) -> Callable[[datetime], None]:
    from app.api.deps import get_now

    def set_time(moment: datetime) -> None:
        app.dependency_overrides[get_now] = lambda: moment

    set_time(SENT)
    return set_time


def test_send_endpoint(client: TestClient, clock, session: Session) -> None:
    response = client.post(
        "/api/v1/registrations/sms-codes", json={"phone": "+86 138-1234-5678"}, headers=HEADERS
    )
    assert response.status_code == 202
    assert response.json() == {
        "phone": "138****5678",
        "expires_at": "2026-06-30T02:05:00Z",
        "expires_in_seconds": 300,
        "resend_after_seconds": 60,
        "max_attempts": 5,
    }
    assert session.scalars(select(SmsCode)).one().phone == PHONE

    clock(SENT + timedelta(seconds=15))
    again = client.post("/api/v1/registrations/sms-codes", json={"phone": PHONE}, headers=HEADERS)
    assert again.status_code == 429
    assert again.headers["retry-after"] == "45"
    body = again.json()
    assert body["code"] == "sms_cooldown"
    assert body["retry_after_seconds"] == 45
    assert "45秒后" in body["message"]


@pytest.mark.parametrize(
    ("phone", "words"),
    [
        ("12812345678", "手机号格式不正确"),
        ("138123456789", "手机号格式不正确"),
        ("1381234567x", "手机号格式不正确"),
        ("", "手机号不能为空"),
        (13812345678, "手机号的类型或取值不正确"),
        (None, "缺少手机号"),
    ],
)
def test_send_refuses_a_bad_phone(client: TestClient, phone, words: str) -> None:
    body = {} if phone is None else {"phone": phone}
    response = client.post("/api/v1/registrations/sms-codes", json=body, headers=HEADERS)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert response.json()["fields"] == ["phone"]
    assert words in response.json()["message"], response.json()["message"]


@pytest.mark.parametrize("content", [b"not json", b"[]", b""])
def test_send_refuses_unparseable_bodies(client: TestClient, content: bytes) -> None:
    response = client.post(
        "/api/v1/registrations/sms-codes",
        content=content,
        headers={"Content-Type": "application/json", **HEADERS},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


def test_send_needs_the_chat_user(client: TestClient) -> None:
    response = client.post("/api/v1/registrations/sms-codes", json={"phone": PHONE})
    assert response.status_code == 422
    assert "缺少渠道" in response.json()["message"]


def test_dev_outbox_endpoint(client: TestClient, anon_client: TestClient, clock) -> None:
    client.post("/api/v1/registrations/sms-codes", json={"phone": PHONE}, headers=HEADERS)
    response = client.get("/api/v1/dev/sms-outbox", params={"phone": PHONE})
    assert response.status_code == 200
    [item] = response.json()["items"]
    assert item["phone"] == "138****5678"
    assert len(item["code"]) == 6 and item["code"] in item["text"]
    assert item["sent_at"] == "2026-06-30T02:00:00Z"
    assert client.get("/api/v1/dev/sms-outbox", params={"phone": "13900000000"}).json() == {
        "items": []
    }
    assert anon_client.get("/api/v1/dev/sms-outbox", params={"phone": PHONE}).status_code == 401
    bad = client.get("/api/v1/dev/sms-outbox", params={"phone": "12345"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_input"


def test_another_provider_closes_the_dev_outbox(settings: Settings, session: Session) -> None:
    custom = settings.model_copy(update={"sms_provider": "test_sms_codes:RecordingProvider"})
    application = create_app(custom)
    application.dependency_overrides[get_session] = lambda: session
    RecordingProvider.sent.clear()
    with TestClient(application, headers={"Authorization": "Bearer test-service-token"}) as client:
        sent = client.post(
            "/api/v1/registrations/sms-codes", json={"phone": PHONE}, headers=HEADERS
        )
        assert sent.status_code == 202
        assert [phone for phone, _ in RecordingProvider.sent] == [PHONE]
        assert session.scalars(select(SmsOutboxMessage)).all() == []
        closed = client.get("/api/v1/dev/sms-outbox", params={"phone": PHONE})
        assert closed.status_code == 404
        assert closed.json()["code"] == "not_found"


def test_a_wrong_provider_stops_the_start_up(settings: Settings) -> None:
    for name in ("no_such_module:Provider", "app.services.sms:Nothing", "not-a-path"):
        with pytest.raises(ValueError, match="SMS_PROVIDER"):
            create_app(settings.model_copy(update={"sms_provider": name}))
    assert isinstance(sms.load_provider("dev_outbox"), sms.SmsProvider)


# --------------------------------------------------------------- through registration (HTTP)


def _register(client: TestClient, demo: DemoEnterprise, code: str, phone: str = PHONE):
    body = {
        "uscc": demo.uscc,
        "enterprise_name": demo.name,
        "person_name": demo.legal_representative,
        "role": "法定代表人",
        "phone": phone,
        "sms_code": code,
    }
    return client.post("/api/v1/registrations", json=body, headers=HEADERS)


def _code_by_http(client: TestClient, phone: str = PHONE) -> str:
    sent = client.post("/api/v1/registrations/sms-codes", json={"phone": phone}, headers=HEADERS)
    assert sent.status_code == 202, sent.text
    return client.get("/api/v1/dev/sms-outbox", params={"phone": phone}).json()["items"][0]["code"]


def test_registration_answers_each_sms_refusal(
    client: TestClient, clock, demo_city: tuple[DemoEnterprise, ...]
) -> None:
    green = demo_city[0]
    not_sent = _register(client, green, "123456")
    assert not_sent.status_code == 422
    assert not_sent.json()["code"] == "sms_code_not_sent"

    code = _code_by_http(client)
    wrong = _register(client, green, _other(code))
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "sms_code_wrong"
    assert wrong.json()["tries_left"] == 4
    assert wrong.json()["fields"] == ["sms_code"]
    for _ in range(3):
        _register(client, green, _other(code))
    locked = _register(client, green, _other(code))
    assert locked.json()["code"] == "sms_code_locked"
    assert _register(client, green, code).json()["code"] == "sms_code_locked"

    clock(SENT + timedelta(minutes=2))
    code = _code_by_http(client)
    clock(SENT + timedelta(minutes=7))
    expired = _register(client, green, code)
    assert expired.status_code == 422
    assert expired.json()["code"] == "sms_code_expired"

    clock(SENT + timedelta(minutes=8))
    code = _code_by_http(client)
    assert _register(client, green, f" {code[:3]} {code[3:]} ").status_code == 201


def test_phone_numbers_never_reach_the_log(
    client: TestClient, demo_city: tuple[DemoEnterprise, ...], capsys: pytest.CaptureFixture
) -> None:
    code = _code_by_http(client)
    _register(client, demo_city[0], _other(code))
    assert _register(client, demo_city[0], code).status_code == 201
    captured = capsys.readouterr()
    logged = captured.out + captured.err
    assert "sms.code_sent" in logged  # the log is there …
    assert PHONE not in logged and PHONE[-4:] not in logged  # … without the phone
    assert code not in logged


def test_the_access_log_masks_phone_numbers_in_query_strings(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    """uvicorn logs request lines with their query: the dev outbox's ?phone= must not leak."""
    import logging

    access = logging.getLogger("uvicorn.access")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        access.info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5000",
            "GET",
            f"/api/v1/dev/sms-outbox?phone={PHONE}",
            "1.1",
            200,
        )
    assert PHONE not in caplog.text
    assert "phone=138****5678" in caplog.text
