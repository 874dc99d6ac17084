"""The same application request delivered twice at the same moment (a WeChat retry racing the
original) creates one application, on SQLite and PostgreSQL, with real commits in separate
sessions: with an Idempotency-Key both deliveries get the identical reply; without one the
natural key (one active application per product) still keeps it to one row."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from conftest import AS_OF, BACKENDS, RUN_SUFFIX, TEST_TOKEN, alembic_config, make_empty_engine
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from support import NOW

from app.api.deps import get_now
from app.city import CityConfig
from app.core.config import DEFAULT_CITY_CONFIG, Settings
from app.core.db import create_session_factory
from app.models import Application, Binding, ChatUser, Enterprise, Product, RegistryEntity
from app.schemas.authorization import AuthorizationCreate
from app.seed import DEMO_ENTERPRISES, seed_city
from app.services.authorizations import grant_authorization

SCHEMA = f"backend_tests_applications_{RUN_SUFFIX}"
USER = "oRace"


@pytest.fixture(params=BACKENDS)
def committed_engine(
    request: pytest.FixtureRequest, tmp_path: Path, city: CityConfig
) -> Iterator[Engine]:
    """A database of its own with the demo city, a bound user and an authorization committed."""
    engine = make_empty_engine(request.param, tmp_path, SCHEMA)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    with Session(engine) as session:
        seed_city(session, city, enterprises=len(DEMO_ENTERPRISES), as_of=AS_OF)
        green = DEMO_ENTERPRISES[0]
        entity = session.scalars(
            select(RegistryEntity).where(RegistryEntity.uscc == green.uscc)
        ).one()
        enterprise = Enterprise(
            registry_entity_id=entity.id,
            uscc=entity.uscc,
            name=entity.name,
            is_individual_business=False,
        )
        user = ChatUser(channel="wechat", external_user_id=USER)
        session.add_all([enterprise, user])
        session.flush()
        session.add(
            Binding(
                chat_user_id=user.id,
                enterprise_id=enterprise.id,
                role="法定代表人",
                person_name=green.legal_representative,
            )
        )
        session.flush()
        grant_authorization(
            session,
            enterprise,
            "wechat",
            USER,
            AuthorizationCreate(
                consent="同意", notice_version="v1", data_categories=["纳税"], institutions="all"
            ),
            now=NOW,
        )
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def concurrent_app(committed_engine: Engine) -> FastAPI:
    """The real app (no test-session override): every request gets its own session and commits."""
    from app.main import create_app

    settings = Settings(
        database_url="sqlite://",  # replaced below; the app's own engine is never used
        service_token=TEST_TOKEN,
        city_config=DEFAULT_CITY_CONFIG,
        _env_file=None,  # type: ignore[call-arg]
    )
    app = create_app(settings)
    app.state.session_factory = create_session_factory(committed_engine)
    app.dependency_overrides[get_now] = lambda: NOW
    return app


def _enterprise_id(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalars(select(Enterprise.id)).one()


def _deliver_together(
    app: FastAPI, url: str, body: dict[str, Any], headers: dict[str, str], times: int = 2
) -> list[tuple[int, Any]]:
    barrier = threading.Barrier(times)
    replies: list[tuple[int, Any]] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            client = TestClient(app, headers={"Authorization": f"Bearer {TEST_TOKEN}"})
            barrier.wait()
            response = client.post(url, json=body, headers=headers)
            replies.append((response.status_code, response.json()))
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=deliver) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(replies) == times
    return replies


def _applications(engine: Engine, product_code: str) -> list[Application]:
    with Session(engine) as session:
        return list(
            session.scalars(select(Application).join(Product).where(Product.code == product_code))
        )


@pytest.mark.parametrize("product_code", ["changxindai", "chuangxindai", "sutanrong"])
def test_simultaneous_deliveries_with_one_key_create_one_application_and_one_reply(
    concurrent_app: FastAPI, committed_engine: Engine, product_code: str
) -> None:
    enterprise_id = _enterprise_id(committed_engine)
    body = {
        "product_code": product_code,
        "amount": 100,
        "term_months": 12,
        "purpose": "购买原材料",
        "contact_phone": "13912345678",
    }
    headers = {
        "X-Chat-Channel": "wechat",
        "X-Chat-User-Id": USER,
        "Idempotency-Key": f"wx-msg-race-{product_code}",
    }
    replies = _deliver_together(
        concurrent_app, f"/api/v1/enterprises/{enterprise_id}/applications", body, headers
    )

    assert replies[0] == replies[1]
    status, reply = replies[0]
    assert status == 201
    assert reply["created"] is True
    stored = _applications(committed_engine, product_code)
    assert [a.number for a in stored] == [reply["application"]["number"]]


def test_simultaneous_deliveries_without_a_key_still_create_one_application(
    concurrent_app: FastAPI, committed_engine: Engine
) -> None:
    enterprise_id = _enterprise_id(committed_engine)
    body = {
        "product_code": "changxindai",
        "amount": 50,
        "term_months": 6,
        "purpose": "流动资金周转",
        "contact_phone": "13912345678",
    }
    headers = {"X-Chat-Channel": "wechat", "X-Chat-User-Id": USER}
    replies = _deliver_together(
        concurrent_app, f"/api/v1/enterprises/{enterprise_id}/applications", body, headers
    )

    assert sorted(status for status, _ in replies) == [200, 201]
    assert {reply["created"] for _, reply in replies} == {True, False}
    assert replies[0][1]["application"] == replies[1][1]["application"]
    assert len(_applications(committed_engine, "changxindai")) == 1
    with Session(committed_engine) as session:
        assert session.scalar(select(func.count()).select_from(Application)) == 1
