"""The same registration delivered twice at the same time (WeChat retries, a busy event QR code):
real requests in threads, each in its own transaction with real commits, on both databases — one
binding, one registration, and identical replies."""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.main import create_app
from app.models import (
    Binding,
    ChatUser,
    Enterprise,
    IdempotencyRecord,
    Registration,
    RegistryEntity,
    SmsCode,
    SmsOutboxMessage,
)
from app.services import sms
from app.uscc import USCC_CHARSET, compute_check_char

NAME = "示范市并发测试科技有限公司"
PERSON = "周并发"
PHONE = "13655550000"


@dataclass(frozen=True)
class Committed:
    channel: str
    uscc: str
    app: FastAPI


@pytest.fixture
def committed(engine: Engine, settings: Settings) -> Iterator[Committed]:
    """A registry entity that really commits, an app whose requests each get their own session
    on the test database, and a clean-up of every row the test made."""
    channel = f"c{uuid.uuid4().hex[:10]}"
    # A code of its own, so it never meets the seeded registry of other tests.
    prefix = "91329999MA1" + "".join(secrets.choice(USCC_CHARSET) for _ in range(6))
    uscc = prefix + compute_check_char(prefix)
    with Session(engine) as setup:
        setup.add(
            RegistryEntity(
                uscc=uscc,
                name=NAME,
                legal_representative=PERSON,
                entity_type="有限责任公司",
                industry="信息传输、软件和信息技术服务业",
                scale="小型",
                established_on=date(2020, 1, 1),
                address="示范市",
                registration_authority="示范市市场监督管理局",
                status="存续",
                tags=[],
                white_listed=False,
            )
        )
        setup.commit()
    app = create_app(settings)
    # Each request its own session and transaction on the test database (search path included).
    app.state.session_factory = sessionmaker(bind=engine, expire_on_commit=False)
    yield Committed(channel, uscc, app)

    with Session(engine) as cleanup:
        users = select(ChatUser.id).where(ChatUser.channel == channel)
        bindings = select(Binding.id).where(Binding.chat_user_id.in_(users))
        cleanup.execute(delete(IdempotencyRecord).where(IdempotencyRecord.key.like(f"{channel}%")))
        cleanup.execute(delete(Registration).where(Registration.binding_id.in_(bindings)))
        cleanup.execute(delete(Binding).where(Binding.chat_user_id.in_(users)))
        cleanup.execute(delete(SmsCode).where(SmsCode.chat_user_id.in_(users)))
        cleanup.execute(delete(SmsOutboxMessage).where(SmsOutboxMessage.phone == PHONE))
        cleanup.execute(delete(ChatUser).where(ChatUser.channel == channel))
        cleanup.execute(delete(Enterprise).where(Enterprise.uscc == uscc))
        cleanup.execute(delete(RegistryEntity).where(RegistryEntity.uscc == uscc))
        cleanup.commit()


def _deliver_concurrently(
    committed: Committed, deliveries: int, idempotency_key: str | None
) -> list[tuple[int, dict]]:
    headers = {
        "Authorization": "Bearer test-service-token",
        "X-Chat-Channel": committed.channel,
        "X-Chat-User-Id": "oRace",
    }
    setup = TestClient(committed.app, headers=headers)
    assert setup.post("/api/v1/registrations/sms-codes", json={"phone": PHONE}).status_code == 202
    outbox = setup.get("/api/v1/dev/sms-outbox", params={"phone": PHONE}).json()
    body = {
        "uscc": committed.uscc,
        "enterprise_name": NAME,
        "person_name": PERSON,
        "role": "法定代表人",
        "phone": PHONE,
        "sms_code": outbox["items"][0]["code"],
    }
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key

    barrier = threading.Barrier(deliveries)
    replies: list[tuple[int, dict]] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        client = TestClient(committed.app, headers=headers)
        try:
            barrier.wait()
            response = client.post("/api/v1/registrations", json=body)
            replies.append((response.status_code, response.json()))
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=deliver) for _ in range(deliveries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(replies) == deliveries
    return replies


def _rows(engine: Engine, committed: Committed) -> tuple[int, int, int]:
    with Session(engine) as check:
        users = select(ChatUser.id).where(ChatUser.channel == committed.channel)
        return (
            check.scalar(select(func.count()).where(Binding.chat_user_id.in_(users))) or 0,
            check.scalar(
                select(func.count())
                .select_from(Registration)
                .join(Binding)
                .where(Binding.chat_user_id.in_(users))
            )
            or 0,
            check.scalar(select(func.count()).where(Enterprise.uscc == committed.uscc)) or 0,
        )


@pytest.mark.parametrize("deliveries", [2, 6])
def test_the_same_registration_at_the_same_time(
    engine: Engine, committed: Committed, deliveries: int
) -> None:
    replies = _deliver_concurrently(committed, deliveries, f"{committed.channel}-key")
    assert len({repr(reply) for reply in replies}) == 1, replies
    status, body = replies[0]
    assert status == 201, body
    assert body["created"] is True
    assert body["enterprise"]["uscc"] == committed.uscc
    assert _rows(engine, committed) == (1, 1, 1)
    with Session(engine) as check:
        code = check.scalars(select(SmsCode).where(SmsCode.phone == PHONE)).one()
        assert code.consumed_at is not None and code.failed_attempts == 0


def test_without_a_key_still_one_binding(engine: Engine, committed: Committed) -> None:
    """Without an Idempotency-Key the natural keys decide: one delivery registers, the other is
    told the code was used — never a second binding."""
    replies = _deliver_concurrently(committed, 2, None)
    statuses = sorted(status for status, _ in replies)
    assert statuses[0] == 201 or statuses == [201, 201], replies
    for status, body in replies:
        assert status in (200, 201, 422), body
        if status == 422:
            assert body["code"] == "sms_code_expired"
    assert _rows(engine, committed) == (1, 1, 1)


def test_a_sequence_of_many_registrations_lands(engine: Engine, committed: Committed) -> None:
    """An event minute: several people registering the same enterprise in parallel, each with
    their own code, all land."""
    people = 5
    codes = []
    with Session(engine) as setup:
        for n in range(people):
            phone = f"1365555{n:04d}"
            sms.send_code(
                setup,
                sms.DevOutboxProvider(),
                phone=phone,
                channel=committed.channel,
                user_id=f"oPerson{n}",
                platform_name="示范平台",
                now=datetime.now(UTC),
            )
            codes.append((phone, sms.code_in(sms.outbox(setup, phone)[0].text)))
    barrier = threading.Barrier(people)
    results: list[int] = []

    def register(n: int) -> None:
        phone, code = codes[n]
        client = TestClient(
            committed.app,
            headers={
                "Authorization": "Bearer test-service-token",
                "X-Chat-Channel": committed.channel,
                "X-Chat-User-Id": f"oPerson{n}",
                "Idempotency-Key": f"{committed.channel}-{n}",
            },
        )
        barrier.wait()
        response = client.post(
            "/api/v1/registrations",
            json={
                "uscc": committed.uscc,
                "enterprise_name": NAME,
                "person_name": f"经办人{n}",
                "role": "经办人",
                "phone": phone,
                "sms_code": code,
            },
        )
        results.append(response.status_code)

    threads = [threading.Thread(target=register, args=(n,)) for n in range(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert sorted(results) == [201] * people
        assert _rows(engine, committed) == (people, people, 1)
    finally:
        with Session(engine) as cleanup:
            for phone, _ in codes:
                cleanup.execute(delete(SmsOutboxMessage).where(SmsOutboxMessage.phone == phone))
            cleanup.commit()


def test_codes_requested_at_the_same_time_respect_the_cool_down(
    engine: Engine, committed: Committed
) -> None:
    """Several requests for a code to one phone at once: one code is sent, the rest wait."""
    deliveries = 4
    barrier = threading.Barrier(deliveries)
    statuses: list[int] = []

    def ask(n: int) -> None:
        client = TestClient(
            committed.app,
            headers={
                "Authorization": "Bearer test-service-token",
                "X-Chat-Channel": committed.channel,
                "X-Chat-User-Id": f"oAsker{n}",
            },
        )
        barrier.wait()
        statuses.append(
            client.post("/api/v1/registrations/sms-codes", json={"phone": PHONE}).status_code
        )

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(deliveries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [202] + [429] * (deliveries - 1)
    with Session(engine) as check:
        assert check.scalar(select(func.count()).where(SmsCode.phone == PHONE)) == 1
        assert check.scalar(select(func.count()).where(SmsOutboxMessage.phone == PHONE)) == 1
