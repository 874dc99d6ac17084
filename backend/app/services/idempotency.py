"""Idempotent creates: a repeated delivery of the same request replays the first reply.

WeChat retries a message three times when our answer is slow, and the action server may retry a
call that timed out. Each create that such a retry could repeat runs through `run_once`: the reply
is stored under (scope, key) in the same transaction as the rows it created, so a unique-key
collision on commit means another delivery won, and that delivery's reply is returned instead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from app.errors import AppError
from app.models import IdempotencyRecord

ATTEMPTS = 3


def fingerprint(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def chat_request(chat_user: Any, body: Any, **ids: Any) -> dict[str, Any]:
    """What identifies a chat user's create request: who asks, for which object ids, with what body.

    `chat_user` is the acting user (channel, user_id); `body` the request's pydantic model."""
    return {
        **ids,
        "channel": chat_user.channel,
        "user_id": chat_user.user_id,
        "body": body.model_dump(mode="json"),
    }


def _stored(session: Session, scope: str, key: str, request_hash: str) -> tuple[int, dict] | None:
    record = session.scalars(
        select(IdempotencyRecord).where(
            IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
        )
    ).first()
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise AppError(
            "idempotency_key_reused",
            "同一个幂等键已用于内容不同的请求，请为新的请求使用新的幂等键。",
            422,
            fields=["Idempotency-Key"],
        )
    return record.status_code, record.response


def run_once(
    session: Session,
    *,
    scope: str,
    key: str | None,
    payload: Any,
    create: Callable[[], tuple[int, dict[str, Any]]],
) -> tuple[int, dict[str, Any]]:
    """Runs `create` (which adds rows without committing and returns (status, JSON body)) once per
    (scope, key), commits, and returns its reply; a repeat returns the stored reply.

    Without a key the create still runs and commits; natural unique keys (one open objection per
    record, one active application per product …) then decide what a repeat gets.
    """
    if key is None:
        status, body = create()
        session.commit()
        return status, body
    request_hash = fingerprint(payload)
    for attempt in range(ATTEMPTS):
        if (stored := _stored(session, scope, key, request_hash)) is not None:
            return stored
        try:
            status, body = create()
            session.add(
                IdempotencyRecord(
                    scope=scope,
                    key=key,
                    request_hash=request_hash,
                    status_code=status,
                    response=body,
                )
            )
            session.commit()
            return status, body
        except (IntegrityError, OperationalError):
            # Another delivery committed first (unique key), or SQLite refused a concurrent
            # writer: start again from a fresh snapshot, which now shows the winner's reply.
            session.rollback()
            if attempt == ATTEMPTS - 1:
                if (stored := _stored(session, scope, key, request_hash)) is not None:
                    return stored
                raise
    raise AssertionError("unreachable")
