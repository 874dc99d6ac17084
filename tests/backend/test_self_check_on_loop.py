"""The self-check served on the event loop (PostgreSQL, psycopg's async pool) gives what the
request-thread path gives: the same summary, the same refusal of a user not bound to the
enterprise, and an audit row committed before the reply. With committed data in a schema of its
own, since the loop's connections cannot see a test's rolled-back transaction."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from alembic import command
from conftest import (
    AS_OF,
    SEEDED_ENTERPRISES,
    TEST_TOKEN,
    alembic_config,
    postgres_engine,
    postgres_url,
)
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from support import chat

from app.api.deps import get_async_pool
from app.city import CityConfig
from app.core.config import DEFAULT_CITY_CONFIG, Settings
from app.main import create_app
from app.models import AuditEntry, Enterprise
from app.seed import DEMO_ENTERPRISES, seed_city

SCHEMA = f"xinyidai_test_loop_{os.getpid()}"


@pytest.fixture(scope="module")
def committed(city: CityConfig) -> Iterator[tuple[Engine, Settings]]:
    engine = postgres_engine(SCHEMA)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    with Session(engine) as session:
        seed_city(session, city, enterprises=SEEDED_ENTERPRISES, as_of=AS_OF)
        session.commit()
    url = make_url(postgres_url()).update_query_dict({"options": f"-csearch_path={SCHEMA}"})
    settings = Settings(
        database_url=url.render_as_string(hide_password=False),
        service_token=TEST_TOKEN,
        city_config=DEFAULT_CITY_CONFIG,
        _env_file=None,  # type: ignore[call-arg]
    )
    _register(settings, "oLoop1")
    yield engine, settings
    engine.dispose()


def _register(settings: Settings, user_id: str) -> None:
    """Binds the chat user to the first demo enterprise the way the bot does (committed)."""
    demo, phone = DEMO_ENTERPRISES[0], "13900000001"
    with _client(settings, on_loop=False) as client:
        sent = client.post(
            "/api/v1/registrations/sms-codes", json={"phone": phone}, headers=chat(user_id)
        )
        assert sent.status_code == 202, sent.text
        code = client.get("/api/v1/dev/sms-outbox", params={"phone": phone}).json()
        registered = client.post(
            "/api/v1/registrations",
            json={
                "uscc": demo.uscc,
                "enterprise_name": demo.name,
                "person_name": demo.legal_representative,
                "role": "法定代表人",
                "phone": phone,
                "sms_code": code["items"][0]["code"],
            },
            headers=chat(user_id),
        )
        assert registered.status_code == 201, registered.text


def _client(settings: Settings, *, on_loop: bool) -> TestClient:
    app = create_app(settings)
    if not on_loop:

        async def _no_async_pool() -> None:
            return None

        app.dependency_overrides[get_async_pool] = _no_async_pool
    return TestClient(app, headers={"Authorization": f"Bearer {TEST_TOKEN}"})


def _audit_rows(engine: Engine) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _enterprise_id(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalars(
            select(Enterprise.id).where(Enterprise.uscc == DEMO_ENTERPRISES[0].uscc)
        ).one()


def test_the_loop_path_gives_the_thread_paths_summary_and_audit_row(
    committed: tuple[Engine, Settings],
) -> None:
    engine, settings = committed
    enterprise_id = _enterprise_id(engine)
    path = f"/api/v1/enterprises/{enterprise_id}/credit-summary"
    with _client(settings, on_loop=False) as client:
        assert client.app.state.async_pool is not None  # the override is what picks the path
        in_thread = client.get(path, headers=chat("oLoop1"))
    before = len(_audit_rows(engine))
    with _client(settings, on_loop=True) as client:
        # Twice: psycopg prepares a statement on the server after a few uses; both must work.
        on_loop = [client.get(path, headers=chat("oLoop1")) for _ in range(7)]
        served_by_pool = client.app.state.async_pool.get_stats()["requests_num"]

    assert in_thread.status_code == 200, in_thread.text
    assert [r.status_code for r in on_loop] == [200] * 7
    assert served_by_pool == 7
    assert all(r.json() == in_thread.json() for r in on_loop)
    summary = on_loop[-1].json()
    assert summary["enterprise"]["id"] == enterprise_id
    assert summary["evaluation"]["grade"]
    assert sum(c["count"] for c in summary["counts"]) > 0
    rows = _audit_rows(engine)
    assert len(rows) == before + 7
    thread_row, loop_row = rows[before - 1], rows[-1]
    for field in ("actor_type", "actor_id", "action", "subject_type", "subject_id", "purpose"):
        assert getattr(loop_row, field) == getattr(thread_row, field)
    assert loop_row.details == thread_row.details
    assert loop_row.actor_id == "wechat:oLoop1"
    assert loop_row.purpose == "信用自查"
    assert loop_row.occurred_at.tzinfo is not None


def test_the_loop_path_refuses_a_user_not_bound_and_audits_nothing(
    committed: tuple[Engine, Settings],
) -> None:
    engine, settings = committed
    enterprise_id = _enterprise_id(engine)
    before = len(_audit_rows(engine))
    with _client(settings, on_loop=True) as client:
        stranger = client.get(
            f"/api/v1/enterprises/{enterprise_id}/credit-summary", headers=chat("oStranger")
        )
        unknown = client.get("/api/v1/enterprises/999999/credit-summary", headers=chat("oLoop1"))

    assert stranger.status_code == 403
    assert stranger.json()["code"] == "not_bound"
    assert unknown.status_code == 403
    assert unknown.json() == stranger.json()
    assert len(_audit_rows(engine)) == before


def test_an_unreachable_database_is_a_503_with_a_chinese_message(
    committed: tuple[Engine, Settings],
) -> None:
    _, settings = committed
    # A port nothing listens on: the pool cannot connect and the request is told to retry.
    down = settings.model_copy(
        update={
            "database_url": "postgresql+psycopg://postgres@127.0.0.1:9/test?connect_timeout=2",
        }
    )
    app = create_app(down)
    with TestClient(app, headers={"Authorization": f"Bearer {TEST_TOKEN}"}) as client:
        app.state.async_pool.timeout = 3.0
        reply = client.get("/api/v1/enterprises/1/credit-summary", headers=chat("oLoop1"))

    assert reply.status_code == 503
    assert reply.json() == {
        "code": "database_unavailable",
        "message": "数据库暂时不可用，请稍后再试。",
    }
    assert reply.headers["Retry-After"] == "5"
