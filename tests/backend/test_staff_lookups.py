"""Hotline staff look up a ticket by its number and an enterprise by its USCC. Public data is always
shown; an enterprise's non-public categories only where a live authorization names the platform's
service desk (platform_service_desk), which "all institutions" does not. Every look-up writes one
audit row (who, what, why, when) in the same transaction; a refused one writes none."""

from __future__ import annotations

from authorization_support import grant
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from support import NOW, bound_enterprise, chat, clock
from ticket_helpers import objection_body, record_of

from app.enums import SERVICE_DESK_CODE, CreditCategory
from app.models import AuditEntry
from app.uscc import compute_check_char

SERVICE_DESK = "platform_service_desk"


def _audit(session: Session) -> list[AuditEntry]:
    session.expire_all()
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _objection(client: TestClient, app: FastAPI, bind, demo_city, session: Session) -> str:
    diner = demo_city[1]
    enterprise_id = bound_enterprise(bind, diner, "oLi")
    penalty = record_of(session, diner.uscc, CreditCategory.ADMINISTRATIVE_PENALTY)
    with clock(app, NOW):
        response = client.post(
            f"/api/v1/enterprises/{enterprise_id}/objections",
            json=objection_body(penalty.id),
            headers=chat("oLi"),
        )
    assert response.status_code == 201, response.text
    return response.json()["ticket"]["number"]


# ------------------------------------------------------------------------------ tickets


def test_a_ticket_by_number_shows_status_history_deadline_enterprise_and_masked_contact(
    client: TestClient, app: FastAPI, bind, demo_city, session: Session, staff_headers
) -> None:
    number = _objection(client, app, bind, demo_city, session)
    assert _audit(session) == []
    staff = staff_headers()

    with clock(app, NOW):
        response = client.get(f"/api/v1/staff/tickets/{number.lower()}", headers=staff)
    assert response.status_code == 200, response.text
    ticket = response.json()
    assert ticket["number"] == number
    assert (ticket["kind"], ticket["status"]) == ("异议申诉", "已提交")
    assert [h["to_status"] for h in ticket["history"]] == ["已提交"]
    assert ticket["forward_deadline"] == "2026-07-02"  # 2 working days after Tuesday 06-30
    assert ticket["overdue"] is False
    assert ticket["next_statuses"] == ["已转交"]
    assert ticket["enterprise"]["name"] == demo_city[1].name
    assert ticket["enterprise"]["uscc"] == demo_city[1].uscc
    assert ticket["channel"] == "wechat"
    assert ticket["contact_phone"] == "138****5678"
    assert "13812345678" not in response.text and "oLi" not in response.text

    [entry] = _audit(session)
    assert (entry.actor_type, entry.actor_id) == ("staff", "staff-agent")
    assert (entry.action, entry.subject_type, entry.subject_id) == (
        "staff_ticket_lookup",
        "ticket",
        number,
    )
    assert entry.purpose == "热线来电咨询"
    assert entry.details == {"kind": "异议申诉", "status": "已提交"}
    assert entry.occurred_at is not None


def test_the_stated_purpose_is_audited_and_an_objection_past_its_deadline_is_overdue(
    client: TestClient, app: FastAPI, bind, demo_city, session: Session, staff_headers
) -> None:
    number = _objection(client, app, bind, demo_city, session)
    staff = staff_headers("管理员")
    with clock(app, NOW.replace(month=7, day=3)):  # Friday: the deadline was Thursday
        response = client.get(
            f"/api/v1/staff/tickets/{number}", params={"purpose": "回访核实"}, headers=staff
        )
    assert response.json()["overdue"] is True
    [entry] = _audit(session)
    assert (entry.actor_id, entry.purpose) == ("staff-admin", "回访核实")


def test_an_unknown_ticket_or_a_missing_token_is_refused_and_writes_nothing(
    client: TestClient, anon_client: TestClient, demo_city, staff_headers, session: Session
) -> None:
    staff = staff_headers()
    missing = client.get("/api/v1/staff/tickets/YY209901010001", headers=staff)
    assert missing.status_code == 404
    assert missing.json()["code"] == "ticket_not_found"
    assert "\u4e00" <= missing.json()["message"][0] <= "\u9fff"
    # The service token is not a staff token; no token at all neither.
    assert client.get("/api/v1/staff/tickets/YY209901010001").status_code == 401
    assert anon_client.get("/api/v1/staff/tickets/YY209901010001").status_code == 401
    bad = client.get(
        "/api/v1/staff/tickets/YY209901010001", params={"purpose": "查"}, headers=staff
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "purpose_invalid")
    assert _audit(session) == []


# ------------------------------------------------------------------------------ enterprises


def test_an_enterprise_shows_public_data_only_without_a_service_desk_authorization(
    client: TestClient, app: FastAPI, bind, demo_city, session: Session, staff_headers
) -> None:
    green = demo_city[0]
    enterprise_id = bound_enterprise(bind, green, "oZhang")
    with clock(app, NOW):
        # "All institutions" covers the banks, not the platform's own service desk.
        assert grant(client, enterprise_id, "oZhang", institutions="all").status_code == 201
        response = client.get(
            f"/api/v1/staff/enterprises/{green.uscc.lower()}", headers=staff_headers()
        )
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["registration"]["name"] == green.name
    assert view["registration"]["legal_representative"] == "张*华"
    assert green.legal_representative not in response.text
    assert view["registered_on_platform"] is True
    assert view["enterprise"]["id"] == enterprise_id
    assert view["evaluation"]["grade"] in "ABCD"
    assert {g["category"] for g in view["public"]} == {
        "行政许可",
        "行政处罚",
        "严重失信名单",
        "司法判决及执行",
        "荣誉表彰",
    }
    penalties = next(g for g in view["public"] if g["category"] == "行政处罚")["records"]
    assert penalties and all(r["public"] for r in penalties)
    assert view["authorized_categories"] == [] and view["non_public"] == []
    assert "纳税" in view["withheld_categories"]
    # Reasons that repeat non-public facts stay hidden with them.
    assert not any("纳税" in r or "欠缴" in r for r in view["evaluation"]["reasons"])

    [entry] = _audit(session)
    assert (entry.actor_type, entry.actor_id, entry.action) == (
        "staff",
        "staff-agent",
        "staff_enterprise_lookup",
    )
    assert (entry.subject_type, entry.subject_id) == ("enterprise", green.uscc)
    assert entry.purpose == "热线来电咨询"
    assert entry.details == {"non_public_categories": [], "authorization_ids": []}


def test_an_authorization_naming_the_service_desk_opens_its_categories_to_staff(
    client: TestClient, app: FastAPI, bind, demo_city, session: Session, staff_headers
) -> None:
    green = demo_city[0]
    enterprise_id = bound_enterprise(bind, green, "oZhang")
    staff = staff_headers()
    with clock(app, NOW):
        granted = grant(
            client,
            enterprise_id,
            "oZhang",
            institutions=["sf_rcb", SERVICE_DESK],
            data_categories=["纳税"],
        )
        assert granted.status_code == 201, granted.text
        # The user sees whom they authorized, the service desk included.
        assert [i["code"] for i in granted.json()["institutions"]] == ["sf_rcb", SERVICE_DESK]
        authorization_id = granted.json()["id"]
        view = client.get(f"/api/v1/staff/enterprises/{green.uscc}", headers=staff).json()
    assert view["authorized_categories"] == ["纳税"]
    assert "纳税" not in view["withheld_categories"]
    [tax] = view["non_public"]
    assert tax["category"] == "纳税信用等级"
    assert [r["category"] for r in tax["records"]] == ["纳税信用等级"] * len(tax["records"])
    assert view["authorization_expires_at"].startswith("2027-06-30")
    [entry] = _audit(session)
    assert entry.details == {
        "non_public_categories": ["纳税"],
        "authorization_ids": [authorization_id],
    }

    # Once revoked, the service desk is back to public data.
    with clock(app, NOW):
        client.post(
            f"/api/v1/enterprises/{enterprise_id}/authorizations/{authorization_id}/revoke",
            headers=chat("oZhang"),
        )
        after = client.get(f"/api/v1/staff/enterprises/{green.uscc}", headers=staff).json()
    assert after["authorized_categories"] == [] and after["non_public"] == []
    assert len(_audit(session)) == 2


def test_the_service_desk_is_offered_in_the_notice_but_is_no_institution(
    client: TestClient, demo_city
) -> None:
    notice = client.get("/api/v1/authorizations/notice").json()
    assert notice["service_desk"]["code"] == SERVICE_DESK_CODE == SERVICE_DESK
    assert SERVICE_DESK not in {i["code"] for i in notice["institutions"]}


def test_a_bad_or_unknown_uscc_is_refused_in_chinese_and_writes_nothing(
    client: TestClient, demo_city, staff_headers, session: Session
) -> None:
    staff = staff_headers()
    bad = client.get("/api/v1/staff/enterprises/91329901MA1GY0017Y", headers=staff)
    assert bad.status_code == 422
    assert bad.json()["code"] == "uscc_invalid"
    assert "校验" in bad.json()["message"]
    short = client.get("/api/v1/staff/enterprises/9132", headers=staff)
    assert (short.status_code, short.json()["code"]) == (422, "uscc_invalid")

    body = "91329999MA1XX0099"
    unknown = body + compute_check_char(body)
    missing = client.get(f"/api/v1/staff/enterprises/{unknown}", headers=staff)
    assert missing.status_code == 404
    assert missing.json()["code"] == "enterprise_not_found"
    assert "\u4e00" <= missing.json()["message"][0] <= "\u9fff"
    assert _audit(session) == []


def test_the_console_reaches_the_same_staff_api_under_console_api(
    client: TestClient, app: FastAPI, bind, demo_city, session: Session, staff_headers
) -> None:
    number = _objection(client, app, bind, demo_city, session)
    staff = staff_headers()
    with clock(app, NOW):
        direct = client.get(f"/api/v1/staff/tickets/{number}", headers=staff)
        console = client.get(f"/console/api/staff/tickets/{number}", headers=staff)
    assert console.status_code == 200
    assert console.json() == direct.json()
    # Only staff routes are there: the service token's API is not.
    assert client.get("/console/api/city").status_code == 404
    assert "/console/api/staff/assist" not in app.openapi()["paths"]
