"""Time helpers. Services take `now` from their caller (routes pass the request's clock, tests a
fixed time) and store UTC: SQLite keeps no time zone, so every stored instant is UTC wall time and
values read back without one are UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; a value without a time zone (read back from SQLite) is UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
