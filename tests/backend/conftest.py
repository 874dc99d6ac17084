"""Backend test fixtures.

Every database test runs twice: on SQLite (a temp file) and on PostgreSQL (TEST_POSTGRES_URL, in a
schema of its own that is dropped and re-created per run). Each test runs inside a transaction
that is rolled back afterwards, so tests neither see nor leave each other's rows.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.api.deps import get_async_pool, get_session
from app.city import CityConfig, load_city
from app.core.config import DEFAULT_CITY_CONFIG, Settings
from app.core.db import create_db_engine
from app.main import create_app
from app.seed import DEMO_ENTERPRISES, DemoEnterprise, seed_city

BACKEND_DIR = Path(__file__).resolve().parents[2] / "backend"
ALEMBIC_INI = BACKEND_DIR / "alembic.ini"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Per test run: several runs (developers, CI, helpers) may share one PostgreSQL database.
RUN_SUFFIX = f"{os.getpid()}"
PG_SCHEMA = f"backend_tests_{RUN_SUFFIX}"
_schemas_made: set[str] = set()
TEST_TOKEN = "test-service-token"
# Records are dated relative to this day, so assertions about dates never drift.
AS_OF = date(2026, 6, 30)
# 3 demo enterprises + 13 generated ones: enough for one record in every category.
SEEDED_ENTERPRISES = 16

BACKENDS = ("sqlite", "postgresql")


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.attributes["configure_logger"] = False
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def postgres_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL


def postgres_engine(schema: str) -> Engine:
    """An engine whose connections work in `schema`, re-created empty. Fails the test under
    CI=true when PostgreSQL cannot be reached, and skips it otherwise."""
    url = postgres_url()
    engine = create_db_engine(
        url, connect_args={"options": f"-csearch_path={schema}", "connect_timeout": 5}
    )
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        engine.dispose()
        message = f"PostgreSQL 不可用（TEST_POSTGRES_URL={url}）：{exc.orig}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}。CI=true 时 PostgreSQL 测试必须运行。", pytrace=False)
        pytest.skip(f"{message}；跳过 PostgreSQL 测试（设置 CI=true 时改为失败）。")
    # A schema of our own: reruns start clean without touching anything else in the database.
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    _schemas_made.add(schema)
    return engine


@pytest.fixture(scope="session", autouse=True)
def _drop_test_schemas() -> Iterator[None]:
    """Leaves the shared PostgreSQL database as it was once the run ends."""
    yield
    if not _schemas_made:
        return
    engine = create_db_engine(postgres_url())
    with engine.begin() as connection:
        for schema in _schemas_made:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def sqlite_engine(directory: Path) -> Engine:
    return create_db_engine(f"sqlite:///{directory / 'test.db'}")


def make_empty_engine(backend: str, tmp_dir: Path, pg_schema: str) -> Engine:
    return sqlite_engine(tmp_dir) if backend == "sqlite" else postgres_engine(pg_schema)


@pytest.fixture(scope="session", params=BACKENDS)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    db_engine = make_empty_engine(request.param, tmp_path_factory.mktemp("db"), PG_SCHEMA)
    with db_engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    yield db_engine
    db_engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with engine.connect() as connection:
        transaction = connection.begin()
        # Commits inside the code under test release savepoints; the outer transaction is
        # rolled back at the end, leaving the database as the migration made it.
        db_session = Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield db_session
        finally:
            db_session.close()
            transaction.rollback()


@pytest.fixture(scope="session")
def city() -> CityConfig:
    return load_city(DEFAULT_CITY_CONFIG)


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        service_token=TEST_TOKEN,
        city_config=DEFAULT_CITY_CONFIG,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def app(settings: Settings, session: Session) -> FastAPI:
    application = create_app(settings)

    def _test_session() -> Iterator[Session]:
        yield session

    async def _no_async_pool() -> None:
        # The event loop's own connections would not see the test's uncommitted transaction;
        # the self-check's loop path is tested with committed data (test_self_check_on_loop.py).
        return None

    application.dependency_overrides[get_session] = _test_session
    application.dependency_overrides[get_async_pool] = _no_async_pool
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, headers={"Authorization": f"Bearer {TEST_TOKEN}"}) as test_client:
        yield test_client


@pytest.fixture
def anon_client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def demo_city(session: Session, city: CityConfig) -> tuple[DemoEnterprise, ...]:
    """The demo city (catalogue, the three demo enterprises and a few generated ones)."""
    seed_city(session, city, enterprises=SEEDED_ENTERPRISES, as_of=AS_OF)
    session.commit()
    return DEMO_ENTERPRISES


BindFn = Callable[..., httpx.Response]


@pytest.fixture
def bind(client: TestClient) -> BindFn:
    """Registers a chat user for a demo enterprise the way the bot does: an SMS code to a fresh
    phone number (read back from the development outbox), then POST /api/v1/registrations with
    that code. Any body field can be overridden (`phone=`, `sms_code=`, `event_code=` …)."""
    phones = (f"139{n:08d}" for n in itertools.count(1))

    def _bind(
        demo: DemoEnterprise,
        *,
        channel: str = "wechat",
        user_id: str = "oUser0001",
        role: str = "法定代表人",
        **overrides: Any,
    ) -> httpx.Response:
        headers = {"X-Chat-Channel": channel, "X-Chat-User-Id": user_id}
        phone = overrides.pop("phone", None) or next(phones)
        sent = client.post(
            "/api/v1/registrations/sms-codes", json={"phone": phone}, headers=headers
        )
        assert sent.status_code == 202, sent.text
        outbox = client.get("/api/v1/dev/sms-outbox", params={"phone": phone}).json()
        body = {
            "uscc": demo.uscc,
            "enterprise_name": demo.name,
            "person_name": demo.legal_representative,
            "role": role,
            "phone": phone,
            "sms_code": outbox["items"][0]["code"],
            **overrides,
        }
        return client.post("/api/v1/registrations", json=body, headers=headers)

    return _bind


StaffHeadersFn = Callable[..., dict[str, str]]


@pytest.fixture
def staff_headers(client: TestClient, session: Session) -> StaffHeadersFn:
    """Creates a staff account (坐席 unless `role=` says otherwise), signs it in through
    POST /api/v1/staff/sessions and returns the headers that act as it (staff token, no service
    token)."""
    from app.enums import StaffRole
    from app.services.staff import create_staff_user

    def _headers(role: str = "坐席", username: str | None = None) -> dict[str, str]:
        username = username or f"staff-{StaffRole(role).name.lower()}"
        password = f"{username}-password"
        create_staff_user(
            session,
            username=username,
            display_name=f"测试{role}",
            role=StaffRole(role),
            password=password,
        )
        session.commit()
        response = client.post(
            "/api/v1/staff/sessions", json={"username": username, "password": password}
        )
        assert response.status_code == 201, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    return _headers
