"""产品申请: a live authorization covering the product's institution, amount and term within the
product's ranges, one active application per product, SQ numbers by China date, the status flow
driven by the institution with history and 融资成效, and the contact phone masked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from authorization_support import grant
from authorization_support import institution_headers as inst
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from support import NOW, BindFn, bound_enterprise, chat, clock

from app.models import Application, ApplicationStatusChange

PHONE = "13912345678"


def _apply(
    client: TestClient, enterprise_id: int, user_id: str, key: str | None = None, **overrides: Any
):
    body: dict[str, Any] = {
        "product_code": "changxindai",
        "amount": 100,
        "term_months": 12,
        "purpose": "购买原材料",
        "contact_phone": PHONE,
    }
    body.update(overrides)
    headers = chat(user_id)
    if key:
        headers["Idempotency-Key"] = key
    return client.post(
        f"/api/v1/enterprises/{enterprise_id}/applications", json=body, headers=headers
    )


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Application)) or 0


@pytest.fixture
def authorized(client: TestClient, app: FastAPI, bind: BindFn, demo_city) -> int:
    """The green enterprise, bound to oApp and authorized for all institutions."""
    enterprise_id = bound_enterprise(bind, demo_city[0], "oApp")
    with clock(app, NOW):
        assert grant(client, enterprise_id, "oApp").status_code == 201
    return enterprise_id


def _move(client: TestClient, session: Session, number: str, code: str = "sf_rcb", **body):
    return client.post(
        f"/api/v1/institution/applications/{number}/status",
        json=body,
        headers=inst(session, code),
    )


def test_apply_creates_a_numbered_submitted_application(
    client: TestClient, app: FastAPI, authorized: int, session: Session
) -> None:
    with clock(app, NOW):
        response = _apply(client, authorized, "oApp", contact_phone="139 1234-5678")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["created"] is True
    application = body["application"]
    assert application["number"] == "SQ202606300001"
    assert application["status"] == "已提交"
    assert application["active"] is True
    assert application["product"] == {"code": "changxindai", "name": "常信贷"}
    assert application["institution"] == {"code": "sf_rcb", "name": "示范市农村商业银行"}
    assert (application["amount"], application["term_months"]) == (100.0, 12)
    assert application["purpose"] == "购买原材料"
    assert application["contact_phone"] == "139****5678"
    assert application["feedback"] is None
    assert [(h["status"], h["by"]) for h in application["history"]] == [("已提交", "申请企业")]
    assert application["submitted_at"] == "2026-06-30T02:00:00Z"
    stored = session.scalars(select(Application)).one()
    assert stored.contact_phone == PHONE  # kept for the bank, masked on display


def test_numbers_count_per_china_day(
    client: TestClient, app: FastAPI, authorized: int, session: Session
) -> None:
    with clock(app, NOW):
        first = _apply(client, authorized, "oApp").json()["application"]["number"]
        second = _apply(client, authorized, "oApp", product_code="chuangxindai", amount=200)
    # 17:30 UTC is already 1 July in China.
    with clock(app, datetime(2026, 6, 30, 17, 30, tzinfo=UTC)):
        third = _apply(client, authorized, "oApp", product_code="sutanrong", amount=100)
    assert first == "SQ202606300001"
    assert second.json()["application"]["number"] == "SQ202606300002"
    assert third.json()["application"]["number"] == "SQ202607010001"


def test_without_authorization_nothing_is_stored(
    client: TestClient, app: FastAPI, bind: BindFn, demo_city, session: Session
) -> None:
    enterprise_id = bound_enterprise(bind, demo_city[0], "oAppNoAuth")
    response = _apply(client, enterprise_id, "oAppNoAuth")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "authorization_required"
    assert "授权" in body["message"] and "示范市农村商业银行" in body["message"]
    assert _count(session) == 0


@pytest.mark.parametrize(
    "scope",
    [
        {"institutions": ["ccb_sf"]},  # another bank
        {"revoked": True},
        {"expired": True},
    ],
    ids=["other-institution", "revoked", "expired"],
)
def test_an_authorization_that_does_not_cover_the_bank_now_is_not_enough(
    client: TestClient, app: FastAPI, bind: BindFn, demo_city, session: Session, scope
) -> None:
    enterprise_id = bound_enterprise(bind, demo_city[0], "oAppScope")
    granted_at = datetime(2025, 1, 1, tzinfo=UTC) if scope.get("expired") else NOW
    with clock(app, granted_at):
        auth = grant(
            client,
            enterprise_id,
            "oAppScope",
            institutions=scope.get("institutions", "all"),
            period_months=1 if scope.get("expired") else 12,
        ).json()
    with clock(app, NOW):
        if scope.get("revoked"):
            client.post(
                f"/api/v1/enterprises/{enterprise_id}/authorizations/{auth['id']}/revoke",
                headers=chat("oAppScope"),
            )
        response = _apply(client, enterprise_id, "oAppScope")
    assert response.status_code == 409
    assert response.json()["code"] == "authorization_required"
    assert _count(session) == 0


def test_an_authorization_naming_the_bank_is_enough(
    client: TestClient, app: FastAPI, bind: BindFn, demo_city
) -> None:
    enterprise_id = bound_enterprise(bind, demo_city[0], "oAppNamed")
    with clock(app, NOW):
        grant(client, enterprise_id, "oAppNamed", institutions=["sf_rcb"])
        assert _apply(client, enterprise_id, "oAppNamed").status_code == 201


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"amount": 5}, ["amount"]),
        ({"amount": 301}, ["amount"]),
        ({"term_months": 2}, ["term_months"]),
        ({"term_months": 13}, ["term_months"]),
        ({"amount": 1000, "term_months": 24}, ["amount", "term_months"]),
    ],
)
def test_amount_and_term_must_lie_in_the_product_ranges(
    client: TestClient, app: FastAPI, authorized: int, session: Session, overrides, fields
) -> None:
    with clock(app, NOW):
        response = _apply(client, authorized, "oApp", **overrides)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "out_of_product_range"
    assert body["fields"] == fields
    assert "常信贷" in body["message"]
    assert _count(session) == 0


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"contact_phone": "12345"}, "phone_invalid", "contact_phone"),
        ({"contact_phone": "12812345678"}, "phone_invalid", "contact_phone"),
        ({"amount": -1}, "invalid_input", "amount"),
        ({"amount": "很多"}, "invalid_input", "amount"),
        ({"amount": 10.123}, "invalid_input", "amount"),
        ({"term_months": 0}, "invalid_input", "term_months"),
        ({"purpose": ""}, "invalid_input", "purpose"),
        ({"product_code": ""}, "invalid_input", "product_code"),
        ({"product_code": None}, "invalid_input", "product_code"),
    ],
)
def test_bad_input_is_refused_in_chinese(
    client: TestClient, app: FastAPI, authorized: int, session: Session, overrides, code, field
) -> None:
    with clock(app, NOW):
        response = _apply(client, authorized, "oApp", **overrides)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert field in response.json()["fields"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["message"])
    assert _count(session) == 0


def test_unknown_product_is_not_found(
    client: TestClient, app: FastAPI, authorized: int, session: Session
) -> None:
    response = _apply(client, authorized, "oApp", product_code="no_such_loan")
    assert response.status_code == 404
    assert response.json()["code"] == "product_not_found"
    assert _count(session) == 0


def test_one_active_application_per_product(
    client: TestClient, app: FastAPI, authorized: int, session: Session
) -> None:
    with clock(app, NOW):
        first = _apply(client, authorized, "oApp")
        second = _apply(client, authorized, "oApp", amount=50, purpose="另一个用途")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["created"] is False
    assert second.json()["application"] == first.json()["application"]
    assert _count(session) == 1

    # Once the bank declines it, a new application for the product may be made.
    number = first.json()["application"]["number"]
    with clock(app, NOW):
        assert _move(client, session, number, status="机构受理").status_code == 200
        assert (
            _move(client, session, number, status="未通过", note="经营流水不足").status_code == 200
        )
        third = _apply(client, authorized, "oApp")
    assert third.status_code == 201
    assert third.json()["application"]["number"] != number
    assert _count(session) == 2


def test_a_repeated_delivery_replays_the_first_reply(
    client: TestClient, app: FastAPI, authorized: int, session: Session
) -> None:
    with clock(app, NOW):
        first = _apply(client, authorized, "oApp", key="wx-msg-app-0001")
        again = _apply(client, authorized, "oApp", key="wx-msg-app-0001")
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert _count(session) == 1


def test_the_institution_moves_the_status_with_feedback_and_history(
    client: TestClient, app: FastAPI, authorized: int, session: Session
) -> None:
    with clock(app, NOW):
        number = _apply(client, authorized, "oApp").json()["application"]["number"]
    steps = [
        ({"status": "机构受理", "note": "已安排客户经理"}, datetime(2026, 7, 1, 1, tzinfo=UTC)),
        (
            {
                "status": "已审批",
                "approved_amount": 80,
                "approved_rate": 3.65,
                "approved_term_months": 12,
                "note": "授信80万元",
            },
            datetime(2026, 7, 3, 1, tzinfo=UTC),
        ),
        ({"status": "已放款", "note": "已放款"}, datetime(2026, 7, 5, 1, tzinfo=UTC)),
    ]
    for body, moment in steps:
        with clock(app, moment):
            response = _move(client, session, number, **body)
        assert response.status_code == 200, response.text

    final = response.json()
    assert final["status"] == "已放款"
    assert final["active"] is False
    assert final["feedback"] == {
        "approved_amount": 80.0,
        "approved_rate": 3.65,
        "approved_term_months": 12,
        "note": "已放款",
    }
    assert [(h["status"], h["by"], h["note"]) for h in final["history"]] == [
        ("已提交", "申请企业", None),
        ("机构受理", "示范市农村商业银行", "已安排客户经理"),
        ("已审批", "示范市农村商业银行", "授信80万元"),
        ("已放款", "示范市农村商业银行", "已放款"),
    ]
    assert final["history"][2]["at"] == "2026-07-03T01:00:00Z"
    assert session.scalar(select(func.count()).select_from(ApplicationStatusChange)) == 4

    # The user sees the same, through the enterprise and by number alone.
    mine = client.get(
        f"/api/v1/enterprises/{authorized}/applications/{number}", headers=chat("oApp")
    )
    by_number = client.get(f"/api/v1/applications/{number.lower()}", headers=chat("oApp"))
    assert mine.json() == by_number.json() == final

    # …and is told of each change on their channel, with the institution's feedback.
    pending = client.get("/api/v1/notifications/pending", params={"channel": "wechat"}).json()
    told = [item for item in pending["items"] if item["number"] == number]
    assert [item["user_id"] for item in told] == ["oApp"] * 3
    assert "已由示范市农村商业银行受理" in told[0]["text"]
    assert "已审批通过：金额 80 万元，年化利率 3.65%，期限 12 个月" in told[1]["text"]
    assert "授信80万元" in told[1]["text"]
    assert "已放款" in told[2]["text"]


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ([], "已审批"),
        ([], "已放款"),
        ([], "未通过"),
        ([], "已提交"),
        (["机构受理"], "机构受理"),
        (["机构受理"], "已放款"),
        (["机构受理", "未通过"], "已放款"),
        (["机构受理", "未通过"], "机构受理"),
        (["机构受理", "已审批", "已放款"], "未通过"),
    ],
)
def test_other_moves_are_invalid_transitions(
    client: TestClient, app: FastAPI, authorized: int, session: Session, path, target
) -> None:
    with clock(app, NOW):
        number = _apply(client, authorized, "oApp").json()["application"]["number"]
        for status in path:
            body: dict[str, Any] = {"status": status}
            if status == "已审批":
                body |= {"approved_amount": 50, "approved_rate": 4, "approved_term_months": 12}
            assert _move(client, session, number, **body).status_code == 200
        before = client.get(f"/api/v1/applications/{number}", headers=chat("oApp")).json()
        body = {"status": target}
        if target == "已审批":
            body |= {"approved_amount": 50, "approved_rate": 4, "approved_term_months": 12}
        response = _move(client, session, number, **body)
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert "不能变更" in response.json()["message"]
    after = client.get(f"/api/v1/applications/{number}", headers=chat("oApp")).json()
    assert after == before


def test_approval_needs_the_financing_outcome(
    client: TestClient, app: FastAPI, authorized: int, session: Session
) -> None:
    with clock(app, NOW):
        number = _apply(client, authorized, "oApp").json()["application"]["number"]
        _move(client, session, number, status="机构受理")
        missing = _move(client, session, number, status="已审批", approved_amount=80)
        premature = _move(client, session, number, status="未通过", approved_amount=80)
        bad_rate = _move(
            client,
            session,
            number,
            status="已审批",
            approved_amount=80,
            approved_rate=99,
            approved_term_months=12,
        )
    assert missing.status_code == 422
    assert missing.json()["code"] == "feedback_required"
    assert missing.json()["fields"] == ["approved_rate", "approved_term_months"]
    assert premature.status_code == 422
    assert premature.json()["code"] == "feedback_not_applicable"
    assert bad_rate.status_code == 422
    assert bad_rate.json()["fields"] == ["approved_rate"]


def test_an_institution_cannot_touch_another_institutions_application(
    client: TestClient, app: FastAPI, authorized: int, session: Session
) -> None:
    with clock(app, NOW):
        number = _apply(client, authorized, "oApp").json()["application"]["number"]
        other = _move(client, session, number, code="ccb_sf", status="机构受理")
        missing = _move(client, session, "SQ209901010001", code="ccb_sf", status="机构受理")
        seen = client.get(
            f"/api/v1/institution/applications/{number}", headers=inst(session, "ccb_sf")
        )
        listed = client.get("/api/v1/institution/applications", headers=inst(session, "ccb_sf"))
    assert other.status_code == missing.status_code == seen.status_code == 404
    assert other.json() == missing.json()
    assert other.json()["code"] == "application_not_found"
    assert listed.json()["items"] == []
    own = client.get(
        "/api/v1/institution/applications",
        params={"status": "已提交"},
        headers=inst(session, "sf_rcb"),
    ).json()["items"]
    assert [a["number"] for a in own] == [number]
    assert own[0]["contact_phone"] == "139****5678"
    state = client.get(f"/api/v1/applications/{number}", headers=chat("oApp")).json()
    assert state["status"] == "已提交"


def test_status_changes_need_an_institution_token(
    client: TestClient, app: FastAPI, authorized: int, session: Session
) -> None:
    with clock(app, NOW):
        number = _apply(client, authorized, "oApp").json()["application"]["number"]
    url = f"/api/v1/institution/applications/{number}/status"
    service_token = client.post(url, json={"status": "机构受理"})  # the client's service token
    wrong = client.post(
        url, json={"status": "机构受理"}, headers={"Authorization": "Bearer not-a-token"}
    )
    for response in (service_token, wrong):
        assert response.status_code == 401
        assert response.json()["code"] == "institution_unauthorized"


def test_the_user_lists_and_reads_only_their_enterprises_applications(
    client: TestClient, app: FastAPI, authorized: int, bind: BindFn, demo_city, session: Session
) -> None:
    with clock(app, NOW):
        first = _apply(client, authorized, "oApp").json()["application"]["number"]
        second = _apply(client, authorized, "oApp", product_code="sutanrong").json()
    listing = client.get(f"/api/v1/enterprises/{authorized}/applications", headers=chat("oApp"))
    assert [a["number"] for a in listing.json()["items"]] == [
        second["application"]["number"],
        first,
    ]
    assert all(a["contact_phone"] == "139****5678" for a in listing.json()["items"])
    assert PHONE not in listing.text

    diner_id = bound_enterprise(bind, demo_city[1], "oAppOther")
    by_number = client.get(f"/api/v1/applications/{first}", headers=chat("oAppOther"))
    missing = client.get("/api/v1/applications/SQ209901010001", headers=chat("oAppOther"))
    through_own = client.get(
        f"/api/v1/enterprises/{diner_id}/applications/{first}", headers=chat("oAppOther")
    )
    assert by_number.status_code == missing.status_code == through_own.status_code == 404
    assert by_number.json() == missing.json() == through_own.json()
    for enterprise_id in (authorized, 999_999):
        assert (
            client.get(
                f"/api/v1/enterprises/{enterprise_id}/applications", headers=chat("oAppOther")
            ).status_code
            == 403
        )
        assert _apply(client, enterprise_id, "oAppOther").status_code == 403
