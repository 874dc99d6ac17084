"""Everything under /api/v1 needs the service token, except the staff routes (a staff token) and
the institution routes (an institution token, test_institution_view.py)."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.api.main import institution_api_router, staff_api_router


def _api_operations(app: FastAPI) -> list[tuple[str, str]]:
    # Staff routes take a staff token instead (test_staff_sessions.py checks them).
    staff_app = FastAPI()
    staff_app.include_router(staff_api_router, prefix="/api/v1")
    staff_app.include_router(institution_api_router, prefix="/api/v1")
    staff_paths = set(staff_app.openapi()["paths"])
    operations = []
    for path, methods in app.openapi()["paths"].items():
        if path.startswith("/api/v1") and path not in staff_paths:
            concrete = re.sub(r"\{[^}]+\}", "1", path)
            operations.extend((method.upper(), concrete) for method in methods)
    return operations


def test_every_api_route_requires_the_token(app: FastAPI, anon_client: TestClient) -> None:
    operations = _api_operations(app)
    assert len(operations) >= 4
    for method, path in operations:
        response = anon_client.request(method, path, json={})
        assert response.status_code == 401, (method, path)
        body = response.json()
        assert body["code"] == "unauthorized"
        assert "令牌" in body["message"]
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    ["Bearer wrong-token", "Bearer ", "Basic dGVzdDp0ZXN0", "test-service-token"],
)
def test_wrong_or_malformed_token_is_rejected(anon_client: TestClient, header: str) -> None:
    response = anon_client.get("/api/v1/city", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_correct_token_is_accepted(client: TestClient) -> None:
    assert client.get("/api/v1/city").status_code == 200
