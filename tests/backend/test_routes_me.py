from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi.testclient import TestClient

from app.seed import DemoEnterprise

BindFn = Callable[..., httpx.Response]


def _items(client: TestClient, channel: str, user_id: str) -> list[dict]:
    response = client.get(
        "/api/v1/me/enterprises", headers={"X-Chat-Channel": channel, "X-Chat-User-Id": user_id}
    )
    assert response.status_code == 200
    return response.json()["items"]


def test_unknown_user_gets_empty_list(client: TestClient) -> None:
    assert _items(client, "wechat", "oNobody") == []


def test_user_sees_only_own_enterprises(
    client: TestClient, bind: BindFn, demo_city: tuple[DemoEnterprise, ...]
) -> None:
    green, diner, precision = demo_city
    assert bind(green, user_id="oAlice").status_code == 201
    assert bind(diner, user_id="oAlice", role="经办人", person_name="周小帮").status_code == 201
    assert bind(precision, user_id="oBob").status_code == 201

    alice = _items(client, "wechat", "oAlice")
    assert [(i["uscc"], i["role"], i["is_individual_business"]) for i in alice] == [
        (green.uscc, "法定代表人", False),
        (diner.uscc, "经办人", True),
    ]
    assert set(alice[0]) == {"id", "name", "uscc", "is_individual_business", "role"}
    assert [i["uscc"] for i in _items(client, "wechat", "oBob")] == [precision.uscc]
    # The same user id on another channel is another person.
    assert _items(client, "app", "oAlice") == []


def test_bad_channel_is_invalid_input(client: TestClient) -> None:
    response = client.get(
        "/api/v1/me/enterprises", headers={"X-Chat-Channel": "WeChat!", "X-Chat-User-Id": "oAlice"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


def test_missing_chat_user_is_invalid_input(client: TestClient) -> None:
    response = client.get("/api/v1/me/enterprises")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
