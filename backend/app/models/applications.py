"""产品申请: an enterprise's application for a credit product, its status history and the
institution's feedback (融资成效)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.enums import ApplicationStatus
from app.models.base import Base, TimestampMixin, utcnow
from app.models.registry import Enterprise, Institution, Product


class Application(TimestampMixin, Base):
    """One application. `active_slot` is true while the application is active (已提交, 机构受理,
    已审批) and NULL once it is closed: NULLs never collide in a unique constraint, so the
    constraint allows one active application per product per enterprise on SQLite and PostgreSQL
    alike, and any number of closed ones."""

    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("enterprise_id", "product_id", "active_slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(
        String(14), unique=True, comment="申请编号：SQ + 年月日 + 当日4位序号"
    )
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id"), index=True, comment="受理机构（产品所属机构）"
    )
    chat_user_id: Mapped[int] = mapped_column(ForeignKey("chat_users.id"), comment="申请人")
    channel: Mapped[str] = mapped_column(String(32), comment="申请时的会话渠道")
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), comment="申请金额（万元）")
    term_months: Mapped[int] = mapped_column(Integer, comment="申请期限（月）")
    purpose: Mapped[str] = mapped_column(String(200), comment="资金用途")
    # Personal data: masked wherever it is displayed, never logged.
    contact_phone: Mapped[str] = mapped_column(String(20), comment="联系电话")
    status: Mapped[str] = mapped_column(String(10), comment="见 ApplicationStatus")
    active_slot: Mapped[bool | None] = mapped_column(
        Boolean, default=True, comment="进行中为 true，办结后为 NULL（每产品仅一笔进行中）"
    )
    approved_amount: Mapped[Decimal | None] = mapped_column(
        Numeric(12, 2), comment="融资成效：审批金额（万元）"
    )
    approved_rate: Mapped[Decimal | None] = mapped_column(
        Numeric(5, 2), comment="融资成效：年化利率（%）"
    )
    approved_term_months: Mapped[int | None] = mapped_column(
        Integer, comment="融资成效：期限（月）"
    )
    feedback_note: Mapped[str | None] = mapped_column(Text, comment="机构反馈说明")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, comment="最近一次状态变化")

    enterprise: Mapped[Enterprise] = relationship()
    product: Mapped[Product] = relationship()
    institution: Mapped[Institution] = relationship()
    history: Mapped[list[ApplicationStatusChange]] = relationship(
        order_by="ApplicationStatusChange.id", back_populates="application"
    )

    @property
    def status_enum(self) -> ApplicationStatus:
        return ApplicationStatus(self.status)


class ApplicationStatusChange(Base):
    """Status history of an application: status, when, by whom, note."""

    __tablename__ = "application_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), comment="变更后的状态")
    at: Mapped[datetime] = mapped_column(comment="变更时间")
    actor_type: Mapped[str] = mapped_column(String(20), comment="谁：chat_user / institution")
    actor_id: Mapped[str] = mapped_column(String(160), comment="谁：渠道用户或机构代码")
    note: Mapped[str | None] = mapped_column(Text, comment="说明")

    application: Mapped[Application] = relationship(back_populates="history")


class ApplicationNumberCounter(Base):
    """Per-day sequence for application numbers; the row lock on update serialises concurrent
    creates on PostgreSQL (SQLite serialises writers anyway)."""

    __tablename__ = "application_number_counters"

    day: Mapped[date] = mapped_column(primary_key=True, comment="编号日期（北京时间）")
    last_value: Mapped[int] = mapped_column(Integer, comment="当日已用的最大序号")
