"""转人工: a hand-off ticket (RG…) with the conversation summary for the hotline, personal data
masked before it is stored; one open hand-off per chat user; staff settle it 处理中 → 已办结."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from support import bound_enterprise, chat
from ticket_helpers import clock_fixture  # noqa: F401 (fixture)

from app.models import Ticket
from app.services.handoffs import mask_summary


def _handoff(client: TestClient, body: dict, user: str = "oGuest", key=None):
    headers = chat(user)
    if key:
        headers["Idempotency-Key"] = key
    return client.post("/api/v1/handoffs", json=body, headers=headers)


def test_anyone_may_ask_for_a_person_and_the_summary_is_masked(
    client: TestClient, session: Session, clock
) -> None:
    summary = (
        "用户想问罚款的事，说自己叫王小明，手机13812345678，"
        "身份证110101199003071234，希望工作人员回电。"
    )
    response = _handoff(client, {"summary": summary, "contact_phone": "138 1234 5678"})

    assert response.status_code == 201, response.text
    ticket = response.json()["ticket"]
    assert re.fullmatch(r"RG20260630\d{4}", ticket["number"])
    assert ticket["kind"] == "转人工"
    assert ticket["status"] == "已提交"
    assert ticket["record"] is None
    assert ticket["enterprise_id"] is None
    assert ticket["contact_phone"] == "138****5678"
    stored = session.scalars(select(Ticket).where(Ticket.number == ticket["number"])).one()
    for clear in ("13812345678", "110101199003071234", "王小明"):
        assert clear not in stored.description
        assert clear not in ticket["description"]
    assert "138****5678" in stored.description
    assert "110101********1234" in stored.description
    assert "王*明" in stored.description
    assert stored.contact_phone == "13812345678"  # the call-back number, masked on display


def test_names_the_platform_knows_are_masked(
    client: TestClient, bind, demo_city, session: Session, clock
) -> None:
    diner = demo_city[1]
    enterprise_id = bound_enterprise(bind, diner, "oLi")

    response = _handoff(
        client,
        {"summary": "李秀兰问罚款交了为什么还显示，要求人工。", "enterprise_id": enterprise_id},
        user="oLi",
    )

    assert response.status_code == 201
    ticket = response.json()["ticket"]
    assert ticket["enterprise_id"] == enterprise_id
    assert ticket["description"].startswith("李*兰问罚款")
    assert mask_summary("联系人：张三丰，电话13900001111") == "联系人：张*丰，电话139****1111"


def test_an_enterprise_must_be_one_the_user_is_bound_to(
    client: TestClient, bind, demo_city, session: Session, clock
) -> None:
    enterprise_id = bound_enterprise(bind, demo_city[0], "oZhang")

    refused = _handoff(client, {"summary": "要人工", "enterprise_id": enterprise_id})

    assert refused.status_code == 403
    assert refused.json()["code"] == "not_bound"
    assert session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_asking_again_while_one_is_open_returns_it(
    client: TestClient, session: Session, clock, staff_headers
) -> None:
    first = _handoff(client, {"summary": "转人工"}).json()["ticket"]
    again = _handoff(client, {"summary": "怎么还没人联系我"})
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["ticket"]["number"] == first["number"]
    # Another user gets their own.
    assert _handoff(client, {"summary": "转人工"}, user="oOther").status_code == 201

    staff = staff_headers()
    for status in ("处理中", "已办结"):
        moved = client.post(
            f"/api/v1/staff/tickets/{first['number']}/status",
            json={"status": status},
            headers=staff,
        )
        assert moved.status_code == 200, moved.text
    assert moved.json()["open"] is False

    fresh = _handoff(client, {"summary": "又有新问题"})
    assert fresh.status_code == 201
    assert fresh.json()["ticket"]["number"] != first["number"]


def test_hand_off_statuses_are_their_own(client: TestClient, clock, staff_headers) -> None:
    number = _handoff(client, {"summary": "转人工"}).json()["ticket"]["number"]
    staff = staff_headers()
    for status in ("已转交", "核查中", "已更正", "已告知"):
        refused = client.post(
            f"/api/v1/staff/tickets/{number}/status", json={"status": status}, headers=staff
        )
        assert refused.status_code == 409
        assert refused.json()["code"] == "invalid_transition"
    settled = client.post(
        f"/api/v1/staff/tickets/{number}/status", json={"status": "已办结"}, headers=staff
    )
    assert settled.status_code == 200


def test_the_same_key_replays(client: TestClient, session: Session, clock) -> None:
    first = _handoff(client, {"summary": "转人工"}, key="wx-handoff-0001")
    again = _handoff(client, {"summary": "转人工"}, key="wx-handoff-0001")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_bad_input(client: TestClient, session: Session, clock) -> None:
    for body in (
        {},
        {"summary": ""},
        {"summary": "x" * 4001},
        {"summary": "转人工", "enterprise_id": 0},
        {"summary": "转人工", "contact_phone": "0512-1234"},
        [],
    ):
        refused = _handoff(client, body)
        assert refused.status_code == 422, body
        assert refused.json()["code"] == "invalid_input"
        assert refused.json()["message"].startswith("输入有误")
    no_user = client.post("/api/v1/handoffs", json={"summary": "转人工"})
    assert no_user.status_code == 422
    assert session.scalar(select(func.count()).select_from(Ticket)) == 0
