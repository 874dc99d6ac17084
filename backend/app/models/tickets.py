"""Objection (异议申诉), credit-repair (信用修复) and hand-off (转人工) tickets, their status
history, the daily number sequences, and the notifications that tell users of each change.

The ticket vocabulary lives here with its tables (the rules that move between statuses are in
app/services/tickets.py); values are the Chinese terms, stored as-is and shown to users."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, utcnow
from app.models.registry import ChatUser, CreditRecord, Enterprise


class TicketKind(StrEnum):
    OBJECTION = "异议申诉"
    REPAIR = "信用修复"
    HANDOFF = "转人工"

    @property
    def prefix(self) -> str:
        """The two letters that start the ticket number: YY (异议), XF (修复), RG (人工)."""
        return TICKET_PREFIXES[self]


TICKET_PREFIXES: dict[TicketKind, str] = {
    TicketKind.OBJECTION: "YY",
    TicketKind.REPAIR: "XF",
    TicketKind.HANDOFF: "RG",
}


class TicketStatus(StrEnum):
    # Objections and repairs: 已提交 → 已转交 → 核查中 → 已更正 / 维持原记录 → 已告知.
    SUBMITTED = "已提交"
    FORWARDED = "已转交"
    VERIFYING = "核查中"
    CORRECTED = "已更正"
    UPHELD = "维持原记录"
    NOTIFIED = "已告知"
    # Hand-offs: 已提交 → 处理中 → 已办结.
    HANDLING = "处理中"
    RESOLVED = "已办结"


class ObjectionReason(StrEnum):
    WRONG_INFORMATION = "信息错误"
    FULFILLED = "已履行或已整改"
    NOT_OURS = "非本企业"
    REPAIRED_NOT_UPDATED = "已修复未更新"
    OTHER = "其他"


class Ticket(TimestampMixin, Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(
        String(20), unique=True, comment="工单号：YY/XF/RG + yyyymmdd + 4 位当日序号"
    )
    kind: Mapped[str] = mapped_column(String(10), comment="异议申诉/信用修复/转人工")
    status: Mapped[str] = mapped_column(String(10), comment="当前状态，见 TicketStatus")
    chat_user_id: Mapped[int] = mapped_column(
        ForeignKey("chat_users.id"), index=True, comment="提交人（会话用户）"
    )
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id"), index=True, comment="所涉企业；转人工可为空"
    )
    record_id: Mapped[int | None] = mapped_column(
        ForeignKey("credit_records.id"), index=True, comment="所涉信用记录；转人工为空"
    )
    reason: Mapped[str | None] = mapped_column(String(20), comment="异议理由，见 ObjectionReason")
    description: Mapped[str] = mapped_column(
        Text, default="", comment="情况说明或转人工对话摘要（个人信息已脱敏）"
    )
    evidence: Mapped[list[dict[str, str]]] = mapped_column(
        JSON, default=list, comment="证明材料引用：[{type: upload, id}]，id 为 evidence_files 的编号"
    )
    contact_phone: Mapped[str | None] = mapped_column(
        String(11), comment="联系电话（个人信息，展示时脱敏）"
    )
    commitment_version: Mapped[str | None] = mapped_column(
        String(20), comment="信用修复：用户确认的信用承诺书版本"
    )
    commitment_accepted_at: Mapped[datetime | None] = mapped_column(comment="确认信用承诺的时间")
    forward_deadline: Mapped[date | None] = mapped_column(
        Date, comment="异议申诉转交省级节点的期限（2 个工作日）"
    )
    # Set while the ticket is open (kind + record, or kind + user for hand-offs) and cleared when
    # it closes: the unique constraint keeps one open ticket per record even under concurrency.
    open_key: Mapped[str | None] = mapped_column(
        String(60), unique=True, comment="未办结工单的唯一键，办结后清空"
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, comment="最近一次状态变化")
    closed_at: Mapped[datetime | None] = mapped_column(comment="办结时间")

    chat_user: Mapped[ChatUser] = relationship()
    enterprise: Mapped[Enterprise | None] = relationship()
    record: Mapped[CreditRecord | None] = relationship()
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id"
    )


class TicketEvent(Base):
    """Status history: one row when the ticket is created (from_status empty) and one per move."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(10), comment="原状态；新建时为空")
    to_status: Mapped[str] = mapped_column(String(10), comment="新状态")
    at: Mapped[datetime] = mapped_column(default=utcnow, comment="变更时间")
    actor_type: Mapped[str] = mapped_column(String(20), comment="谁：chat_user / staff / service")
    actor_id: Mapped[str] = mapped_column(String(160), comment="谁：渠道用户或坐席账号")
    note: Mapped[str | None] = mapped_column(Text, comment="说明（个人信息已脱敏）")

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class TicketSequence(Base):
    """The last number handed out per prefix and China calendar day. Incrementing this row takes a
    row lock, so concurrent creates get consecutive numbers instead of the same one."""

    __tablename__ = "ticket_sequences"
    __table_args__ = (UniqueConstraint("prefix", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(2), comment="YY/XF/RG")
    day: Mapped[date] = mapped_column(Date, comment="中国日历日")
    last_value: Mapped[int] = mapped_column(Integer, comment="当日已用的最大序号")


class Notification(Base):
    """A message to a chat user about their ticket or product application, waiting for their
    channel to deliver it."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_pending", "channel", "delivered_at"),
        CheckConstraint(
            "(ticket_id IS NULL) <> (application_id IS NULL)", name="about_one_thing"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_user_id: Mapped[int] = mapped_column(ForeignKey("chat_users.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32), comment="送达渠道，同会话用户的渠道")
    number: Mapped[str] = mapped_column(String(20), comment="相关工单号或申请编号")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    ticket_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket_events.id"), unique=True, comment="引起通知的状态变化"
    )
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id"), index=True, comment="相关产品申请"
    )
    text: Mapped[str] = mapped_column(Text, comment="通知内容（中文，不含个人信息明文）")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(comment="渠道确认送达的时间")

    chat_user: Mapped[ChatUser] = relationship()
    ticket: Mapped[Ticket | None] = relationship()
