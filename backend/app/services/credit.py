"""信用自查: what the platform holds about an enterprise, summarised."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.enums import CreditCategory
from app.models import CreditEvaluation, CreditRecord, Enterprise, RegistryEntity


@dataclass(frozen=True)
class CreditSummary:
    enterprise: Enterprise
    evaluation: CreditEvaluation | None
    white_list: bool
    counts: dict[CreditCategory, int]


def latest_evaluation(session: Session, registry_entity_id: int) -> CreditEvaluation | None:
    stmt = (
        select(CreditEvaluation)
        .where(CreditEvaluation.registry_entity_id == registry_entity_id)
        .order_by(CreditEvaluation.evaluated_on.desc(), CreditEvaluation.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def count_by_category(session: Session, registry_entity_id: int) -> dict[CreditCategory, int]:
    """Every known category, zeros included, in the fixed order of CreditCategory."""
    stmt = (
        select(CreditRecord.category, func.count())
        .where(CreditRecord.registry_entity_id == registry_entity_id)
        .group_by(CreditRecord.category)
    )
    found = dict(session.execute(stmt).tuples().all())
    return {category: found.get(category.value, 0) for category in CreditCategory}


def credit_summary(session: Session, enterprise: Enterprise) -> CreditSummary:
    entity = session.get_one(RegistryEntity, enterprise.registry_entity_id)
    return CreditSummary(
        enterprise=enterprise,
        evaluation=latest_evaluation(session, entity.id),
        white_list=entity.white_listed,
        counts=count_by_category(session, entity.id),
    )
