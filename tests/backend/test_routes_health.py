from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.api.deps import get_session
from app.core.db import create_db_engine


def test_health_ok_without_token(anon_client: TestClient) -> None:
    response = anon_client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_503_when_database_unreachable(app: FastAPI) -> None:
    # Nothing listens on port 1: the connection is refused at once.
    dead = create_db_engine(
        "postgresql+psycopg://postgres@127.0.0.1:1/none", connect_args={"connect_timeout": 2}
    )

    def _dead_session() -> Iterator[Session]:
        with Session(dead) as session:
            yield session

    app.dependency_overrides[get_session] = _dead_session
    try:
        with TestClient(app) as client:
            response = client.get("/health")
    finally:
        dead.dispose()
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "database_unavailable"
    assert "数据库" in body["message"]
