"""信用自查: what the platform holds about an enterprise, summarised."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.enums import CreditCategory, DataClass, RecordStatus
from app.models import Binding, CreditEvaluation, CreditRecord, Enterprise, RegistryEntity
from app.services.audit import Actor, record_access


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


# ---------------------------------------------------------------- the self-check in detail

SELF_CHECK_PURPOSE = "信用自查"


@dataclass(frozen=True)
class CategoryCount:
    category: CreditCategory
    count: int
    disputed: int


@dataclass(frozen=True)
class SelfCheck:
    summary: CreditSummary
    entity: RegistryEntity
    counts: list[CategoryCount]
    person_names: tuple[str, ...]


def person_names(session: Session, entity: RegistryEntity) -> tuple[str, ...]:
    """Natural persons whose names may appear in the entity's records and must be masked: the
    legal representative (an individual business's operator) and everyone bound to its account."""
    bound = session.scalars(
        select(Binding.person_name)
        .join(Enterprise, Enterprise.id == Binding.enterprise_id)
        .where(Enterprise.registry_entity_id == entity.id)
    )
    return tuple(dict.fromkeys([entity.legal_representative, *bound]))


def counts_with_disputes(session: Session, registry_entity_id: int) -> list[CategoryCount]:
    """Every known category, zeros included, with how many of its records are under objection."""
    disputed = func.sum(case((CreditRecord.status == RecordStatus.DISPUTED.value, 1), else_=0))
    stmt = (
        select(CreditRecord.category, func.count(), disputed)
        .where(CreditRecord.registry_entity_id == registry_entity_id)
        .group_by(CreditRecord.category)
    )
    found = {category: (count, int(d or 0)) for category, count, d in session.execute(stmt)}
    return [
        CategoryCount(category, *found.get(category.value, (0, 0))) for category in CreditCategory
    ]


def self_check(session: Session, enterprise: Enterprise, actor: Actor) -> SelfCheck:
    """The summary for a bound user. It shows counts of non-public categories and an evaluation
    whose reasons cite the tax grade, so the read is audited like any non-public read; the audit
    row commits with the read."""
    # Built here rather than by credit_summary, whose own count query would repeat the one below.
    entity = session.get_one(RegistryEntity, enterprise.registry_entity_id)
    counts = counts_with_disputes(session, entity.id)
    summary = CreditSummary(
        enterprise=enterprise,
        evaluation=latest_evaluation(session, entity.id),
        white_list=entity.white_listed,
        counts={c.category: c.count for c in counts},
    )
    non_public = [
        c.category.value
        for c in counts
        if c.count and c.category.data_class is DataClass.NON_PUBLIC
    ]
    record_access(
        session,
        actor,
        action="read_non_public",
        subject_type="enterprise",
        subject_id=enterprise.id,
        purpose=SELF_CHECK_PURPOSE,
        details={"view": "credit_summary", "categories": non_public},
    )
    # Read before the commit: afterwards it would take a new connection and transaction.
    names = person_names(session, entity)
    session.commit()
    return SelfCheck(summary, entity, counts, names)


def category_records(
    session: Session, enterprise: Enterprise, category: CreditCategory, actor: Actor
) -> tuple[list[CreditRecord], tuple[str, ...]]:
    """The records of one category, newest first, with the names to mask in them. Reading a
    non-public category is audited in the same transaction."""
    entity = session.get_one(RegistryEntity, enterprise.registry_entity_id)
    records = list(
        session.scalars(
            select(CreditRecord)
            .where(
                CreditRecord.registry_entity_id == entity.id,
                CreditRecord.category == category.value,
            )
            .order_by(CreditRecord.decided_on.desc(), CreditRecord.id.desc())
        )
    )
    if category.data_class is DataClass.NON_PUBLIC:
        record_access(
            session,
            actor,
            action="read_non_public",
            subject_type="enterprise",
            subject_id=enterprise.id,
            purpose=SELF_CHECK_PURPOSE,
            details={"view": "records", "categories": [category.value], "count": len(records)},
        )
        session.commit()
    return records, person_names(session, entity)
