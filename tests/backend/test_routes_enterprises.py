from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi.testclient import TestClient

from app.enums import CreditCategory
from app.seed import DemoEnterprise

BindFn = Callable[..., httpx.Response]


def _summary(client: TestClient, enterprise_id: int, user_id: str, channel: str = "wechat"):
    return client.get(
        f"/api/v1/enterprises/{enterprise_id}/credit-summary",
        headers={"X-Chat-Channel": channel, "X-Chat-User-Id": user_id},
    )


def test_bound_user_gets_summary_with_every_category(
    client: TestClient, bind: BindFn, demo_city: tuple[DemoEnterprise, ...]
) -> None:
    green = demo_city[0]
    enterprise = bind(green, user_id="oAlice").json()["enterprise"]

    response = _summary(client, enterprise["id"], "oAlice")
    assert response.status_code == 200
    body = response.json()
    assert body["enterprise"] == {
        "id": enterprise["id"],
        "name": green.name,
        "uscc": green.uscc,
        "is_individual_business": False,
    }
    assert body["evaluation"]["grade"] in {"A", "B", "C", "D"}
    assert body["evaluation"]["reasons"]
    assert all(isinstance(r, str) and r for r in body["evaluation"]["reasons"])
    assert body["white_list"] is False

    counts = {c["category"]: c["count"] for c in body["counts"]}
    assert [c["category"] for c in body["counts"]] == [c.value for c in CreditCategory]
    assert counts["行政处罚"] == 1
    assert counts["严重失信名单"] == 0
    assert counts["纳税信用等级"] == 1


def test_white_listed_enterprise(
    client: TestClient, bind: BindFn, demo_city: tuple[DemoEnterprise, ...]
) -> None:
    precision = demo_city[2]
    enterprise = bind(precision, user_id="oBob").json()["enterprise"]
    body = _summary(client, enterprise["id"], "oBob").json()
    assert body["white_list"] is True
    assert body["evaluation"]["grade"] == "A"


def test_unbound_user_is_refused(
    client: TestClient, bind: BindFn, demo_city: tuple[DemoEnterprise, ...]
) -> None:
    green, diner, _ = demo_city
    green_id = bind(green, user_id="oAlice").json()["enterprise"]["id"]
    bind(diner, user_id="oMallory")

    for user_id, channel in (("oMallory", "wechat"), ("oAlice", "app"), ("oNobody", "wechat")):
        response = _summary(client, green_id, user_id, channel)
        assert response.status_code == 403
        body = response.json()
        assert body["code"] == "not_bound"
        assert "绑定" in body["message"]


def test_unknown_enterprise_looks_like_not_bound(
    client: TestClient, demo_city: tuple[DemoEnterprise, ...]
) -> None:
    response = _summary(client, 999_999, "oAlice")
    assert response.status_code == 403
    assert response.json()["code"] == "not_bound"


def test_missing_user_is_invalid_input(client: TestClient) -> None:
    response = client.get("/api/v1/enterprises/1/credit-summary")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_input"
    assert set(body["fields"]) == {"X-Chat-Channel", "X-Chat-User-Id"}


def test_non_numeric_enterprise_id_is_invalid_input(client: TestClient) -> None:
    response = client.get(
        "/api/v1/enterprises/abc/credit-summary",
        headers={"X-Chat-Channel": "wechat", "X-Chat-User-Id": "x"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert "企业编号" in response.json()["message"]
