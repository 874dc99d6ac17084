"""The declarative base and what every table shares. Types stay portable (no PostgreSQL-only
features) because the embedded default is SQLite; vocabulary columns are plain strings validated in
the app, so adding a category or a tag never needs a migration."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints let later migrations alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads this class attribute)
        datetime: DateTime(timezone=True),
        date: Date(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
