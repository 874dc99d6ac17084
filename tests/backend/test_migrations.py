"""The Alembic history: one head, upgrades an empty database, downgrades cleanly, and matches
the models exactly on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import BACKENDS, RUN_SUFFIX, alembic_config, make_empty_engine
from sqlalchemy import Engine, inspect

from app.models import Base

MIGRATION_SCHEMA = f"backend_tests_migrations_{RUN_SUFFIX}"


def test_single_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"迁移有多个 head：{heads}，请合并"


@pytest.fixture(params=BACKENDS)
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    engine = make_empty_engine(request.param, tmp_path, MIGRATION_SCHEMA)
    yield engine
    engine.dispose()


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_upgrade_from_empty_downgrade_and_again(empty_engine: Engine) -> None:
    assert _tables(empty_engine) == set()
    expected = set(Base.metadata.tables)

    with empty_engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    assert _tables(empty_engine) == expected | {"alembic_version"}

    with empty_engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert _tables(empty_engine) <= {"alembic_version"}

    with empty_engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert MigrationContext.configure(connection).get_current_revision() == head


def test_models_match_migrations(empty_engine: Engine) -> None:
    with empty_engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"模型与迁移不一致，需要新的迁移：{diff}"
