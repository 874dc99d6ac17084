"""Progress: GET /me/tickets (the chat user's tickets, open first) and GET /tickets/{number} (the
owner only; a foreign number answers like a missing one) with status history and deadline."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from support import NOW, bound_enterprise, chat
from ticket_helpers import (
    clock_fixture,  # noqa: F401 (fixture)
    objection_body,
    record_of,
    repair_body,
)

from app.enums import CreditCategory


def test_my_tickets_open_first_then_newest(
    client: TestClient, bind, demo_city, session: Session, clock, staff_headers
) -> None:
    green = demo_city[0]
    enterprise_id = bound_enterprise(bind, green, "oZhang")
    penalty = record_of(session, green.uscc, CreditCategory.ADMINISTRATIVE_PENALTY)
    honor = record_of(session, green.uscc, CreditCategory.HONOR)
    headers = chat("oZhang")

    clock(NOW)
    repair = client.post(
        f"/api/v1/enterprises/{enterprise_id}/repairs",
        json=repair_body(penalty.id),
        headers=headers,
    ).json()["ticket"]["number"]
    clock(NOW + timedelta(minutes=5))
    objection = client.post(
        f"/api/v1/enterprises/{enterprise_id}/objections",
        json=objection_body(honor.id, reason="信息错误", description="荣誉年份写错了"),
        headers=headers,
    ).json()["ticket"]["number"]
    clock(NOW + timedelta(minutes=10))
    handoff = client.post("/api/v1/handoffs", json={"summary": "转人工"}, headers=headers).json()[
        "ticket"
    ]["number"]
    staff = staff_headers()
    client.post(f"/api/v1/staff/tickets/{handoff}/status", json={"status": "已办结"}, headers=staff)

    response = client.get("/api/v1/me/tickets", headers=headers)

    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["number"] for i in items] == [objection, repair, handoff]
    assert [i["open"] for i in items] == [True, True, False]
    assert items[0]["forward_deadline"] == "2026-07-02"
    assert items[0]["record"]["title"]
    assert "history" not in items[0]
    assert client.get("/api/v1/me/tickets", headers=chat("oNobody")).json() == {"items": []}


def test_a_ticket_with_its_history_for_its_owner_only(
    client: TestClient, bind, demo_city, session: Session, clock, staff_headers
) -> None:
    diner = demo_city[1]
    enterprise_id = bound_enterprise(bind, diner, "oLi")
    penalty = record_of(session, diner.uscc, CreditCategory.ADMINISTRATIVE_PENALTY)
    number = client.post(
        f"/api/v1/enterprises/{enterprise_id}/objections",
        json=objection_body(penalty.id),
        headers=chat("oLi"),
    ).json()["ticket"]["number"]
    clock(NOW + timedelta(hours=20))
    client.post(
        f"/api/v1/staff/tickets/{number}/status",
        json={"status": "已转交", "note": "已报省级节点"},
        headers=staff_headers(),
    )

    mine = client.get(f"/api/v1/tickets/{number}", headers=chat("oLi"))
    assert mine.status_code == 200
    ticket = mine.json()
    assert ticket["status"] == "已转交"
    assert ticket["forward_deadline"] == "2026-07-02"
    assert [(h["from_status"], h["to_status"], h["note"]) for h in ticket["history"]] == [
        (None, "已提交", None),
        ("已提交", "已转交", "已报省级节点"),
    ]
    assert ticket["history"][1]["at"].startswith("2026-06-30T22:00:00")
    assert ticket["contact_phone"] == "138****5678"
    # Case and spaces do not matter.
    assert client.get(f"/api/v1/tickets/{number.lower()}", headers=chat("oLi")).status_code == 200

    # Someone else (also bound to the diner, even), another channel, and a made-up number: the same.
    bound_enterprise(bind, diner, "oLiWife", role="经办人", person_name="王芳")
    answers = [
        client.get(f"/api/v1/tickets/{number}", headers=chat("oLiWife")),
        client.get(f"/api/v1/tickets/{number}", headers=chat("oLi", channel="app")),
        client.get("/api/v1/tickets/YY202606309999", headers=chat("oLi")),
        client.get("/api/v1/tickets/nonsense", headers=chat("oLi")),
    ]
    assert {a.status_code for a in answers} == {404}
    assert len({a.text for a in answers}) == 1
    assert answers[0].json()["code"] == "ticket_not_found"
    assert "工单号" in answers[0].json()["message"]


def test_progress_needs_the_chat_user_headers(client: TestClient) -> None:
    response = client.get("/api/v1/me/tickets")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
