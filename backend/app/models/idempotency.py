"""Replies to creating requests, kept by idempotency key so a repeated delivery replays them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class IdempotencyRecord(Base):
    """Written in the same transaction as the thing it created: either both exist or neither."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(60), comment="操作，如 objections.create")
    key: Mapped[str] = mapped_column(String(128), comment="调用方给出的幂等键")
    request_hash: Mapped[str] = mapped_column(String(64), comment="请求内容摘要")
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
