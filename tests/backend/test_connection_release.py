"""A worker with few request threads and as many pooled connections stays live under many
concurrent requests to endpoints whose replies FastAPI validates in a second thread hop.

Before endpoints gave their connection back (app.api.routing), 2 threads and 2 connections
stopped here: the requests whose endpoints had run kept their connections while they waited for
a thread to validate the reply, and the threads were all taken by endpoints waiting for a
connection, until the pool timed out."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import PG_SCHEMA, TEST_TOKEN
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.core.config import Settings
from app.core.db import create_db_engine, create_session_factory
from app.main import create_app

THREADS = 2
CLIENTS = 40


@pytest.fixture
def small_worker(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    """The app with 2 request threads and a pool of exactly 2 connections (no overflow) on the
    test database; a request that cannot get a connection fails after 5 s instead of 30."""
    limits = {"max_overflow": 0, "pool_timeout": 5}
    if engine.dialect.name == "postgresql":
        limits["connect_args"] = {"options": f"-csearch_path={PG_SCHEMA}"}
    pool = create_db_engine(
        engine.url.render_as_string(hide_password=False), pool_size=THREADS, **limits
    )
    app = create_app(settings.model_copy(update={"request_threads": THREADS}))
    app.state.session_factory = create_session_factory(pool)
    with TestClient(app, headers={"Authorization": f"Bearer {TEST_TOKEN}"}) as client:
        yield client
    pool.dispose()


def test_concurrent_model_replies_complete_with_two_threads(small_worker: TestClient) -> None:
    def outbox(index: int) -> int:
        return small_worker.get(
            "/api/v1/dev/sms-outbox", params={"phone": f"136{index:08d}"}
        ).status_code

    def bound_enterprises(index: int) -> int:
        return small_worker.get(
            "/api/v1/me/enterprises",
            headers={"X-Chat-Channel": "rest", "X-Chat-User-Id": f"u{index}"},
        ).status_code

    with ThreadPoolExecutor(CLIENTS) as pool:
        statuses = list(pool.map(outbox, range(CLIENTS))) + list(
            pool.map(bound_enterprises, range(CLIENTS))
        )

    assert statuses == [200] * (2 * CLIENTS)
