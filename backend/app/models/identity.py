"""Who is who: staff accounts and their sessions, SMS verification codes (and the development
outbox standing in for an SMS gateway), registrations with their event attribution, and the
promotion events (推广活动) themselves."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin
from app.models.registry import Binding, ChatUser


class StaffUser(TimestampMixin, Base):
    """A platform staff account (热线坐席 or 管理员) for the console and the staff API."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True, comment="登录名")
    display_name: Mapped[str] = mapped_column(String(50), comment="显示名称")
    role: Mapped[str] = mapped_column(String(10), comment="角色：坐席/管理员")
    # scrypt$<n>$<r>$<p>$<salt>$<hash> (base64): the salt is per user, the parameters travel along
    # so they can be raised later without invalidating existing passwords.
    password_hash: Mapped[str] = mapped_column(String(255), comment="口令摘要（scrypt，含盐）")
    active: Mapped[bool] = mapped_column(Boolean, default=True, comment="是否启用")


class StaffSession(TimestampMixin, Base):
    """A signed-in staff session. Only the SHA-256 of the bearer token is stored: a copy of the
    table does not let anyone act as staff."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, comment="令牌的 SHA-256")
    expires_at: Mapped[datetime] = mapped_column(comment="过期时间")
    revoked_at: Mapped[datetime | None] = mapped_column(comment="退出登录时间")

    staff_user: Mapped[StaffUser] = relationship()


class SmsCode(Base):
    """A 6-digit verification code sent to a mobile number. Only a salted hash of the code is kept;
    the latest code of a phone is the only one that counts."""

    __tablename__ = "sms_codes"
    __table_args__ = (Index("ix_sms_codes_phone_sent_at", "phone", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Personal data: never logged, masked wherever it is displayed.
    phone: Mapped[str] = mapped_column(String(11), comment="手机号")
    chat_user_id: Mapped[int] = mapped_column(ForeignKey("chat_users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20), comment="用途，如 registration")
    code_hash: Mapped[str] = mapped_column(String(64), comment="验证码的加盐摘要")
    salt: Mapped[str] = mapped_column(String(32), comment="摘要用的随机盐")
    sent_at: Mapped[datetime] = mapped_column(comment="发送时间")
    expires_at: Mapped[datetime] = mapped_column(comment="过期时间")
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0, comment="输错次数")
    consumed_at: Mapped[datetime | None] = mapped_column(comment="验证通过（已使用）的时间")

    chat_user: Mapped[ChatUser] = relationship()


class SmsOutboxMessage(Base):
    """The development SMS provider's outbox: what a real gateway would have delivered."""

    __tablename__ = "sms_outbox"
    __table_args__ = (Index("ix_sms_outbox_phone_sent_at", "phone", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11), comment="手机号")
    text: Mapped[str] = mapped_column(String(500), comment="短信内容")
    sent_at: Mapped[datetime] = mapped_column(comment="发送时间")


class Event(TimestampMixin, Base):
    """推广活动 (政银企对接会 …): registrations started from its QR code are attributed to it."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True, comment="活动码（短、可放入网址）")
    name: Mapped[str] = mapped_column(String(100), comment="活动名称")
    place: Mapped[str] = mapped_column(String(200), comment="活动地点")
    starts_at: Mapped[datetime] = mapped_column(comment="开始时间")
    ends_at: Mapped[datetime] = mapped_column(comment="结束时间")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), comment="创建人")

    created_by: Mapped[StaffUser] = relationship()


class Registration(TimestampMixin, Base):
    """实名注册 that created a binding: the verified mobile number and the event it came from."""

    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    binding_id: Mapped[int] = mapped_column(ForeignKey("bindings.id"), unique=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), index=True)
    # Personal data: never logged, masked wherever it is displayed.
    phone: Mapped[str] = mapped_column(String(11), comment="短信验证过的手机号")

    binding: Mapped[Binding] = relationship()
    event: Mapped[Event | None] = relationship()
