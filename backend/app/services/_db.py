"""Small persistence helpers shared by services."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

T = TypeVar("T")


def get_or_create(
    session: Session, model: type[T], lookup: dict[str, Any], defaults: dict[str, Any] | None = None
) -> tuple[T, bool]:
    """Return (row, created). Safe against a concurrent insert of the same key: WeChat retries a
    message it got no answer to, so two identical requests can race; the unique constraint decides
    and the loser reads the winner's row instead of failing."""
    existing = session.scalars(select(model).filter_by(**lookup)).first()
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            row = model(**lookup, **(defaults or {}))
            session.add(row)
    except IntegrityError:
        existing = session.scalars(select(model).filter_by(**lookup)).first()
        if existing is None:
            raise
        return existing, False
    return row, True
