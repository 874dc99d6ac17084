"""The user is told of each change on their channel: every status change writes a notification row
(channel, chat user, ticket, Chinese text) in its own transaction; channels fetch the pending ones
and confirm delivery."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from support import NOW, bound_enterprise, chat
from ticket_helpers import (
    clock_fixture,  # noqa: F401 (fixture)
    objection_body,
    record_of,
)

from app.enums import CreditCategory
from app.models import ChatUser, Notification, Ticket


def _objection(client: TestClient, bind, demo_city, session: Session, channel: str = "wechat"):
    diner = demo_city[1]
    enterprise_id = bound_enterprise(bind, diner, "oLi", channel=channel)
    penalty = record_of(session, diner.uscc, CreditCategory.ADMINISTRATIVE_PENALTY)
    response = client.post(
        f"/api/v1/enterprises/{enterprise_id}/objections",
        json=objection_body(penalty.id),
        headers=chat("oLi", channel),
    )
    assert response.status_code == 201
    return response.json()["ticket"]["number"]


def _move(client, staff, number, status, note=None):
    body = {"status": status, **({"note": note} if note else {})}
    response = client.post(f"/api/v1/staff/tickets/{number}/status", json=body, headers=staff)
    assert response.status_code == 200, response.text


def test_each_status_change_writes_one_notification(
    client: TestClient, bind, demo_city, session: Session, clock, staff_headers, city
) -> None:
    number = _objection(client, bind, demo_city, session)
    assert session.scalars(select(Notification)).all() == []  # creating is answered in the chat

    staff = staff_headers()
    _move(client, staff, number, "已转交")
    _move(client, staff, number, "核查中")
    _move(client, staff, number, "维持原记录", note="经核实处罚决定无误，联系电话13812345678")
    _move(client, staff, number, "已告知")

    rows = session.scalars(select(Notification).order_by(Notification.id)).all()
    ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
    user = session.scalars(select(ChatUser).where(ChatUser.external_user_id == "oLi")).one()
    assert len(rows) == 4
    assert {(r.channel, r.chat_user_id, r.ticket_id) for r in rows} == {
        ("wechat", user.id, ticket.id)
    }
    assert all(r.delivered_at is None for r in rows)
    assert all(number in r.text and city.hotline in r.text for r in rows)
    texts = [r.text for r in rows]
    assert "已转交省级节点" in texts[0]
    assert "正在核查" in texts[1]
    assert "原记录无误，予以维持" in texts[2]
    assert "经核实处罚决定无误" in texts[2]
    assert "13812345678" not in texts[2]
    assert "138****5678" in texts[2]
    assert "已办结" in texts[3]
    assert len({r.ticket_event_id for r in rows}) == 4


def test_a_refused_move_writes_nothing(
    client: TestClient, bind, demo_city, session: Session, clock, staff_headers
) -> None:
    number = _objection(client, bind, demo_city, session)
    refused = client.post(
        f"/api/v1/staff/tickets/{number}/status", json={"status": "已更正"}, headers=staff_headers()
    )
    assert refused.status_code == 409
    assert session.scalars(select(Notification)).all() == []


def test_channels_fetch_pending_and_confirm_delivery(
    client: TestClient, bind, demo_city, session: Session, clock, staff_headers
) -> None:
    number = _objection(client, bind, demo_city, session)
    staff = staff_headers()
    _move(client, staff, number, "已转交")
    _move(client, staff, number, "核查中")
    app_number = client.post(
        "/api/v1/handoffs", json={"summary": "转人工"}, headers=chat("u-42", "app")
    ).json()["ticket"]["number"]
    _move(client, staff, app_number, "处理中")

    pending = client.get("/api/v1/notifications/pending", params={"channel": "wechat"})
    assert pending.status_code == 200
    items = pending.json()["items"]
    assert [(i["channel"], i["user_id"], i["number"]) for i in items] == [
        ("wechat", "oLi", number),
        ("wechat", "oLi", number),
    ]
    assert items[0]["id"] < items[1]["id"]
    assert "已转交" in items[0]["text"]
    assert (
        client.get(
            "/api/v1/notifications/pending", params={"channel": "wechat", "limit": 1}
        ).json()["items"]
        == items[:1]
    )
    app_items = client.get("/api/v1/notifications/pending", params={"channel": "app"}).json()[
        "items"
    ]
    assert [(i["user_id"], i["number"]) for i in app_items] == [("u-42", app_number)]

    clock(NOW + timedelta(minutes=1))
    first = client.post(f"/api/v1/notifications/{items[0]['id']}/delivered")
    assert first.status_code == 200
    assert first.json()["id"] == items[0]["id"]
    clock(NOW + timedelta(minutes=9))
    repeat = client.post(f"/api/v1/notifications/{items[0]['id']}/delivered")
    assert repeat.json() == first.json()  # the first confirmation stands

    left = client.get("/api/v1/notifications/pending", params={"channel": "wechat"}).json()["items"]
    assert [i["id"] for i in left] == [items[1]["id"]]

    missing = client.post("/api/v1/notifications/999999/delivered")
    assert missing.status_code == 404
    assert missing.json()["code"] == "notification_not_found"


def test_notification_endpoints_refuse_bad_input_and_need_the_service_token(
    client: TestClient, anon_client: TestClient
) -> None:
    for params in ({}, {"channel": "微信"}, {"channel": "wechat", "limit": 0}):
        refused = client.get("/api/v1/notifications/pending", params=params)
        assert refused.status_code == 422
        assert refused.json()["code"] == "invalid_input"
    for bad in ("abc", "0", "99999999999"):
        assert client.post(f"/api/v1/notifications/{bad}/delivered").status_code == 422
    assert anon_client.get("/api/v1/notifications/pending?channel=wechat").status_code == 401
