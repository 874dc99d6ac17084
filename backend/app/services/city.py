"""The city's catalogue of institutions and products, as stored from the city file."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.city import CityConfig
from app.models import Institution, Product


@dataclass(frozen=True)
class SyncResult:
    institutions_added: int
    products_added: int


def list_institutions(session: Session) -> list[Institution]:
    return list(session.scalars(select(Institution).order_by(Institution.id)))


def list_active_products(session: Session) -> list[Product]:
    stmt = (
        select(Product)
        .join(Product.institution)
        .where(Product.active.is_(True))
        .order_by(Product.id)
    )
    return list(session.scalars(stmt))


def sync_catalog(session: Session, city: CityConfig) -> SyncResult:
    """Insert the city's institutions and products that are not stored yet (matched by code).

    Existing rows are left alone: applications will reference product ids, and changing an
    offered product's terms under them is a decision for a later, explicit migration of the data.
    """
    institutions = {i.code: i for i in session.scalars(select(Institution))}
    added_institutions = 0
    for cfg in city.institutions:
        if cfg.code not in institutions:
            institutions[cfg.code] = Institution(code=cfg.code, name=cfg.name, kind=cfg.kind)
            session.add(institutions[cfg.code])
            added_institutions += 1
    session.flush()

    known_products = set(session.scalars(select(Product.code)))
    added_products = 0
    for cfg in city.products:
        if cfg.code in known_products:
            continue
        session.add(
            Product(
                code=cfg.code,
                name=cfg.name,
                institution_id=institutions[cfg.institution].id,
                amount_min=cfg.amount_min,
                amount_max=cfg.amount_max,
                rate_min=cfg.rate_min,
                rate_max=cfg.rate_max,
                term_months_min=cfg.term_months_min,
                term_months_max=cfg.term_months_max,
                guarantee_type=cfg.guarantee_type.value,
                description=cfg.description,
                eligibility=cfg.eligibility.model_dump(mode="json", exclude_defaults=True),
            )
        )
        added_products += 1
    session.flush()
    return SyncResult(added_institutions, added_products)
