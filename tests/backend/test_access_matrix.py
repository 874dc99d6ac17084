"""The access matrix: two chat users, two enterprises, every endpoint that takes an object id.

Alice is bound to the green enterprise and Bob to the diner; each has an authorization, an
application, an objection and a hand-off of their own. Every route with an object id in its path
is called by Bob on Alice's objects (refused exactly as if the object did not exist, and nothing
changes) and by Alice on her own (not refused: the request itself is well-formed). Institution
routes get the same with two institutions. A guard fails when a new route with an object id is in
neither table, so the matrix always covers every such endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from authorization_support import grant
from authorization_support import institution_headers as institution
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from support import NOW, BindFn, bound_enterprise, chat, clock
from ticket_helpers import objection_body, record_of

from app.enums import CreditCategory
from app.models import (
    Application,
    AuditEntry,
    Authorization,
    CreditRecord,
    IdempotencyRecord,
    Ticket,
)

APPLY = {
    "product_code": "changxindai",
    "amount": 100,
    "term_months": 12,
    "purpose": "购买原材料",
    "contact_phone": "13912345678",
}
REFUSED = {"not_bound", "application_not_found", "ticket_not_found", "authorization_not_found"}


@dataclass
class World:
    alice_enterprise: int
    bob_enterprise: int
    alice_authorization: int
    alice_application: str
    alice_ticket: str
    alice_handoff: str
    alice_record: int


@pytest.fixture
def world(client: TestClient, app: FastAPI, bind: BindFn, demo_city, session: Session) -> World:
    green, diner, _ = demo_city
    alice = bound_enterprise(bind, green, "oAlice")
    bob = bound_enterprise(bind, diner, "oBob")
    with clock(app, NOW):
        for user, enterprise in (("oAlice", alice), ("oBob", bob)):
            assert grant(client, enterprise, user).status_code == 201
        authorization = client.get(
            f"/api/v1/enterprises/{alice}/authorizations", headers=chat("oAlice")
        ).json()["items"][0]["id"]
        application = client.post(
            f"/api/v1/enterprises/{alice}/applications", json=APPLY, headers=chat("oAlice")
        ).json()["application"]["number"]
        record = record_of(session, green.uscc, CreditCategory.ADMINISTRATIVE_PENALTY).id
        ticket = client.post(
            f"/api/v1/enterprises/{alice}/objections",
            json=objection_body(record),
            headers=chat("oAlice"),
        ).json()["ticket"]["number"]
        handoff = client.post(
            "/api/v1/handoffs", json={"summary": "想咨询常信贷"}, headers=chat("oAlice")
        ).json()["ticket"]["number"]
    return World(alice, bob, authorization, application, ticket, handoff, record)


def chat_routes(w: World) -> list[tuple[str, str, dict[str, Any] | None, dict[str, Any] | None]]:
    """(method, path on Alice's objects, query, body) for every chat-user route with an id."""
    e = f"/api/v1/enterprises/{w.alice_enterprise}"
    return [
        ("GET", f"{e}/credit-summary", None, None),
        ("POST", f"{e}/report-links", None, None),
        ("GET", f"{e}/records", {"category": "行政处罚"}, None),
        ("GET", f"{e}/records/search", {"q": "罚款"}, None),
        ("GET", f"{e}/authorizations", None, None),
        (
            "POST",
            f"{e}/authorizations",
            None,
            {
                "consent": "同意",
                "notice_version": "v1",
                "data_categories": ["纳税"],
                "institutions": "all",
            },
        ),
        ("POST", f"{e}/authorizations/{w.alice_authorization}/revoke", None, None),
        ("GET", f"{e}/applications", None, None),
        ("POST", f"{e}/applications", None, {**APPLY, "product_code": "shuzidai"}),
        ("GET", f"{e}/applications/{w.alice_application}", None, None),
        ("GET", f"/api/v1/applications/{w.alice_application}", None, None),
        ("POST", f"{e}/objections", None, objection_body(w.alice_record)),
        (
            "POST",
            f"{e}/repairs",
            None,
            {
                "record_id": w.alice_record,
                "commitment_version": "v1",
                "commitment_accepted": True,
                "proof_description": "罚款已缴清",
                "contact_phone": "13912345678",
            },
        ),
        ("POST", f"{e}/product-matches", None, {"amount": 50}),
        ("GET", f"/api/v1/tickets/{w.alice_ticket}", None, None),
        ("GET", f"/api/v1/tickets/{w.alice_handoff}", None, None),
    ]


# Routes with an id in the path that are not per-chat-user objects, and why.
NOT_CHAT_USER_OBJECTS = {
    "/api/v1/notifications/{notification_id}/delivered": "the channel's delivery receipt (service)",
    "/api/v1/events/{event_id}": "staff: every staff member sees every event",
    "/api/v1/events/{event_id}/stats": "staff: every staff member sees every event",
    "/api/v1/events/{event_id}/registrations": "staff: audited, every staff member",
    "/api/v1/events/{event_id}/h5-qrcode.png": "staff: every staff member sees every event",
    "/api/v1/events/{event_id}/wechat-qrcode": "staff: every staff member sees every event",
    "/api/v1/events/{event_id}/wechat-qrcode/png": "staff: every staff member sees every event",
    "/api/v1/staff/tickets/{number}/status": "staff: the hotline moves any ticket",
    "/api/v1/staff/tickets/{number}": "staff: the hotline looks up any ticket, audited",
    "/api/v1/staff/enterprises/{uscc}": "staff: public data, non-public per authorization, audited",
    "/api/v1/staff/evidence-files/{file_id}": "staff: the hotline opens any ticket's evidence",
    "/api/v1/institution/enterprises/{uscc}": "institutions: tested below",
    "/api/v1/institution/applications/{number}": "institutions: tested below",
    "/api/v1/institution/applications/{number}/status": "institutions: tested below",
}


def counts(session: Session) -> dict[str, int]:
    session.expire_all()
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model))
        for model in (Authorization, Application, Ticket, IdempotencyRecord, AuditEntry)
    } | {
        "disputed": session.scalar(
            select(func.count()).where(CreditRecord.status != "正常").select_from(CreditRecord)
        ),
        "revoked": session.scalar(
            select(func.count()).where(Authorization.revoked_at.is_not(None))
        ),
    }


def test_every_route_with_an_object_id_is_in_the_matrix(app: FastAPI, world: World):
    with_ids = {path for path in app.openapi()["paths"] if "{" in path}
    covered = {
        path
        for _, concrete, _, _ in chat_routes(world)
        for path in with_ids
        if _matches(path, concrete)
    }
    assert with_ids - covered - set(NOT_CHAT_USER_OBJECTS) == set()


def _matches(template: str, concrete: str) -> bool:
    parts, actual = template.split("/"), concrete.split("/")
    return len(parts) == len(actual) and all(
        p == a or p.startswith("{") for p, a in zip(parts, actual, strict=True)
    )


def test_another_user_is_refused_on_every_object_and_nothing_changes(
    client: TestClient, app: FastAPI, world: World, session: Session
):
    with clock(app, NOW):
        for method, path, query, body in chat_routes(world):
            before = counts(session)
            refused = client.request(method, path, params=query, json=body, headers=chat("oBob"))
            assert refused.status_code in (403, 404), (method, path, refused.text)
            assert refused.json()["code"] in REFUSED, (method, path, refused.text)
            assert "\u4e00" <= refused.json()["message"][0] <= "\u9fff"
            assert counts(session) == before, (method, path)


def test_a_foreign_object_is_answered_like_a_missing_one(
    client: TestClient, app: FastAPI, world: World
):
    missing = World(99999, 99999, 99999, "SQ209901010001", "YY209901010001", "RG209901010001", 1)
    with clock(app, NOW):
        for (method, path, query, body), (_, missing_path, _, _) in zip(
            chat_routes(world), chat_routes(missing), strict=True
        ):
            foreign = client.request(method, path, params=query, json=body, headers=chat("oBob"))
            absent = client.request(
                method, missing_path, params=query, json=body, headers=chat("oBob")
            )
            assert (foreign.status_code, foreign.json()) == (absent.status_code, absent.json()), (
                method,
                path,
            )


def test_the_owner_is_not_refused(client: TestClient, app: FastAPI, world: World):
    with clock(app, NOW):
        for method, path, query, body in chat_routes(world):
            own = client.request(method, path, params=query, json=body, headers=chat("oAlice"))
            assert own.status_code < 500, (method, path, own.text)
            assert own.json().get("code") not in REFUSED, (method, path, own.text)


def test_institutions_see_only_their_own_applications(
    client: TestClient, app: FastAPI, world: World, session: Session
):
    # 常信贷 belongs to 示范市农村商业银行 (sf_rcb); 工商银行 must not reach the application.
    own, other = institution(session, "sf_rcb"), institution(session, "icbc_sf")
    number = world.alice_application
    with clock(app, NOW):
        assert client.get(f"/api/v1/institution/applications/{number}", headers=own).is_success
        for method, path, body in (
            ("GET", f"/api/v1/institution/applications/{number}", None),
            ("POST", f"/api/v1/institution/applications/{number}/status", {"status": "机构受理"}),
        ):
            refused = client.request(method, path, json=body, headers=other)
            absent = client.request(
                method, path.replace(number, "SQ209901010001"), json=body, headers=other
            )
            assert refused.status_code == 404
            assert refused.json() == absent.json()
        status = client.get(f"/api/v1/institution/applications/{number}", headers=own).json()
        assert status["status"] == "已提交"


def test_an_institution_without_authorization_sees_public_data_only(
    client: TestClient, app: FastAPI, world: World, session: Session, demo_city
):
    # Bob authorized "all" institutions for 纳税 and 社保; Alice too. The guarantee company is
    # covered as well, so revoke Alice's and look as that institution.
    green = demo_city[0]
    with clock(app, NOW):
        client.post(
            f"/api/v1/enterprises/{world.alice_enterprise}/authorizations/"
            f"{world.alice_authorization}/revoke",
            headers=chat("oAlice"),
        )
        view = client.get(
            f"/api/v1/institution/enterprises/{green.uscc}",
            params={"purpose": "贷前调查"},
            headers=institution(session, "sf_guarantee"),
        ).json()
    assert view["non_public"] == []
    assert view["authorized_categories"] == []
