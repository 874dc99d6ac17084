"""The demo-city seed: the documented commands work on a fresh SQLite file, are idempotent and
deterministic, and produce valid data."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from conftest import AS_OF, BACKEND_DIR, alembic_config, sqlite_engine
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.city import load_city
from app.core.config import DEFAULT_CITY_CONFIG
from app.core.db import create_db_engine
from app.enums import CreditCategory, DataClass
from app.models import CreditEvaluation, CreditRecord, Institution, Product, RegistryEntity
from app.seed import DEMO_ENTERPRISES, migration_problem, seed_city
from app.uscc import is_valid_uscc


def _run(args: list[str], database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("CITY_CONFIG", None)
    result = subprocess.run(
        [sys.executable, *args],
        cwd=BACKEND_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{args} 失败：\n{result.stdout}\n{result.stderr}"
    return result


def _snapshot(engine: Engine) -> dict[str, object]:
    with Session(engine) as session:
        return {
            "entities": session.execute(
                select(RegistryEntity.id, RegistryEntity.uscc, RegistryEntity.name).order_by(
                    RegistryEntity.id
                )
            ).all(),
            "records": session.scalar(select(func.count()).select_from(CreditRecord)),
            "evaluations": session.scalar(select(func.count()).select_from(CreditEvaluation)),
            "institutions": session.scalar(select(func.count()).select_from(Institution)),
            "products": session.scalar(select(func.count()).select_from(Product)),
        }


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, str]]:
    """Run the documented commands on a fresh SQLite file, exactly as the Makefile does."""
    path = tmp_path_factory.mktemp("seed") / "var" / "xinyidai.db"
    url = f"sqlite:///{path}"
    _run(["-m", "alembic", "upgrade", "head"], url)
    first = _run(["-m", "app.seed", "--as-of", AS_OF.isoformat()], url)
    engine = create_db_engine(url)
    yield engine, first.stdout
    engine.dispose()


def test_seed_reports_progress_and_demo_enterprises(seeded: tuple[Engine, str]) -> None:
    _, output = seeded
    assert "登记主体 300/300" in output
    for demo in DEMO_ENTERPRISES:
        assert demo.uscc in output


def test_seed_prints_the_demo_staff_accounts(seeded: tuple[Engine, str]) -> None:
    _, output = seeded
    for username, password in (
        ("demo-agent", "demo-agent-2026"),
        ("demo-admin", "demo-admin-2026"),
    ):
        assert f"登录名 {username}  口令 {password}" in output


def test_second_run_changes_nothing(seeded: tuple[Engine, str]) -> None:
    engine, _ = seeded
    before = _snapshot(engine)
    second = _run(["-m", "app.seed"], engine.url.render_as_string())
    assert "已载入" in second.stdout and "未做任何更改" in second.stdout
    assert _snapshot(engine) == before


def test_seeded_data(seeded: tuple[Engine, str]) -> None:
    engine, _ = seeded
    with Session(engine) as session:
        entities = session.scalars(select(RegistryEntity).order_by(RegistryEntity.id)).all()
        assert len(entities) == 300
        assert all(is_valid_uscc(e.uscc) for e in entities)
        assert {e.uscc[:2] for e in entities} == {"91", "92"}
        assert [(e.name, e.uscc, e.legal_representative) for e in entities[:3]] == [
            (d.name, d.uscc, d.legal_representative) for d in DEMO_ENTERPRISES
        ]
        assert 0 < sum(e.white_listed for e in entities) < 30

        by_category = dict(
            session.execute(
                select(CreditRecord.category, func.count()).group_by(CreditRecord.category)
            ).all()
        )
        assert set(by_category) == {c.value for c in CreditCategory}
        classes = set(session.scalars(select(CreditRecord.data_class).distinct()))
        assert classes == {DataClass.PUBLIC.value, DataClass.NON_PUBLIC.value}
        wrong_class = [
            r
            for r in session.scalars(select(CreditRecord))
            if r.data_class != CreditCategory(r.category).data_class.value
        ]
        assert wrong_class == []

        demo_ids = [e.id for e in entities[:3]]
        penalised = session.scalar(
            select(func.count())
            .select_from(CreditRecord)
            .where(
                CreditRecord.registry_entity_id.in_(demo_ids),
                CreditRecord.category == CreditCategory.ADMINISTRATIVE_PENALTY.value,
            )
        )
        assert penalised >= 1

        evaluations = session.scalars(select(CreditEvaluation)).all()
        assert len(evaluations) == 300
        assert all(e.grade in "ABCD" and e.reasons for e in evaluations)


def test_seed_is_deterministic(tmp_path: Path) -> None:
    snapshots = []
    for name in ("one", "two"):
        directory = tmp_path / name
        directory.mkdir()
        engine = sqlite_engine(directory)
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
        with Session(engine) as session:
            seed_city(session, load_city(DEFAULT_CITY_CONFIG), enterprises=80, as_of=AS_OF)
            session.commit()
            snapshots.append(
                session.execute(
                    select(
                        RegistryEntity.uscc,
                        RegistryEntity.name,
                        RegistryEntity.legal_representative,
                        RegistryEntity.white_listed,
                    ).order_by(RegistryEntity.id)
                ).all()
            )
        engine.dispose()
    assert snapshots[0] == snapshots[1]
    assert len(snapshots[0]) == 80


def test_unmigrated_database_is_explained(tmp_path: Path) -> None:
    engine = sqlite_engine(tmp_path)
    try:
        problem = migration_problem(engine)
    finally:
        engine.dispose()
    assert problem is not None and "alembic upgrade head" in problem


def test_seed_refuses_without_migrations(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    result = subprocess.run(
        [sys.executable, "-m", "app.seed"],
        cwd=BACKEND_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "alembic upgrade head" in result.stderr
