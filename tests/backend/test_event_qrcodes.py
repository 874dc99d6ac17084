"""An event's QR codes: the H5 link's as a PNG any staff member can print (decoded here with
zxing-cpp, as a phone's camera would), and the WeChat temporary code, which the Rasa WeChat channel
makes (it holds the access_token): without one configured, or with it unreachable, staff get a
clear answer and the H5 code still works. The WeChat round trip itself runs on the live stack
(tests/e2e/test_wechat_conversation.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.api.deps import get_now
from tests.support import free_port, qr_codes

T0 = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)
EVENT = {
    "name": "示范市政银企对接会",
    "place": "示范市会展中心二号厅",
    "starts_at": "2026-07-08T09:00:00+08:00",
    "ends_at": "2026-07-08T17:00:00+08:00",
}


@pytest.fixture
def admin(staff_headers) -> dict[str, str]:
    return staff_headers("管理员")


@pytest.fixture
def event(client: TestClient, app: FastAPI, admin: dict[str, str]) -> dict:
    app.dependency_overrides[get_now] = lambda: T0
    response = client.post("/api/v1/events", json=EVENT, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()


def test_the_h5_qr_code_opens_the_chat_for_the_event(
    client: TestClient, event: dict, staff_headers
) -> None:
    agent = staff_headers("坐席")  # any staff member may print it
    response = client.get(f"/api/v1/events/{event['id']}/h5-qrcode.png", headers=agent)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert qr_codes(response.content) == [event["h5_url"]]
    assert event["h5_url"].endswith(f"/chat?event={event['code']}")


def test_the_links_follow_the_public_address(
    client: TestClient, app: FastAPI, event: dict, admin: dict[str, str]
) -> None:
    app.state.settings = app.state.settings.model_copy(
        update={"public_base_url": "https://xyd.example.gov.cn"}
    )
    read = client.get(f"/api/v1/events/{event['id']}", headers=admin).json()
    assert read["h5_url"] == f"https://xyd.example.gov.cn/chat?event={event['code']}"
    png = client.get(f"/api/v1/events/{event['id']}/h5-qrcode.png", headers=admin).content
    assert qr_codes(png) == [read["h5_url"]]


def test_qr_codes_need_a_staff_token(client: TestClient, event: dict) -> None:
    # The client carries the service token: that is not a staff member.
    response = client.get(f"/api/v1/events/{event['id']}/h5-qrcode.png")
    assert response.status_code == 401
    assert response.json()["code"] == "staff_session_invalid"


def test_an_unknown_event_has_no_qr_code(client: TestClient, admin: dict[str, str]) -> None:
    response = client.get("/api/v1/events/999999/h5-qrcode.png", headers=admin)
    assert response.status_code == 404
    assert response.json()["code"] == "event_not_found"


@pytest.mark.parametrize("path", ["wechat-qrcode", "wechat-qrcode/png"])
def test_without_wechat_the_staff_are_told_to_use_the_h5_code(
    client: TestClient, event: dict, admin: dict[str, str], path: str
) -> None:
    response = client.post(f"/api/v1/events/{event['id']}/{path}", headers=admin)
    assert response.status_code == 409
    assert response.json()["code"] == "wechat_not_configured"
    assert "H5" in response.json()["message"]


def test_an_unreachable_wechat_channel_is_a_clear_502(
    client: TestClient, app: FastAPI, event: dict, admin: dict[str, str]
) -> None:
    closed = f"http://127.0.0.1:{free_port()}/webhooks/wechat/qrcodes"
    app.state.settings = app.state.settings.model_copy(update={"wechat_qrcode_url": closed})
    response = client.post(f"/api/v1/events/{event['id']}/wechat-qrcode", headers=admin)
    assert response.status_code == 502
    assert response.json()["code"] == "wechat_unavailable"
    assert "稍后" in response.json()["message"]


def test_no_wechat_code_for_an_event_long_over(
    client: TestClient, app: FastAPI, event: dict, admin: dict[str, str]
) -> None:
    app.state.settings = app.state.settings.model_copy(
        update={"wechat_qrcode_url": "http://127.0.0.1:9/unused"}
    )
    app.dependency_overrides[get_now] = lambda: datetime(2026, 7, 20, tzinfo=UTC)
    response = client.post(f"/api/v1/events/{event['id']}/wechat-qrcode", headers=admin)
    assert response.status_code == 409
    assert response.json()["code"] == "event_ended"
