"""The objection queue: open objections with their forwarding deadline (2 working days on the China
calendar), overdue first, then by deadline. Staff move a ticket from it and the user is told on
their channel (a notification row the channel delivers); a closed objection leaves the queue."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from support import bound_enterprise, chat, clock
from ticket_helpers import objection_body

from app.enums import CreditCategory
from app.models import AuditEntry, CreditRecord, Notification, RegistryEntity, Ticket


def china(day: int, hour: int = 10, month: int = 6) -> datetime:
    """`hour` o'clock on a 2026 day in China (UTC+8)."""
    return datetime(2026, month, day, hour - 8, 0, tzinfo=UTC)


def _records(session: Session, uscc: str) -> list[CreditRecord]:
    return list(
        session.scalars(
            select(CreditRecord)
            .join(RegistryEntity, RegistryEntity.id == CreditRecord.registry_entity_id)
            .where(RegistryEntity.uscc == uscc)
            .order_by(CreditRecord.id)
        )
    )


def _file(client: TestClient, app: FastAPI, enterprise_id: int, user: str, record_id: int, at):
    with clock(app, at):
        response = client.post(
            f"/api/v1/enterprises/{enterprise_id}/objections",
            json=objection_body(record_id),
            headers=chat(user),
        )
    assert response.status_code == 201, response.text
    return response.json()["ticket"]


def _queue(client: TestClient, app: FastAPI, staff: dict[str, str], at) -> dict:
    with clock(app, at):
        response = client.get("/api/v1/staff/objections/queue", headers=staff)
    assert response.status_code == 200, response.text
    return response.json()


def _three_objections(client, app, bind, demo_city, session) -> tuple[str, str, str]:
    green, diner, _ = demo_city
    green_id = bound_enterprise(bind, green, "oZhang")
    diner_id = bound_enterprise(bind, diner, "oLi")
    green_penalty = next(
        r
        for r in _records(session, green.uscc)
        if r.category == CreditCategory.ADMINISTRATIVE_PENALTY.value
    )
    diner_first, diner_second = _records(session, diner.uscc)[:2]
    # Friday 06-26 → deadline Tuesday 06-30; Monday 06-29 → 07-01; Tuesday 06-30 → 07-02.
    late = _file(client, app, green_id, "oZhang", green_penalty.id, china(26))
    today = _file(client, app, diner_id, "oLi", diner_first.id, china(29))
    later = _file(client, app, diner_id, "oLi", diner_second.id, china(30))
    assert [t["forward_deadline"] for t in (late, today, later)] == [
        "2026-06-30",
        "2026-07-01",
        "2026-07-02",
    ]
    return late["number"], today["number"], later["number"]


def test_overdue_first_then_by_deadline(
    client: TestClient, app: FastAPI, bind, demo_city, session: Session, staff_headers
) -> None:
    late, today, later = _three_objections(client, app, bind, demo_city, session)
    queue = _queue(client, app, staff_headers(), china(1, month=7))
    assert queue["today"] == "2026-07-01"
    assert [i["number"] for i in queue["items"]] == [late, today, later]
    assert [i["overdue"] for i in queue["items"]] == [True, False, False]  # on the day is in time
    assert queue["overdue_count"] == 1
    first = queue["items"][0]
    assert first["status"] == "已提交" and first["forwarded"] is False
    assert first["next_statuses"] == ["已转交"]
    assert first["enterprise"]["name"] == demo_city[0].name
    assert first["record"]["status"] == "异议处理中"
    assert first["reason"] == "已履行或已整改"
    assert "13812345678" not in str(queue)

    [entry] = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "staff_objection_queue")
    ).all()
    assert (entry.actor_type, entry.actor_id) == ("staff", "staff-agent")
    assert entry.details == {"count": 3, "overdue": 1}


def test_the_china_calendar_day_decides_overdue(
    client: TestClient, app: FastAPI, bind, demo_city, session: Session, staff_headers
) -> None:
    late, _, _ = _three_objections(client, app, bind, demo_city, session)
    staff = staff_headers()
    # 23:30 on 06-30 in China is still the deadline day; 00:30 on 07-01 is past it.
    before = _queue(client, app, staff, datetime(2026, 6, 30, 15, 30, tzinfo=UTC))
    after = _queue(client, app, staff, datetime(2026, 6, 30, 16, 30, tzinfo=UTC))
    assert before["overdue_count"] == 0
    assert after["overdue_count"] == 1 and after["items"][0]["number"] == late


def test_a_move_from_the_queue_tells_the_user_and_an_outcome_leaves_the_queue(
    client: TestClient, app: FastAPI, bind, demo_city, session: Session, staff_headers, city
) -> None:
    late, today, later = _three_objections(client, app, bind, demo_city, session)
    staff = staff_headers()
    at = china(1, month=7)
    with clock(app, at):
        moved = client.post(
            f"/api/v1/staff/tickets/{late}/status", json={"status": "已转交"}, headers=staff
        )
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "已转交"

    queue = _queue(client, app, staff, at)
    first = queue["items"][0]
    assert (first["number"], first["overdue"], first["forwarded"]) == (late, False, True)
    assert first["next_statuses"] == ["核查中"]
    assert queue["overdue_count"] == 0

    # The user is told on their channel: one pending notification, which the channel fetches.
    ticket = session.scalars(select(Ticket).where(Ticket.number == late)).one()
    [notice] = session.scalars(select(Notification).where(Notification.ticket_id == ticket.id))
    assert notice.channel == "wechat" and notice.delivered_at is None
    assert late in notice.text and "已转交省级节点" in notice.text and city.hotline in notice.text
    pending = client.get("/api/v1/notifications/pending", params={"channel": "wechat"}).json()
    assert [(n["number"], n["user_id"]) for n in pending["items"]] == [(late, "oZhang")]

    with clock(app, at):
        for status in ("已转交", "核查中", "维持原记录"):
            response = client.post(
                f"/api/v1/staff/tickets/{later}/status", json={"status": status}, headers=staff
            )
            assert response.status_code == 200, response.text
    assert [i["number"] for i in _queue(client, app, staff, at)["items"]] == [late, today]


def test_hand_offs_are_not_in_the_queue_and_staff_sign_in_is_needed(
    client: TestClient, app: FastAPI, anon_client: TestClient, demo_city, staff_headers
) -> None:
    with clock(app, china(30)):
        handoff = client.post(
            "/api/v1/handoffs", json={"summary": "想咨询常信贷"}, headers=chat("oWang")
        )
    assert handoff.status_code == 201
    assert _queue(client, app, staff_headers(), china(30))["items"] == []
    assert anon_client.get("/api/v1/staff/objections/queue").status_code == 401
    assert client.get("/api/v1/staff/objections/queue").status_code == 401  # service token
