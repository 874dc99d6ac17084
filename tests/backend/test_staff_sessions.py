"""Staff sign-in: a staff token (stored hashed, 8 hours by default) instead of the service token,
one answer for every failed login, sign-out, and role checks (require_staff_role)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.deps import StaffDep, get_now, require_staff_role
from app.api.main import staff_api_router
from app.enums import StaffRole
from app.models import StaffSession, StaffUser
from app.services.staff import create_staff_user

NOW = datetime(2026, 6, 30, 1, 0, tzinfo=UTC)
PASSWORD = "correct-horse-battery"


@pytest.fixture
def clock(app: FastAPI) -> Callable[[datetime], None]:
    """Fixes the request clock (NowDep) at NOW; call it to move the clock."""

    def set_time(moment: datetime) -> None:
        app.dependency_overrides[get_now] = lambda: moment

    set_time(NOW)
    return set_time


@pytest.fixture
def agent(session: Session) -> StaffUser:
    user = create_staff_user(
        session,
        username="wang.agent",
        display_name="王坐席",
        role=StaffRole.AGENT,
        password=PASSWORD,
    )
    session.commit()
    return user


def _login(client: TestClient, username: str = "wang.agent", password: str = PASSWORD):
    return client.post("/api/v1/staff/sessions", json={"username": username, "password": password})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_login_gives_a_token_for_eight_hours(
    client: TestClient, agent: StaffUser, clock, session: Session
) -> None:
    response = _login(client, username="  Wang.Agent ")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert datetime.fromisoformat(body["expires_at"]) == NOW + timedelta(hours=8)
    assert body["staff"] == {
        "id": agent.id,
        "username": "wang.agent",
        "display_name": "王坐席",
        "role": "坐席",
    }

    me = client.get("/api/v1/staff/me", headers=_bearer(body["token"]))
    assert me.status_code == 200
    assert me.json() == body["staff"]

    # Only a hash of the token is stored.
    stored = session.scalars(select(StaffSession)).all()
    assert len(stored) == 1
    assert body["token"] not in stored[0].token_hash
    assert len(stored[0].token_hash) == 64


def test_session_expires(client: TestClient, agent: StaffUser, clock) -> None:
    token = _login(client).json()["token"]
    clock(NOW + timedelta(hours=7, minutes=59))
    assert client.get("/api/v1/staff/me", headers=_bearer(token)).status_code == 200
    clock(NOW + timedelta(hours=8))
    expired = client.get("/api/v1/staff/me", headers=_bearer(token))
    assert expired.status_code == 401
    assert expired.json()["code"] == "staff_session_invalid"
    assert "登录" in expired.json()["message"]


def test_session_length_comes_from_settings(
    client: TestClient, app: FastAPI, agent: StaffUser, clock
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"staff_session_hours": 2})
    body = _login(client).json()
    assert datetime.fromisoformat(body["expires_at"]) == NOW + timedelta(hours=2)


def test_wrong_password_and_unknown_user_get_the_same_answer(
    client: TestClient, agent: StaffUser
) -> None:
    wrong = _login(client, password="not-the-password")
    unknown = _login(client, username="nobody")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "login_failed"
    assert "用户名或口令不正确" in wrong.json()["message"]
    assert "wang" not in wrong.text


def test_disabled_account_cannot_log_in_or_use_its_session(
    client: TestClient, agent: StaffUser, session: Session
) -> None:
    token = _login(client).json()["token"]
    agent.active = False
    session.commit()
    assert client.get("/api/v1/staff/me", headers=_bearer(token)).status_code == 401
    refused = _login(client)
    assert refused.status_code == 401
    assert refused.json()["code"] == "login_failed"


def test_logout_ends_the_session(client: TestClient, agent: StaffUser) -> None:
    token = _login(client).json()["token"]
    other = _login(client).json()["token"]
    out = client.delete("/api/v1/staff/sessions/current", headers=_bearer(token))
    assert out.status_code == 204
    assert client.get("/api/v1/staff/me", headers=_bearer(token)).status_code == 401
    again = client.delete("/api/v1/staff/sessions/current", headers=_bearer(token))
    assert again.status_code == 401
    # Other sessions of the same account stay signed in.
    assert client.get("/api/v1/staff/me", headers=_bearer(other)).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Bearer test-service-token"},  # the service token is not a staff token
        {"Authorization": "Basic dGVzdDp0ZXN0"},
    ],
)
def test_staff_routes_need_a_staff_token(anon_client: TestClient, headers: dict) -> None:
    for method, path in (("GET", "/api/v1/staff/me"), ("DELETE", "/api/v1/staff/sessions/current")):
        response = anon_client.request(method, path, headers=headers)
        assert response.status_code == 401, (method, path)
        assert response.json()["code"] == "staff_session_invalid"
        assert response.headers["www-authenticate"] == "Bearer"


def test_a_staff_token_does_not_open_service_routes(client: TestClient, agent: StaffUser) -> None:
    token = _login(client).json()["token"]
    response = client.get("/api/v1/city", headers=_bearer(token))
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_every_staff_router_route_needs_a_staff_token(app: FastAPI, anon_client: TestClient):
    """Every route on the staff router but the sign-in itself refuses a caller without one."""
    staff_app = FastAPI()
    staff_app.include_router(staff_api_router, prefix="/api/v1")
    checked = 0
    for path, operations in staff_app.openapi()["paths"].items():
        for method in operations:
            if (method, path) == ("post", "/api/v1/staff/sessions"):
                continue
            concrete = re.sub(r"\{[^}]+\}", "1", path)
            response = anon_client.request(method.upper(), concrete, json={})
            assert response.status_code == 401, (method, path)
            assert response.json()["code"] == "staff_session_invalid"
            checked += 1
    assert checked >= 2


def test_role_check(app: FastAPI, client: TestClient, staff_headers) -> None:
    @app.get("/api/v1/test-admin-only")
    def admin_only(
        staff: Annotated[StaffUser, Depends(require_staff_role(StaffRole.ADMIN))],
    ) -> dict:
        return {"username": staff.username}

    @app.get("/api/v1/test-any-staff")
    def any_staff(staff: StaffDep) -> dict:
        return {"role": staff.role}

    agent = staff_headers("坐席")
    admin = staff_headers("管理员")
    refused = client.get("/api/v1/test-admin-only", headers=agent)
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden_role"
    assert "管理员" in refused.json()["message"]
    assert client.get("/api/v1/test-admin-only", headers=admin).status_code == 200
    assert client.get("/api/v1/test-any-staff", headers=agent).json() == {"role": "坐席"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "", "password": "x"}, "username"),
        ({"username": "a"}, "password"),
        ({"username": "a", "password": "p" * 500}, "password"),
        ({"username": ["a"], "password": "x"}, "username"),
    ],
)
def test_invalid_login_input(client: TestClient, body: dict, field: str) -> None:
    response = client.post("/api/v1/staff/sessions", json=body)
    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "invalid_input"
    assert field in error["fields"]
    assert error["message"].startswith("输入有误")


@pytest.mark.parametrize("content", [b"not json", b"[]", b""])
def test_unparseable_login(client: TestClient, content: bytes) -> None:
    response = client.post(
        "/api/v1/staff/sessions", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
