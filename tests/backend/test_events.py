"""推广活动: administrators create events with a short URL-safe code, any staff member lists and
reads them (staff token, not the service token), registrations from the event carry it, and the
live statistics count registrations, enterprises, and the authorizations and applications those
enterprises made once registered through the event."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from authorization_support import grant
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from support import BindFn, chat

from app.api.deps import get_now
from app.models import Event
from app.seed import DemoEnterprise

T0 = datetime(2026, 6, 30, 1, 0, tzinfo=UTC)
EVENT = {
    "name": "示范市政银企对接会",
    "place": "示范市会展中心二号厅",
    "starts_at": "2026-07-08T09:00:00",  # no zone: Beijing time
    "ends_at": "2026-07-08T17:00:00+08:00",
}


def _at(app: FastAPI, moment: datetime) -> None:
    app.dependency_overrides[get_now] = lambda: moment


@pytest.fixture
def admin(staff_headers) -> dict[str, str]:
    return staff_headers("管理员")


@pytest.fixture
def agent(staff_headers) -> dict[str, str]:
    return staff_headers("坐席")


def _create(client: TestClient, headers: dict[str, str], **change) -> dict:
    response = client.post("/api/v1/events", json={**EVENT, **change}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_an_admin_creates_an_event_with_a_short_url_safe_code(
    client: TestClient, app: FastAPI, admin: dict[str, str], session: Session
) -> None:
    _at(app, T0)
    event = _create(client, admin)
    assert re.fullmatch(r"[a-z2-9]{8}", event["code"])
    assert event == {
        "id": event["id"],
        "code": event["code"],
        "name": "示范市政银企对接会",
        "place": "示范市会展中心二号厅",
        "starts_at": "2026-07-08T01:00:00Z",
        "ends_at": "2026-07-08T09:00:00Z",
        "created_by": "staff-admin",
        "created_at": "2026-06-30T01:00:00Z",
        "h5_url": f"http://127.0.0.1:8000/chat?event={event['code']}",
        "wechat_scene": f"event_{event['code']}",
    }
    stored = session.get(Event, event["id"])
    assert stored is not None and stored.created_by.username == "staff-admin"


def test_codes_are_unique(client: TestClient, admin: dict[str, str], session: Session) -> None:
    codes = {_create(client, admin, name=f"活动{n}")["code"] for n in range(12)}
    assert len(codes) == 12
    assert set(session.scalars(select(Event.code))) == codes


def test_agents_read_events_but_only_admins_create_them(
    client: TestClient, admin: dict[str, str], agent: dict[str, str]
) -> None:
    refused = client.post("/api/v1/events", json=EVENT, headers=agent)
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden_role"
    assert "管理员" in refused.json()["message"]

    early = _create(client, admin, name="早场", starts_at="2026-07-01T09:00:00")
    late = _create(client, admin, name="晚场", starts_at="2026-07-02T09:00:00")
    listed = client.get("/api/v1/events", headers=agent)
    assert listed.status_code == 200
    assert [e["name"] for e in listed.json()["items"]] == ["晚场", "早场"]
    got = client.get(f"/api/v1/events/{early['id']}", headers=agent)
    assert got.status_code == 200 and got.json() == early
    assert client.get(f"/api/v1/events/{late['id']}/stats", headers=agent).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/events"),
        ("GET", "/api/v1/events"),
        ("GET", "/api/v1/events/1"),
        ("GET", "/api/v1/events/1/stats"),
        ("GET", "/api/v1/events/1/registrations"),
    ],
)
def test_event_routes_need_a_staff_token(client: TestClient, method: str, path: str) -> None:
    # `client` carries the service token: that is not enough here.
    response = client.request(method, path, json=EVENT)
    assert response.status_code == 401
    assert response.json()["code"] == "staff_session_invalid"


def test_unknown_event(client: TestClient, agent: dict[str, str]) -> None:
    for path in ("/api/v1/events/999999", "/api/v1/events/999999/stats"):
        response = client.get(path, headers=agent)
        assert response.status_code == 404
        assert response.json()["code"] == "event_not_found"
        assert "活动" in response.json()["message"]
    bad = client.get("/api/v1/events/abc", headers=agent)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_input"
    assert client.get("/api/v1/events/0", headers=agent).status_code == 422


@pytest.mark.parametrize(
    ("change", "code", "field", "words"),
    [
        ({"ends_at": "2026-07-08T08:00:00+08:00"}, "event_time_invalid", "ends_at", "晚于"),
        ({"ends_at": "2026-07-08T09:00:00"}, "event_time_invalid", "ends_at", "晚于"),
        ({"name": ""}, "invalid_input", "name", "不能为空"),
        ({"name": "  "}, "invalid_input", "name", "不能为空"),
        ({"name": "会" * 101}, "invalid_input", "name", "过长"),
        ({"place": None}, "invalid_input", "place", "缺少活动地点"),
        ({"starts_at": "明天上午"}, "invalid_input", "starts_at", "开始时间"),
        ({"starts_at": 12}, "invalid_input", "starts_at", "开始时间"),
    ],
)
def test_bad_event_input(
    client: TestClient,
    admin: dict[str, str],
    session: Session,
    change: dict,
    code: str,
    field: str,
    words: str,
) -> None:
    body = {k: v for k, v in {**EVENT, **change}.items() if v is not None}
    response = client.post("/api/v1/events", json=body, headers=admin)
    assert response.status_code == 422
    error = response.json()
    assert error["code"] == code
    assert field in error["fields"]
    assert words in error["message"], error["message"]
    assert session.scalars(select(Event)).all() == []


@pytest.mark.parametrize("content", [b"not json", b"[]", b""])
def test_unparseable_event(client: TestClient, admin: dict[str, str], content: bytes) -> None:
    response = client.post(
        "/api/v1/events", content=content, headers={"Content-Type": "application/json", **admin}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


def _apply(client: TestClient, enterprise_id: int, user_id: str):
    return client.post(
        f"/api/v1/enterprises/{enterprise_id}/applications",
        json={
            "product_code": "changxindai",
            "amount": 100,
            "term_months": 12,
            "purpose": "购买原材料",
            "contact_phone": "13912345678",
        },
        headers=chat(user_id),
    )


def test_live_stats_count_what_came_of_the_event(
    client: TestClient,
    app: FastAPI,
    bind: BindFn,
    demo_city: tuple[DemoEnterprise, ...],
    admin: dict[str, str],
) -> None:
    green, diner, precision = demo_city[:3]
    _at(app, T0)
    event = _create(client, admin)
    stats_path = f"/api/v1/events/{event['id']}/stats"
    empty = client.get(stats_path, headers=admin).json()
    assert (empty["registrations"], empty["enterprises"], empty["last_registered_at"]) == (
        0,
        0,
        None,
    )

    # Before the event: the green enterprise was already bound by someone, and authorized.
    green_id = bind(green, user_id="oEarly").json()["enterprise"]["id"]
    assert grant(client, green_id, "oEarly").status_code == 201

    # At the event: two people of the green enterprise and the diner register through it …
    at_event = T0 + timedelta(hours=1)
    _at(app, at_event)
    for demo, user, role in ((green, "oA", "法定代表人"), (diner, "oB", "法定代表人")):
        response = bind(demo, user_id=user, role=role, event_code=event["code"])
        assert response.status_code == 201, response.text
    second = bind(
        green, user_id="oA2", role="经办人", person_name="钱经办", event_code=event["code"]
    )
    assert second.status_code == 201
    # … and the precision company registers without it.
    precision_id = bind(precision, user_id="oC").json()["enterprise"]["id"]

    # Afterwards the green enterprise authorizes and applies; the precision company authorizes.
    _at(app, at_event + timedelta(minutes=30))
    assert grant(client, green_id, "oA").status_code == 201
    assert _apply(client, green_id, "oA").status_code == 201
    assert grant(client, precision_id, "oC").status_code == 201

    stats = client.get(stats_path, headers=admin)
    assert stats.status_code == 200
    body = stats.json()
    assert body["event"] == event
    assert body["registrations"] == 3
    assert body["enterprises"] == 2
    assert body["authorizations"] == 1  # the green one after the event, not the earlier one
    assert body["applications"] == 1
    assert body["last_registered_at"] == "2026-06-30T02:00:00Z"
