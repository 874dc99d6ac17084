"""Seeding at scale: PostgreSQL loads through COPY, SQLite through multi-row INSERTs; both give
the same data, and the scale schema is addressed through DATABASE_URL alone."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from conftest import AS_OF
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.city import CityConfig
from app.enums import CreditCategory
from app.models import CreditEvaluation, CreditRecord, RegistryEntity
from app.seed import DEMO_ENTERPRISES, seed_city
from app.seed.generator import Generator, demo_entities
from app.seed.loader import DEFAULT_SEED


def test_bulk_load_matches_the_generator(session: Session, city: CityConfig) -> None:
    batches: list[tuple[int, int]] = []
    report = seed_city(
        session,
        city,
        enterprises=250,
        as_of=AS_OF,
        batch_size=100,
        on_batch=lambda entities, records: batches.append((entities, records)),
    )
    session.commit()

    assert [b[0] for b in batches] == [100, 100, 50]
    assert sum(b[1] for b in batches) == report.records
    assert session.scalar(select(func.count()).select_from(RegistryEntity)) == 250
    assert session.scalar(select(func.count()).select_from(CreditRecord)) == report.records
    assert session.scalar(select(func.count()).select_from(CreditEvaluation)) == 250

    # Same registry, in the same order, as the generator yields on any database.
    expected = [e.registry for e in demo_entities(AS_OF)]
    expected += [e.registry for e in Generator(DEFAULT_SEED, AS_OF, city.city_name).entities(247)]
    stored = session.scalars(select(RegistryEntity).order_by(RegistryEntity.id)).all()
    assert [(e.uscc, e.name, e.tags) for e in stored] == [
        (r["uscc"], r["name"], r["tags"]) for r in expected
    ]

    # Records hang off the right entity, with types and Chinese text intact.
    green = stored[0]
    assert green.uscc == DEMO_ENTERPRISES[0].uscc
    assert green.tags == ["专精特新", "绿色", "科技型中小企业"]
    assert green.established_on == date(2016, 4, 12)
    assert green.registered_capital == Decimal("500.00")
    penalty = session.scalars(
        select(CreditRecord).where(
            CreditRecord.registry_entity_id == green.id,
            CreditRecord.category == CreditCategory.ADMINISTRATIVE_PENALTY.value,
        )
    ).one()
    assert penalty.amount == Decimal("20000.00")
    assert "危险废物识别标志" in penalty.content
    evaluation = session.scalars(
        select(CreditEvaluation).where(CreditEvaluation.registry_entity_id == green.id)
    ).one()
    assert evaluation.reasons and all(isinstance(r, str) for r in evaluation.reasons)
    assert evaluation.created_at is not None


def test_ids_drawn_for_the_load_are_not_handed_out_again(
    session: Session, city: CityConfig
) -> None:
    seed_city(session, city, enterprises=20, as_of=AS_OF)
    session.commit()
    highest = session.scalar(select(func.max(RegistryEntity.id)))
    late = RegistryEntity(
        uscc="91329901MA00000000",
        name="后来登记的企业",
        legal_representative="王某",
        entity_type="有限责任公司",
        industry="制造业",
        established_on=AS_OF,
        address="示范市",
        registration_authority="示范市市场监督管理局",
        status="存续",
    )
    session.add(late)
    session.flush()
    assert late.id > highest


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {},
            "postgresql+psycopg://postgres@127.0.0.1:5432/test"
            "?options=-csearch_path%3Dxinyidai_scale",
        ),
        (
            {"SCALE_DATABASE_URL": "postgresql+psycopg://u:p@db/x", "SCALE_SCHEMA": "bench_2"},
            "postgresql+psycopg://u:p@db/x?options=-csearch_path%3Dbench_2",
        ),
    ],
)
def test_scale_url_puts_the_schema_on_the_search_path(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    import seed_scale

    for name in ("SCALE_DATABASE_URL", "SCALE_SCHEMA"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert seed_scale.scale_database_url() == expected


def test_scale_schema_name_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    import seed_scale

    monkeypatch.setenv("SCALE_SCHEMA", 'x"; DROP SCHEMA public; --')
    with pytest.raises(SystemExit):
        seed_scale.scale_schema()
