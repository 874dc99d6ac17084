"""Every refusal is {"code", "message"} in Chinese; nothing leaks a stack trace."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient


def test_unknown_path_is_json_404(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "请求的地址不存在。"}


def test_wrong_method_is_json_405(client: TestClient) -> None:
    response = client.delete("/api/v1/city")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_unexpected_error_is_neutral_500(app: FastAPI) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {"code": "internal_error", "message": "系统繁忙，请稍后再试。"}
    assert "secret" not in response.text
