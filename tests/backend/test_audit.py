"""The audit log is append-only, on both databases, whoever writes to it."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from app.models import AuditEntry
from app.services.audit import Actor, record_access


def test_record_access_adds_who_what_why_when(session: Session):
    entry = record_access(
        session,
        Actor.chat_user("wechat", "oAudit01"),
        action="read_non_public",
        subject_type="enterprise",
        subject_id=42,
        purpose="信用自查",
        details={"categories": ["纳税"]},
    )
    session.flush()

    stored = session.get_one(AuditEntry, entry.id)
    assert (stored.actor_type, stored.actor_id) == ("chat_user", "wechat:oAudit01")
    assert (stored.action, stored.subject_type, stored.subject_id) == (
        "read_non_public",
        "enterprise",
        "42",
    )
    assert stored.purpose == "信用自查"
    assert stored.occurred_at is not None


@pytest.mark.parametrize(
    "rewrite",
    [
        lambda: update(AuditEntry).values(purpose="改过的目的"),
        lambda: delete(AuditEntry),
    ],
    ids=["update", "delete"],
)
def test_rows_cannot_be_changed_or_removed(session: Session, rewrite):
    record_access(
        session,
        Actor("staff", "agent01"),
        action="lookup",
        subject_type="ticket",
        subject_id="YY202611210001",
        purpose="来电查询",
    )
    session.flush()
    before = session.scalar(select(func.count()).select_from(AuditEntry))

    with pytest.raises(DatabaseError, match="审计日志只允许追加"), session.begin_nested():
        session.execute(rewrite())

    assert session.scalar(select(func.count()).select_from(AuditEntry)) == before
