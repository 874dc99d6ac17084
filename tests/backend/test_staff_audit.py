"""Every staff look-up of personal data is audited: reading an event's registrations (names and
phones, shown masked) writes who, what, why and when to the append-only audit log, in the same
transaction as the read."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from support import BindFn

from app.models import AuditEntry
from app.seed import DemoEnterprise


def _event(client: TestClient, admin: dict[str, str]) -> dict:
    response = client.post(
        "/api/v1/events",
        json={
            "name": "城西区推广活动",
            "place": "城西区政务中心",
            "starts_at": "2026-07-01T09:00:00+08:00",
            "ends_at": "2026-07-01T12:00:00+08:00",
        },
        headers=admin,
    )
    assert response.status_code == 201
    return response.json()


def test_reading_an_events_registrations_is_audited_and_masked(
    client: TestClient,
    bind: BindFn,
    demo_city: tuple[DemoEnterprise, ...],
    staff_headers,
    session: Session,
) -> None:
    admin = staff_headers("管理员")
    agent = staff_headers("坐席")
    event = _event(client, admin)
    green = demo_city[0]
    assert bind(green, phone="13812345678", event_code=event["code"]).status_code == 201
    assert session.scalars(select(AuditEntry)).all() == []  # registering is no staff look-up

    response = client.get(f"/api/v1/events/{event['id']}/registrations", headers=agent)
    assert response.status_code == 200
    [item] = response.json()["items"]
    assert item["phone"] == "138****5678"
    assert item["person_name"] == "张*华"
    assert item["enterprise_name"] == green.name and item["role"] == "法定代表人"
    assert "13812345678" not in response.text and green.legal_representative not in response.text

    [entry] = session.scalars(select(AuditEntry)).all()
    assert (entry.actor_type, entry.actor_id) == ("staff", "staff-agent")
    assert (entry.action, entry.subject_type, entry.subject_id) == (
        "read_event_registrations",
        "event",
        str(event["id"]),
    )
    assert entry.purpose
    assert entry.details == {"count": 1}


def test_statistics_and_refusals_write_no_audit_rows(
    client: TestClient, staff_headers, session: Session
) -> None:
    admin = staff_headers("管理员")
    event = _event(client, admin)
    assert client.get(f"/api/v1/events/{event['id']}/stats", headers=admin).status_code == 200
    assert client.get("/api/v1/events/999999/registrations", headers=admin).status_code == 404
    assert client.get(f"/api/v1/events/{event['id']}/registrations").status_code == 401
    assert session.scalars(select(AuditEntry)).all() == []


def test_opening_evidence_is_audited(client: TestClient, staff_headers, session: Session) -> None:
    uploaded = client.post(
        "/api/v1/evidence-files",
        content=b"%PDF-1.7 rectification report",
        headers={"X-Chat-Channel": "wechat", "X-Chat-User-Id": "oLi"},
    ).json()
    assert session.scalars(select(AuditEntry)).all() == []  # uploading is no staff look-up

    opened = client.get(
        f"/api/v1/staff/evidence-files/{uploaded['id']}", headers=staff_headers("坐席")
    )

    assert opened.status_code == 200
    [entry] = session.scalars(select(AuditEntry)).all()
    assert (entry.actor_type, entry.actor_id) == ("staff", "staff-agent")
    assert (entry.action, entry.subject_type, entry.subject_id) == (
        "read_evidence_file",
        "evidence_file",
        uploaded["id"],
    )
    assert entry.purpose
    assert "oLi" not in str(entry.details)
