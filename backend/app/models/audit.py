"""The append-only audit log: every read of non-public data and every staff look-up
(来源可溯、去向可查)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class AuditEntry(Base):
    """One row per access. The migration adds triggers that refuse UPDATE and DELETE on this table,
    so the log cannot be rewritten through the application's database account."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_subject", "subject_type", "subject_id"),
        Index("ix_audit_log_actor", "actor_type", "actor_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True, comment="发生时间")
    actor_type: Mapped[str] = mapped_column(
        String(20), comment="谁：chat_user / staff / institution / service"
    )
    actor_id: Mapped[str] = mapped_column(String(160), comment="谁：渠道用户、坐席账号或机构代码")
    action: Mapped[str] = mapped_column(String(60), comment="做了什么，如 read_non_public")
    subject_type: Mapped[str] = mapped_column(String(40), comment="对象类型，如 enterprise")
    subject_id: Mapped[str] = mapped_column(String(60), comment="对象标识")
    purpose: Mapped[str] = mapped_column(String(200), comment="目的（为什么）")
    details: Mapped[dict[str, Any]] = mapped_column(
        default=dict, comment="补充信息（数据类别等），不含个人信息明文"
    )
