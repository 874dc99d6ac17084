"""Every endpoint of authorizations, the self-check, applications and the institution view:
bad input of any kind is a 4xx with a code and a Chinese message (never a 500), and an object id
the caller may not see answers exactly like one that does not exist."""

from __future__ import annotations

from typing import Any

import pytest
from authorization_support import grant
from authorization_support import institution_headers as inst
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from support import NOW, BindFn, bound_enterprise, chat, clock

APPLY = {
    "product_code": "changxindai",
    "amount": 100,
    "term_months": 12,
    "purpose": "购买原材料",
    "contact_phone": "13912345678",
}
GRANT = {
    "consent": "同意",
    "notice_version": "v1",
    "data_categories": ["纳税"],
    "institutions": "all",
}
MISSING_APPLICATION = "SQ209901010001"


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture
def world(client: TestClient, app: FastAPI, bind: BindFn, demo_city, session: Session) -> dict:
    """Two enterprises with a user each; the green one has an authorization and an application."""
    green = bound_enterprise(bind, demo_city[0], "oOwner")
    diner = bound_enterprise(bind, demo_city[1], "oStranger")
    with clock(app, NOW):
        auth = grant(client, green, "oOwner").json()["id"]
        number = client.post(
            f"/api/v1/enterprises/{green}/applications", json=APPLY, headers=chat("oOwner")
        ).json()["application"]["number"]
    return {"green": green, "diner": diner, "auth": auth, "number": number}


def _enterprise_routes(enterprise_id: int, auth_id: int, number: str) -> list[tuple]:
    e = f"/api/v1/enterprises/{enterprise_id}"
    return [
        ("GET", f"{e}/credit-summary", None, None),
        ("GET", f"{e}/records", {"category": "纳税信用等级"}, None),
        ("GET", f"{e}/authorizations", None, None),
        ("POST", f"{e}/authorizations", None, GRANT),
        ("POST", f"{e}/authorizations/{auth_id}/revoke", None, None),
        ("GET", f"{e}/applications", None, None),
        ("POST", f"{e}/applications", None, APPLY),
        ("GET", f"{e}/applications/{number}", None, None),
    ]


def _call(client: TestClient, method: str, url: str, params, body, headers):
    return client.request(method, url, params=params, json=body, headers=headers)


def test_a_foreign_enterprise_answers_like_a_missing_one_everywhere(
    client: TestClient, world: dict
) -> None:
    foreign = _enterprise_routes(world["green"], world["auth"], world["number"])
    missing = _enterprise_routes(2_000_000_000, world["auth"], world["number"])
    for (method, url, params, body), (_, missing_url, _, _) in zip(foreign, missing, strict=True):
        a = _call(client, method, url, params, body, chat("oStranger"))
        b = _call(client, method, missing_url, params, body, chat("oStranger"))
        assert a.status_code == b.status_code == 403, (method, url, a.text)
        assert a.json() == b.json()
        assert a.json()["code"] == "not_bound"
        assert _chinese(a.json()["message"])


def test_objects_of_another_enterprise_answer_like_missing_ones(
    client: TestClient, world: dict, session: Session
) -> None:
    diner = f"/api/v1/enterprises/{world['diner']}"
    pairs = [
        (
            ("POST", f"{diner}/authorizations/{world['auth']}/revoke"),
            ("POST", f"{diner}/authorizations/2000000000/revoke"),
            chat("oStranger"),
        ),
        (
            ("GET", f"{diner}/applications/{world['number']}"),
            ("GET", f"{diner}/applications/{MISSING_APPLICATION}"),
            chat("oStranger"),
        ),
        (
            ("GET", f"/api/v1/applications/{world['number']}"),
            ("GET", f"/api/v1/applications/{MISSING_APPLICATION}"),
            chat("oStranger"),
        ),
        (
            ("GET", f"/api/v1/institution/applications/{world['number']}"),
            ("GET", f"/api/v1/institution/applications/{MISSING_APPLICATION}"),
            inst(session, "icbc_sf"),
        ),
    ]
    for (method, foreign), (_, missing), headers in pairs:
        a = client.request(method, foreign, headers=headers)
        b = client.request(method, missing, headers=headers)
        assert a.status_code == b.status_code == 404, (foreign, a.text)
        assert a.json() == b.json()
        assert _chinese(a.json()["message"])
    moved = client.post(
        f"/api/v1/institution/applications/{world['number']}/status",
        json={"status": "机构受理"},
        headers=inst(session, "icbc_sf"),
    )
    absent = client.post(
        f"/api/v1/institution/applications/{MISSING_APPLICATION}/status",
        json={"status": "机构受理"},
        headers=inst(session, "icbc_sf"),
    )
    assert moved.status_code == absent.status_code == 404
    assert moved.json() == absent.json()


NASTY_IDS = ["abc", "0", "-1", "1.5", "99999999999999999999", "2147483648", "%00"]


@pytest.mark.parametrize("bad_id", NASTY_IDS)
def test_bad_enterprise_ids_are_invalid_input(client: TestClient, world: dict, bad_id) -> None:
    for method, url, params, body in _enterprise_routes(bad_id, world["auth"], world["number"]):
        response = _call(client, method, url, params, body, chat("oOwner"))
        assert response.status_code == 422, (method, url, response.text)
        assert response.json()["code"] == "invalid_input"
        assert "企业编号" in response.json()["message"]


@pytest.mark.parametrize("bad", ["abc", "0", "99999999999999999999", "2147483648"])
def test_bad_authorization_ids_are_invalid_input(client: TestClient, world: dict, bad) -> None:
    response = client.post(
        f"/api/v1/enterprises/{world['green']}/authorizations/{bad}/revoke",
        headers=chat("oOwner"),
    )
    assert response.status_code == 422
    assert "授权编号" in response.json()["message"]


@pytest.mark.parametrize("bad", ["SQ-2026", "SQ%00", "申请一", "S" * 33, "%20"])
def test_bad_application_numbers_are_invalid_input(
    client: TestClient, world: dict, session: Session, bad: str
) -> None:
    urls = [
        ("GET", f"/api/v1/applications/{bad}", chat("oOwner")),
        ("GET", f"/api/v1/enterprises/{world['green']}/applications/{bad}", chat("oOwner")),
        ("GET", f"/api/v1/institution/applications/{bad}", inst(session, "sf_rcb")),
        ("POST", f"/api/v1/institution/applications/{bad}/status", inst(session, "sf_rcb")),
    ]
    for method, url, headers in urls:
        response = client.request(method, url, headers=headers, json={"status": "机构受理"})
        assert response.status_code in (404, 422), (url, response.text)
        assert response.json()["code"] in ("invalid_input", "not_found")
        assert _chinese(response.json()["message"])


def test_missing_chat_user_headers_are_invalid_input(client: TestClient, world: dict) -> None:
    routes = _enterprise_routes(world["green"], world["auth"], world["number"])
    routes.append(("GET", f"/api/v1/applications/{world['number']}", None, None))
    for method, url, params, body in routes:
        response = _call(client, method, url, params, body, {"X-Chat-Channel": "wechat"})
        assert response.status_code == 422, url
        assert response.json()["fields"] == ["X-Chat-User-Id"]
        assert "用户标识" in response.json()["message"]


BAD_BODIES: list[Any] = [
    "not json",
    [],
    ["a"],
    "null",
    {},
    {"product_code": "changxindai\u0000", "amount": 100},
]


@pytest.mark.parametrize("body", BAD_BODIES, ids=range(len(BAD_BODIES)))
def test_bad_bodies_are_refused_in_chinese(
    client: TestClient, world: dict, session: Session, body: Any
) -> None:
    targets = [
        (f"/api/v1/enterprises/{world['green']}/applications", chat("oOwner")),
        (f"/api/v1/enterprises/{world['green']}/authorizations", chat("oOwner")),
        (
            f"/api/v1/institution/applications/{world['number']}/status",
            inst(session, "sf_rcb"),
        ),
    ]
    for url, headers in targets:
        if isinstance(body, str):
            response = client.post(
                url, content=body, headers={**headers, "Content-Type": "application/json"}
            )
        else:
            response = client.post(url, json=body, headers=headers)
        assert 400 <= response.status_code < 500, (url, response.text)
        assert response.json()["code"] == "invalid_input"
        assert _chinese(response.json()["message"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("purpose", "买原料\u0000"),
        ("purpose", "x" * 201),
        ("contact_phone", "139\u00001234567"),
        ("product_code", "\u0000"),
        ("product_code", "x" * 51),
        ("amount", "NaN"),
        ("amount", "1e309"),
        ("amount", True),
        ("term_months", 10**30),
        ("term_months", [12]),
    ],
)
def test_odd_application_values_never_reach_the_database(
    client: TestClient, app: FastAPI, world: dict, field: str, value: Any
) -> None:
    with clock(app, NOW):
        response = client.post(
            f"/api/v1/enterprises/{world['diner']}/applications",
            json={**APPLY, field: value},
            headers=chat("oStranger"),
        )
    assert response.status_code == 422, response.text
    assert field in response.json().get("fields", [field])
    assert _chinese(response.json()["message"])


@pytest.mark.parametrize(
    "overrides",
    [
        {"institutions": ["sf_rcb\u0000"]},
        {"institutions": "\u0000"},
        {"institutions": ["x" * 33]},
        {"institutions": 5},
        {"institutions": None},
        {"consent": None},
        {"consent": "同意" * 10},
        {"notice_version": "v1\u0000"},
        {"data_categories": None},
        {"period_months": 12.5},
    ],
)
def test_odd_authorization_values_never_reach_the_database(
    client: TestClient, world: dict, overrides: dict
) -> None:
    response = client.post(
        f"/api/v1/enterprises/{world['green']}/authorizations",
        json={**GRANT, **overrides},
        headers=chat("oOwner"),
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["code"]
    assert _chinese(response.json()["message"])


@pytest.mark.parametrize(
    "body",
    [
        {"status": "已办结"},
        {"status": None},
        {"status": "机构受理", "note": "a\u0000b"},
        {"status": "机构受理", "note": "长" * 501},
        {"status": "已审批", "approved_amount": -1, "approved_rate": 3, "approved_term_months": 6},
        {
            "status": "已审批",
            "approved_amount": "NaN",
            "approved_rate": 3,
            "approved_term_months": 6,
        },
        {"status": "机构受理", "extra": 1},
    ],
)
def test_odd_status_changes_are_refused(
    client: TestClient, world: dict, session: Session, body: dict
) -> None:
    response = client.post(
        f"/api/v1/institution/applications/{world['number']}/status",
        json=body,
        headers=inst(session, "sf_rcb"),
    )
    assert response.status_code == 422, response.text
    assert _chinese(response.json()["message"])


@pytest.mark.parametrize(
    "params",
    [
        {"category": "纳税信用等级\u0000"},
        {"category": "x" * 1000},
    ],
)
def test_odd_record_queries_are_refused(client: TestClient, world: dict, params) -> None:
    response = client.get(
        f"/api/v1/enterprises/{world['green']}/records", params=params, headers=chat("oOwner")
    )
    assert response.status_code == 422
    assert _chinese(response.json()["message"])


@pytest.mark.parametrize(
    ("uscc", "purpose"),
    [
        ("91329901MA1GY0017X%00", "贷前审查"),
        ("%00", "贷前审查"),
        ("９１３２９９０１ＭＡ１ＧＹ００１７Ｘ", "贷前\u0000审查"),
        ("x" * 65, "贷前审查"),
    ],
)
def test_odd_institution_queries_are_refused(
    client: TestClient, demo_city, session: Session, uscc: str, purpose: str
) -> None:
    response = client.get(
        f"/api/v1/institution/enterprises/{uscc}",
        params={"purpose": purpose},
        headers=inst(session, "sf_rcb"),
    )
    assert 400 <= response.status_code < 500, response.text
    assert _chinese(response.json()["message"])


def test_full_width_uscc_is_normalised_for_institutions(
    client: TestClient, demo_city, session: Session
) -> None:
    response = client.get(
        "/api/v1/institution/enterprises/９１３２９９０１ｍａ１ｇｙ００１７ｘ",
        params={"purpose": "贷前审查"},
        headers=inst(session, "sf_rcb"),
    )
    assert response.status_code == 200
    assert response.json()["registration"]["uscc"] == demo_city[0].uscc


def test_product_can_be_named_instead_of_coded(
    client: TestClient, app: FastAPI, world: dict
) -> None:
    with clock(app, NOW):
        response = client.post(
            f"/api/v1/enterprises/{world['green']}/applications",
            json={**APPLY, "product_code": "苏碳融"},
            headers=chat("oOwner"),
        )
    assert response.status_code == 201
    assert response.json()["application"]["product"]["code"] == "sutanrong"
