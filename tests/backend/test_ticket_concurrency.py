"""The same create delivered twice AT THE SAME TIME (WeChat retries, action-server retries): one
ticket and identical replies, for objections, repairs and hand-offs, on both databases; and two
different deliveries for the same record at the same time still leave one open objection.

These requests really commit (threads, separate transactions), so they run on rows of their own
(the `committed` fixture) that are removed afterwards."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
from conftest import TEST_TOKEN
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from ticket_helpers import (
    Committed,
    committed_fixture,  # noqa: F401 (fixture)
    objection_body,
    race_key,
    repair_body,
)

from app.models import CreditRecord, IdempotencyRecord, Ticket, TicketKind
from app.services.tickets import open_key

DELIVERIES = 2


def _at_once(
    committed: Committed, count: int, send: Callable[[int, TestClient], httpx.Response]
) -> list[httpx.Response]:
    """Runs `send` in `count` threads released together, each with its own client acting as the
    committed chat user."""
    headers = {
        "Authorization": f"Bearer {TEST_TOKEN}",
        "X-Chat-Channel": committed.channel,
        "X-Chat-User-Id": committed.user_id,
    }
    barrier = threading.Barrier(count)
    replies: list[httpx.Response | None] = [None] * count
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            client = TestClient(committed.app, headers=headers)
            barrier.wait(timeout=30)
            replies[i] = send(i, client)
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return [r for r in replies if r is not None]


def _tickets(engine: Engine, committed: Committed, kind: str) -> list[Ticket]:
    with Session(engine) as check:
        return list(
            check.scalars(
                select(Ticket).where(
                    Ticket.enterprise_id == committed.enterprise_id, Ticket.kind == kind
                )
            )
        )


def _same_replies(replies: list[httpx.Response]) -> None:
    assert {r.status_code for r in replies} == {201}, [r.text for r in replies]
    assert len({r.text for r in replies}) == 1


def test_the_same_objection_twice_at_once(engine: Engine, committed: Committed) -> None:
    key = race_key(committed, "objection")
    url = f"/api/v1/enterprises/{committed.enterprise_id}/objections"

    replies = _at_once(
        committed,
        DELIVERIES,
        lambda _i, c: c.post(
            url, json=objection_body(committed.penalty_id), headers={"Idempotency-Key": key}
        ),
    )

    _same_replies(replies)
    tickets = _tickets(engine, committed, "异议申诉")
    assert len(tickets) == 1
    assert replies[0].json()["ticket"]["number"] == tickets[0].number
    with Session(engine) as check:
        assert check.get(CreditRecord, committed.penalty_id).status == "异议处理中"
        stored = check.scalar(
            select(func.count()).select_from(IdempotencyRecord).where(IdempotencyRecord.key == key)
        )
        assert stored == 1


def test_the_same_repair_twice_at_once(engine: Engine, committed: Committed) -> None:
    key = race_key(committed, "repair")
    url = f"/api/v1/enterprises/{committed.enterprise_id}/repairs"

    replies = _at_once(
        committed,
        DELIVERIES,
        lambda _i, c: c.post(
            url, json=repair_body(committed.penalty_id), headers={"Idempotency-Key": key}
        ),
    )

    _same_replies(replies)
    assert len(_tickets(engine, committed, "信用修复")) == 1


def test_the_same_hand_off_twice_at_once(engine: Engine, committed: Committed) -> None:
    key = race_key(committed, "handoff")

    replies = _at_once(
        committed,
        DELIVERIES,
        lambda _i, c: c.post(
            "/api/v1/handoffs",
            json={
                "summary": "用户要求人工，电话13812345678",
                "enterprise_id": committed.enterprise_id,
            },
            headers={"Idempotency-Key": key},
        ),
    )

    _same_replies(replies)
    assert "138****5678" in replies[0].json()["ticket"]["description"]
    assert len(_tickets(engine, committed, "转人工")) == 1


def test_different_deliveries_for_one_record_leave_one_open_objection(
    engine: Engine, committed: Committed
) -> None:
    url = f"/api/v1/enterprises/{committed.enterprise_id}/objections"
    count = 6

    def send(i: int, client: TestClient) -> httpx.Response:
        body = objection_body(committed.penalty_id, description=f"第{i}次说明")
        # Half with keys of their own, half with none: only the natural key can decide.
        headers = {"Idempotency-Key": race_key(committed, f"k{i}")} if i % 2 else {}
        return client.post(url, json=body, headers=headers)

    replies = _at_once(committed, count, send)

    statuses = sorted(r.status_code for r in replies)
    assert statuses == [200] * (count - 1) + [201], [r.text for r in replies]
    numbers = {r.json()["ticket"]["number"] for r in replies}
    assert len(numbers) == 1
    assert all(r.json()["created"] is (r.status_code == 201) for r in replies)
    tickets = _tickets(engine, committed, "异议申诉")
    assert len(tickets) == 1
    assert tickets[0].open_key == open_key(TicketKind.OBJECTION, record_id=committed.penalty_id)
