"""Writing the audit log: who read what, why, and when (来源可溯、去向可查)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection
from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.core.db import PsycopgStatement, json_value
from app.models import AuditEntry, utcnow


@dataclass(frozen=True)
class Actor:
    """Who acts: a chat user (`wechat:<openid>`), a staff account, an institution, a service."""

    type: str
    id: str

    @classmethod
    def chat_user(cls, channel: str, user_id: str) -> Actor:
        return cls("chat_user", f"{channel}:{user_id}")

    @classmethod
    def staff(cls, username: str) -> Actor:
        return cls("staff", username)


def _row(
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: str | int,
    purpose: str,
    details: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "actor_type": actor.type,
        "actor_id": actor.id,
        "action": action,
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "purpose": purpose,
        "details": details or {},
    }


def record_access(
    session: Session,
    actor: Actor,
    *,
    action: str,
    subject_type: str,
    subject_id: str | int,
    purpose: str,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Adds an audit row to the caller's transaction: it commits with the read it records, and a
    request that fails leaves neither. Never put personal data in clear into `details`."""
    entry = AuditEntry(**_row(actor, action, subject_type, subject_id, purpose, details))
    session.add(entry)
    return entry


_INSERT = insert(AuditEntry.__table__)


def append_access(
    session: Session,
    actor: Actor,
    *,
    action: str,
    subject_type: str,
    subject_id: str | int,
    purpose: str,
    details: dict[str, Any] | None = None,
) -> None:
    """`record_access` as one plain INSERT sent at once, for a hot read that never looks at the
    row again: no ORM object, no unit-of-work flush, no RETURNING of the id. Same row, same
    transaction, same rules."""
    session.execute(_INSERT, _row(actor, action, subject_type, subject_id, purpose, details))


# The same INSERT for a psycopg connection on the event loop; the model's defaults are filled in
# here, as SQLAlchemy would.
_INSERT_PSYCOPG = PsycopgStatement(
    insert(AuditEntry.__table__).inline(),
    column_keys=[
        "occurred_at",
        "actor_type",
        "actor_id",
        "action",
        "subject_type",
        "subject_id",
        "purpose",
        "details",
    ],
)


async def append_access_on(
    connection: AsyncConnection[Any],
    actor: Actor,
    *,
    action: str,
    subject_type: str,
    subject_id: str | int,
    purpose: str,
    details: dict[str, Any] | None = None,
) -> None:
    """`append_access` on a psycopg connection in autocommit (app.core.db.create_async_pool): the
    row is committed when this returns, so call it before handing out what it records."""
    row = _row(actor, action, subject_type, subject_id, purpose, details)
    row["details"] = json_value(row["details"])
    row["occurred_at"] = utcnow()
    await connection.execute(_INSERT_PSYCOPG.sql, _INSERT_PSYCOPG.params(row))
