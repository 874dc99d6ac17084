"""The institution view (分级分类): public information always; a non-public category only under a
live authorization covering this institution and that category; every non-public read audited
(who = institution, what = enterprise + categories, why = purpose, when) in the same transaction.
Institutions authenticate with their own tokens, never the service token."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from authorization_support import grant
from authorization_support import institution_headers as inst
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from support import NOW, BindFn, bound_enterprise, chat, clock

from app.enums import CreditCategory, DataClass
from app.models import AuditEntry, InstitutionCredential, RegistryEntity
from app.seed import DemoEnterprise
from app.services import institution_view

PUBLIC = [c.value for c in CreditCategory if c.data_class is DataClass.PUBLIC]


def _view(client: TestClient, session: Session, uscc: str, code: str = "sf_rcb", **params: Any):
    return client.get(
        f"/api/v1/institution/enterprises/{uscc}",
        params={"purpose": "贷前审查", **params},
        headers=inst(session, code),
    )


def _audits(session: Session) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry).where(AuditEntry.actor_type == "institution").order_by(AuditEntry.id)
        )
    )


def _non_public(body: dict) -> dict[str, list]:
    return {c["category"]: c["records"] for c in body["non_public"]}


def test_without_authorization_only_public_information(
    client: TestClient,
    app: FastAPI,
    bind: BindFn,
    demo_city: tuple[DemoEnterprise, ...],
    session: Session,
) -> None:
    green = demo_city[0]
    bound_enterprise(bind, green, "oView1")
    with clock(app, NOW):
        response = _view(client, session, green.uscc)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["registration"]["uscc"] == green.uscc
    assert body["registration"]["legal_representative"] == "张*华"
    assert body["registered_on_platform"] is True
    assert [c["category"] for c in body["public"]] == PUBLIC
    public = {c["category"]: c["records"] for c in body["public"]}
    assert len(public["行政处罚"]) == 1 and len(public["荣誉表彰"]) == 1
    assert all(r["public"] for c in body["public"] for r in c["records"])
    assert body["authorized_categories"] == []
    assert len(body["withheld_categories"]) == 8
    assert body["non_public"] == []
    assert body["authorization_expires_at"] is None
    assert "纳税信用等级为A级" not in response.text
    assert _audits(session) == []


def test_a_registry_entity_without_an_account_shows_public_information(
    client: TestClient, demo_city, session: Session
) -> None:
    other = session.scalars(select(RegistryEntity).order_by(RegistryEntity.id.desc())).first()
    assert other is not None
    response = _view(client, session, other.uscc.lower())
    assert response.status_code == 200
    assert response.json()["registered_on_platform"] is False
    assert response.json()["non_public"] == []


def test_with_authorization_the_covered_categories_and_an_audit_row(
    client: TestClient, app: FastAPI, bind: BindFn, demo_city, session: Session
) -> None:
    precision = demo_city[2]
    enterprise_id = bound_enterprise(bind, precision, "oView2")
    with clock(app, NOW):
        auth = grant(
            client,
            enterprise_id,
            "oView2",
            data_categories=["纳税", "不动产"],
            institutions=["sf_rcb"],
        ).json()
        response = _view(client, session, precision.uscc, purpose="贷前审查：常信贷")
    assert response.status_code == 200
    body = response.json()
    assert body["authorized_categories"] == ["纳税", "不动产"]
    assert "进出口" in body["withheld_categories"] and "纳税" not in body["withheld_categories"]
    records = _non_public(body)
    assert set(records) == {"纳税信用等级", "不动产"}
    assert records["纳税信用等级"][0]["value"] == "A"
    assert records["不动产"][0]["title"] == "不动产权登记"
    assert "进出口" not in response.text.replace('"进出口"', "")  # only as a withheld name
    assert body["authorization_expires_at"] == auth["expires_at"]

    [entry] = _audits(session)
    assert (entry.actor_type, entry.actor_id) == ("institution", "sf_rcb")
    assert (entry.action, entry.subject_type, entry.subject_id) == (
        "read_non_public",
        "enterprise",
        str(enterprise_id),
    )
    assert entry.purpose == "贷前审查：常信贷"
    assert entry.details["categories"] == ["纳税", "不动产"]
    assert entry.details["uscc"] == precision.uscc
    assert entry.details["authorization_ids"] == [auth["id"]]
    assert entry.occurred_at is not None


@pytest.mark.parametrize(
    "case", ["revoked", "expired", "other-institution", "other-category", "all-institutions"]
)
def test_only_a_live_authorization_covering_institution_and_category_opens_data(
    client: TestClient, app: FastAPI, bind: BindFn, demo_city, session: Session, case: str
) -> None:
    precision = demo_city[2]
    enterprise_id = bound_enterprise(bind, precision, "oView3")
    scope: dict[str, Any] = {"data_categories": ["纳税"], "institutions": ["sf_rcb"]}
    granted_at = NOW
    if case == "expired":
        granted_at, scope["period_months"] = NOW - timedelta(days=40), 1
    if case == "other-institution":
        scope["institutions"] = ["ccb_sf"]
    if case == "other-category":
        scope["data_categories"] = ["社保", "公积金"]
    if case == "all-institutions":
        scope["institutions"] = "all"
    with clock(app, granted_at):
        auth = grant(client, enterprise_id, "oView3", **scope).json()
    with clock(app, NOW):
        if case == "revoked":
            client.post(
                f"/api/v1/enterprises/{enterprise_id}/authorizations/{auth['id']}/revoke",
                headers=chat("oView3"),
            )
        response = _view(client, session, precision.uscc)
    assert response.status_code == 200
    body = response.json()
    if case == "all-institutions":
        assert body["authorized_categories"] == ["纳税"]
        assert set(_non_public(body)) == {"纳税信用等级"}
        assert len(_audits(session)) == 1
        return
    if case == "other-category":
        # Covered categories the enterprise has no records in: nothing non-public to show,
        # the tax grade stays withheld.
        assert body["authorized_categories"] == ["社保", "公积金"]
        assert "纳税" in body["withheld_categories"]
        assert all(records == [] for records in _non_public(body).values())
        assert "纳税信用" not in json.dumps(body["non_public"], ensure_ascii=False)
        return
    assert body["authorized_categories"] == []
    assert body["non_public"] == []
    assert "纳税信用等级为A级" not in response.text
    assert _audits(session) == []


def test_public_records_past_their_publicity_are_not_shown(
    client: TestClient, app: FastAPI, demo_city, session: Session
) -> None:
    green = demo_city[0]
    # The green enterprise's licence is public until 2026-06-17.
    with clock(app, datetime(2026, 6, 17, 12, tzinfo=UTC)):
        before = _view(client, session, green.uscc).json()
    with clock(app, datetime(2026, 6, 18, 12, tzinfo=UTC)):
        after = _view(client, session, green.uscc).json()
    licences = {
        moment: {c["category"]: c["records"] for c in body["public"]}["行政许可"]
        for moment, body in (("before", before), ("after", after))
    }
    assert len(licences["before"]) == 1
    assert licences["after"] == []


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),  # the client's service token is not an institution token
        ({"Authorization": "Bearer dev-institution-nobody"}, 401),
        ({"Authorization": "Basic abc"}, 401),
    ],
)
def test_institutions_need_their_own_valid_token(
    client: TestClient, demo_city, headers: dict[str, str], status: int
) -> None:
    response = client.get(
        f"/api/v1/institution/enterprises/{demo_city[0].uscc}",
        params={"purpose": "贷前审查"},
        headers=headers,
    )
    assert response.status_code == status
    assert response.json()["code"] == "institution_unauthorized"
    assert "令牌" in response.json()["message"]


def test_a_revoked_token_is_refused_and_whoami_names_the_institution(
    client: TestClient, demo_city, session: Session
) -> None:
    headers = inst(session, "icbc_sf")
    me = client.get("/api/v1/institution/me", headers=headers)
    assert me.json() == {"code": "icbc_sf", "name": "中国工商银行示范市分行", "kind": "银行"}
    stored = session.scalars(
        select(InstitutionCredential).where(
            InstitutionCredential.token_hash
            == institution_view.hash_token(headers["Authorization"].split()[1])
        )
    ).one()
    assert stored.token_hash != headers["Authorization"].split()[1]  # only the hash is kept
    stored.revoked_at = NOW
    session.commit()
    assert client.get("/api/v1/institution/me", headers=headers).status_code == 401


def test_issued_tokens_are_random_and_work(client: TestClient, demo_city, session: Session) -> None:
    from app.models import Institution

    bank = session.scalars(select(Institution).where(Institution.code == "njbank_sf")).one()
    token = institution_view.issue_token(session, bank, "生产令牌")
    session.commit()
    assert token.startswith("inst_") and len(token) > 40
    me = client.get("/api/v1/institution/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["code"] == "njbank_sf"


@pytest.mark.parametrize(
    ("uscc", "params", "status", "code"),
    [
        ("91329901MA1GY0017Y", {}, 422, "uscc_invalid"),
        ("123", {}, 422, "uscc_invalid"),
        ("91110000100000008J", {}, 404, "enterprise_not_found"),
        ("91329901MA1GY0017X", {"purpose": ""}, 422, "purpose_required"),
        ("91329901MA1GY0017X", {"purpose": "x"}, 422, "purpose_required"),
        ("91329901MA1GY0017X", {"purpose": "查" * 101}, 422, "purpose_required"),
    ],
)
def test_bad_queries_are_refused_in_chinese(
    client: TestClient, demo_city, session: Session, uscc, params, status, code
) -> None:
    response = _view(client, session, uscc, **params)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["message"])


def test_no_personal_data_leaks_to_the_institution(
    client: TestClient, app: FastAPI, bind: BindFn, demo_city, session: Session
) -> None:
    from datetime import date

    from app.enums import RecordStatus
    from app.models import CreditRecord, Enterprise

    green = demo_city[0]
    enterprise_id = bound_enterprise(bind, green, "oView4")
    entity_id = session.get_one(Enterprise, enterprise_id).registry_entity_id
    for category in (CreditCategory.JUDICIAL, CreditCategory.SOCIAL_INSURANCE_ARREARS):
        session.add(
            CreditRecord(
                registry_entity_id=entity_id,
                category=category.value,
                data_class=category.data_class.value,
                title="记录",
                content=f"{green.legal_representative}（110101199003071234，13812345678）",
                authority="示范市某局",
                decided_on=date(2026, 5, 1),
                status=RecordStatus.NORMAL.value,
            )
        )
    session.commit()
    with clock(app, NOW):
        grant(client, enterprise_id, "oView4", data_categories=["社保"])
        response = _view(client, session, green.uscc)
    assert "社保欠缴" in _non_public(response.json())
    for secret in (green.legal_representative, "110101199003071234", "13812345678"):
        assert secret not in response.text


def test_the_demo_seed_gives_every_institution_one_development_token(
    client: TestClient, demo_city, session: Session
) -> None:
    from app.seed.institutions import describe_institution_tokens, seed_institution_tokens

    first = seed_institution_tokens(session)
    session.commit()
    again = seed_institution_tokens(session)
    session.commit()
    assert first == again
    assert [t.code for t in first] == [
        "sf_rcb",
        "icbc_sf",
        "ccb_sf",
        "jsbank_sf",
        "njbank_sf",
        "sf_guarantee",
    ]
    assert session.scalar(select(func.count()).select_from(InstitutionCredential)) == 6
    lines = describe_institution_tokens(first)
    assert "仅限开发环境" in lines[0]
    assert "  示范市农村商业银行（sf_rcb）：dev-institution-sf_rcb" in lines
    for token in first:
        me = client.get(
            "/api/v1/institution/me", headers={"Authorization": f"Bearer {token.token}"}
        )
        assert me.json()["code"] == token.code
