"""Writes the demo city: catalogue from the city file, then registry entities, credit records and
evaluations in batches: PostgreSQL COPY on PostgreSQL (200,000 entities in well under five minutes),
multi-row INSERTs elsewhere (SQLite)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import chain, islice
from operator import itemgetter
from pathlib import Path
from typing import Any, TypeVar

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Engine, Table, func, insert, select, text
from sqlalchemy.orm import Session

from app.city import CityConfig
from app.enums import EvaluationGrade
from app.models import (
    CreditEvaluation,
    CreditRecord,
    Institution,
    Product,
    RegistryEntity,
    utcnow,
)
from app.seed.demo import DEMO_ENTERPRISES
from app.seed.generator import GeneratedEntity, Generator, demo_entities
from app.services.city import sync_catalog
from app.services.evaluation import MODEL_VERSION, evaluate

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"
DEFAULT_SEED = 20211222  # 国办发〔2021〕52号 was issued on 22 December 2021.
DEFAULT_ENTERPRISES = 300
DEFAULT_BATCH_SIZE = 1000
WHITE_LIST_ODDS = 0.08

T = TypeVar("T")


@dataclass(frozen=True)
class SeedReport:
    entities: int
    records: int
    evaluations: int
    white_listed: int
    institutions: int
    products: int


@dataclass(frozen=True)
class LoadedState:
    entities: int
    institutions: int
    products: int


def migration_problem(engine: Engine) -> str | None:
    """A Chinese explanation if the database is not at the latest migration, else None."""
    head = ScriptDirectory.from_config(Config(str(ALEMBIC_INI))).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current == head:
        return None
    return (
        f"数据库结构不是最新版本（当前 {current or '空库'}，应为 {head}）。"
        "请先在 backend/ 目录运行：python -m alembic upgrade head"
    )


def loaded_state(session: Session) -> LoadedState | None:
    """What is already there, or None for a database without registry data."""
    entities = session.scalar(select(func.count()).select_from(RegistryEntity)) or 0
    if not entities:
        return None
    return LoadedState(
        entities=entities,
        institutions=session.scalar(select(func.count()).select_from(Institution)) or 0,
        products=session.scalar(select(func.count()).select_from(Product)) or 0,
    )


class _InsertWriter:
    """Multi-row INSERTs through SQLAlchemy (SQLite, and any database without COPY)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def entities(self, rows: list[dict[str, Any]]) -> Sequence[int]:
        return self.session.scalars(
            insert(RegistryEntity).returning(RegistryEntity.id, sort_by_parameter_order=True),
            rows,
        ).all()

    def rows(self, model: type[CreditRecord] | type[CreditEvaluation], rows: list[dict]) -> None:
        if rows:
            self.session.execute(insert(model), rows)

    def finish(self) -> None:
        pass


class _CopyWriter:
    """PostgreSQL COPY … FROM STDIN through psycopg 3, in the session's transaction. Registry ids
    are drawn from the table's sequence first, so the records can name their entity without a
    round trip per row."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.created_at = utcnow()

    def _cursor(self) -> Any:
        return self.session.connection().connection.driver_connection.cursor()

    def _copy(self, table: Table, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        columns = list(rows[0])
        values = itemgetter(*columns)
        as_json = [isinstance(table.c[c].type, JSON) for c in columns]
        statement = f"COPY {table.name} ({', '.join([*columns, 'created_at'])}) FROM STDIN"
        with self._cursor() as cursor, cursor.copy(statement) as copy:
            write, created_at = copy.write_row, self.created_at
            for row in rows:
                write(
                    [
                        json.dumps(v, ensure_ascii=False) if j else v
                        for v, j in zip(values(row), as_json, strict=True)
                    ]
                    + [created_at]
                )

    def entities(self, rows: list[dict[str, Any]]) -> Sequence[int]:
        ids = self.session.scalars(
            text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                "FROM generate_series(1, :n) ORDER BY 1"
            ),
            {"table": RegistryEntity.__tablename__, "n": len(rows)},
        ).all()
        self._copy(
            RegistryEntity.__table__,
            [{"id": i, **row} for i, row in zip(ids, rows, strict=True)],
        )
        return ids

    def rows(self, model: type[CreditRecord] | type[CreditEvaluation], rows: list[dict]) -> None:
        self._copy(model.__table__, rows)

    def finish(self) -> None:
        # Fresh planner statistics, so the first queries after a bulk load are not planned as if
        # the tables were empty. ANALYZE counts the rows this transaction inserted as live.
        tables = (RegistryEntity, CreditRecord, CreditEvaluation)
        self.session.execute(text(f"ANALYZE {', '.join(t.__tablename__ for t in tables)}"))


def _batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def seed_city(
    session: Session,
    city: CityConfig,
    *,
    enterprises: int = DEFAULT_ENTERPRISES,
    seed: int = DEFAULT_SEED,
    as_of: date | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[str], None] = lambda _msg: None,
    on_batch: Callable[[int, int], None] | None = None,
) -> SeedReport:
    """Load the demo city into an empty database. Does not commit: the caller decides, so one
    failed run leaves nothing half-loaded behind.

    After each batch `on_batch(entities, records)` is called with that batch's counts (for a
    progress bar); without it a line per batch goes to `progress`."""
    if enterprises < len(DEMO_ENTERPRISES):
        raise ValueError(f"至少需要 {len(DEMO_ENTERPRISES)} 家企业（示范企业）")
    as_of = as_of or date.today()

    catalog = sync_catalog(session, city)
    progress(f"机构 {catalog.institutions_added} 家、产品 {catalog.products_added} 个")

    generator = Generator(seed, as_of, city.city_name)
    # White-listing uses its own stream so changing its odds never reshuffles the registry.
    white_list_rng = random.Random(seed + 1)
    entities = chain(demo_entities(as_of), generator.entities(enterprises - len(DEMO_ENTERPRISES)))

    writer = _CopyWriter(session) if _uses_copy(session) else _InsertWriter(session)
    done = records = white_listed = 0
    for batch in _batched(entities, batch_size):
        evaluations = [evaluate(e.registry["established_on"], e.facts(), as_of) for e in batch]
        for entity, result in zip(batch, evaluations, strict=True):
            if done >= len(DEMO_ENTERPRISES) and _white_list_candidate(entity, result.grade):
                entity.registry["white_listed"] = white_list_rng.random() < WHITE_LIST_ODDS
            white_listed += entity.registry["white_listed"]
            done += 1

        ids = writer.entities([e.registry for e in batch])
        record_rows: list[dict[str, Any]] = [
            {**row, "registry_entity_id": entity_id}
            for entity, entity_id in zip(batch, ids, strict=True)
            for row in entity.records
        ]
        writer.rows(CreditRecord, record_rows)
        writer.rows(
            CreditEvaluation,
            [
                {
                    "registry_entity_id": entity_id,
                    "grade": result.grade.value,
                    "score": result.score,
                    "reasons": result.reasons,
                    "model_version": MODEL_VERSION,
                    "evaluated_on": as_of,
                }
                for entity_id, result in zip(ids, evaluations, strict=True)
            ],
        )
        records += len(record_rows)
        if on_batch is not None:
            on_batch(len(batch), len(record_rows))
        else:
            progress(f"登记主体 {done}/{enterprises}，信用记录累计 {records} 条")
    writer.finish()

    return SeedReport(
        entities=done,
        records=records,
        evaluations=done,
        white_listed=white_listed,
        institutions=catalog.institutions_added,
        products=catalog.products_added,
    )


def _uses_copy(session: Session) -> bool:
    connection = session.connection()
    return connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg"


def _white_list_candidate(entity: GeneratedEntity, grade: EvaluationGrade) -> bool:
    # 白名单 is for companies in good standing; individual businesses are not recommended to it.
    return not entity.registry["uscc"].startswith("92") and grade in (
        EvaluationGrade.A,
        EvaluationGrade.B,
    )
