"""Writing the audit log: who read what, why, and when (来源可溯、去向可查)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.models import AuditEntry


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
    entry = AuditEntry(
        actor_type=actor.type,
        actor_id=actor.id,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        purpose=purpose,
        details=details or {},
    )
    session.add(entry)
    return entry
