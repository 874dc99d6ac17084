"""信用自查: what the platform holds about an enterprise, summarised."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from psycopg_pool import AsyncConnectionPool
from sqlalchemy import bindparam, case, func, select, true
from sqlalchemy.orm import Session

from app.core.db import PsycopgStatement
from app.enums import CreditCategory, DataClass, RecordStatus
from app.models import (
    Binding,
    ChatUser,
    CreditEvaluation,
    CreditRecord,
    Enterprise,
    RegistryEntity,
)
from app.services.audit import Actor, append_access, append_access_on, record_access
from app.services.enterprises import not_bound


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
    """What the self-check summary shows. `facts` is a row of `_SELF_CHECK` (SQLAlchemy's, or
    psycopg's named tuple on the event loop): the enterprise
    (`enterprise_id`, `enterprise_name`, `enterprise_uscc`, `is_individual_business`), its
    registration facts (the columns of RegistrationPublic, and `white_listed`) and its latest
    evaluation (`grade`, `reasons`, `evaluated_on`; all None before the first evaluation)."""

    facts: Any
    counts: list[CategoryCount]


_E, _R, _EV = Enterprise.__table__, RegistryEntity.__table__, CreditEvaluation.__table__
_B, _U, _CR = Binding.__table__, ChatUser.__table__, CreditRecord.__table__

# The self-check in one SELECT, built once (plain Core on the tables: no per-request statement
# building, cache-key generation or ORM row processing), with only the columns shown. `facts` is
# the binding check, the enterprise, its registration facts and its latest evaluation (one row,
# none when the chat user is not bound); `counts` has a row per category the enterprise has
# records in. facts LEFT JOIN counts: a row per category, each repeating the facts (one row with
# no category when there are no records; none at all when not bound). The counts find the
# registry entity from the enterprise id themselves, so they need no earlier round trip.
_FACTS = (
    select(
        _E.c.id.label("enterprise_id"),
        _E.c.name.label("enterprise_name"),
        _E.c.uscc.label("enterprise_uscc"),
        _E.c.is_individual_business,
        _R.c.id.label("registry_entity_id"),
        _R.c.name,
        _R.c.uscc,
        _R.c.entity_type,
        _R.c.industry,
        _R.c.established_on,
        _R.c.legal_representative,
        _R.c.address,
        _R.c.registration_authority,
        _R.c.status,
        _R.c.white_listed,
        _EV.c.grade,
        _EV.c.reasons,
        _EV.c.evaluated_on,
    )
    .select_from(_E)
    .join(_B, _B.c.enterprise_id == _E.c.id)
    .join(_U, _U.c.id == _B.c.chat_user_id)
    .join(_R, _R.c.id == _E.c.registry_entity_id)
    .outerjoin(_EV, _EV.c.registry_entity_id == _R.c.id)
    .where(
        _E.c.id == bindparam("enterprise_id"),
        _U.c.channel == bindparam("channel"),
        _U.c.external_user_id == bindparam("user_id"),
    )
    # The latest evaluation: the join has one row per evaluation of the one enterprise.
    .order_by(_EV.c.evaluated_on.desc(), _EV.c.id.desc())
    .limit(1)
    .subquery("facts")
)
_COUNTS = (
    select(
        _CR.c.category,
        func.count().label("records"),
        func.sum(case((_CR.c.status == RecordStatus.DISPUTED.value, 1), else_=0)).label(
            "disputed_records"
        ),
    )
    .where(
        _CR.c.registry_entity_id
        == select(_E.c.registry_entity_id)
        .where(_E.c.id == bindparam("enterprise_id"))
        .scalar_subquery()
    )
    .group_by(_CR.c.category)
    .subquery("counts")
)
_SELF_CHECK = select(
    _FACTS, _COUNTS.c.category, _COUNTS.c.records, _COUNTS.c.disputed_records
).select_from(_FACTS.outerjoin(_COUNTS, true()))


def person_names(session: Session, entity: RegistryEntity) -> tuple[str, ...]:
    """Natural persons whose names may appear in the entity's records and must be masked: the
    legal representative (an individual business's operator) and everyone bound to its account."""
    bound = session.scalars(
        select(Binding.person_name)
        .join(Enterprise, Enterprise.id == Binding.enterprise_id)
        .where(Enterprise.registry_entity_id == entity.id)
    )
    return tuple(dict.fromkeys([entity.legal_representative, *bound]))


def self_check(session: Session, enterprise_id: int, channel: str, user_id: str) -> SelfCheck:
    """The summary for a chat user bound to the enterprise (`not_bound` otherwise, the same for
    an unknown id). It shows counts of non-public categories and an evaluation whose reasons cite
    the tax grade, so the read is audited like any non-public read; the audit row commits with
    the read.

    This is the busiest read (every self-check of the bot), so it is one SELECT (`_SELF_CHECK`)
    and one INSERT (the audit row) before the commit. On PostgreSQL the app runs the same two
    statements on the event loop instead (`self_check_on_loop`)."""
    rows = session.execute(
        _SELF_CHECK, {"enterprise_id": enterprise_id, "channel": channel, "user_id": user_id}
    ).all()
    check = _self_check_from(rows)
    append_access(session, Actor.chat_user(channel, user_id), **_self_check_audit(check))
    session.commit()
    return check


_SELF_CHECK_PSYCOPG = PsycopgStatement(_SELF_CHECK)


async def self_check_on_loop(
    pool: AsyncConnectionPool, enterprise_id: int, channel: str, user_id: str
) -> SelfCheck:
    """`self_check` on one of the event loop's PostgreSQL connections (autocommit): the same
    SELECT, the same refusal, the same audit row, committed before the summary is returned."""
    async with pool.connection() as connection:
        cursor = await connection.execute(
            _SELF_CHECK_PSYCOPG.sql,
            _SELF_CHECK_PSYCOPG.params(
                {"enterprise_id": enterprise_id, "channel": channel, "user_id": user_id}
            ),
        )
        check = _self_check_from(await cursor.fetchall())
        await append_access_on(
            connection, Actor.chat_user(channel, user_id), **_self_check_audit(check)
        )
    return check


def _self_check_from(rows: Sequence[Any]) -> SelfCheck:
    """The summary from the rows of `_SELF_CHECK` (none: the user is not bound)."""
    if not rows:
        raise not_bound()
    found = {
        row.category: (row.records, int(row.disputed_records or 0)) for row in rows if row.category
    }
    counts = [
        CategoryCount(category, *found.get(category.value, (0, 0))) for category in CreditCategory
    ]
    return SelfCheck(rows[0], counts)


def _self_check_audit(check: SelfCheck) -> dict[str, Any]:
    non_public = [
        c.category.value
        for c in check.counts
        if c.count and c.category.data_class is DataClass.NON_PUBLIC
    ]
    return {
        "action": "read_non_public",
        "subject_type": "enterprise",
        "subject_id": check.facts.enterprise_id,
        "purpose": SELF_CHECK_PURPOSE,
        "details": {"view": "credit_summary", "categories": non_public},
    }


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
