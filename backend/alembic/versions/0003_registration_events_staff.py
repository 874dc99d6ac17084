"""SMS codes and outbox, registrations with event attribution, events, staff users and sessions.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _created_at() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=50), nullable=False, comment="登录名"),
        sa.Column("display_name", sa.String(length=50), nullable=False, comment="显示名称"),
        sa.Column("role", sa.String(length=10), nullable=False, comment="角色：坐席/管理员"),
        sa.Column(
            "password_hash",
            sa.String(length=255),
            nullable=False,
            comment="口令摘要（scrypt，含盐）",
        ),
        sa.Column("active", sa.Boolean(), nullable=False, comment="是否启用"),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_users_username")),
    )

    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False, comment="令牌的 SHA-256"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, comment="过期时间"),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True, comment="退出登录时间"),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_users.id"],
            name=op.f("fk_staff_sessions_staff_user_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_sessions_token_hash")),
    )
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_sessions_staff_user_id"), ["staff_user_id"], unique=False
        )

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False, comment="活动码（短、可放入网址）"),
        sa.Column("name", sa.String(length=100), nullable=False, comment="活动名称"),
        sa.Column("place", sa.String(length=200), nullable=False, comment="活动地点"),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False, comment="开始时间"),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False, comment="结束时间"),
        sa.Column("created_by_id", sa.Integer(), nullable=False, comment="创建人"),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_users.id"],
            name=op.f("fk_events_created_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("code", name=op.f("uq_events_code")),
    )

    op.create_table(
        "sms_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=False, comment="手机号"),
        sa.Column("chat_user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False, comment="用途，如 registration"),
        sa.Column("code_hash", sa.String(length=64), nullable=False, comment="验证码的加盐摘要"),
        sa.Column("salt", sa.String(length=32), nullable=False, comment="摘要用的随机盐"),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False, comment="发送时间"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, comment="过期时间"),
        sa.Column("failed_attempts", sa.Integer(), nullable=False, comment="输错次数"),
        sa.Column(
            "consumed_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="验证通过（已使用）的时间",
        ),
        sa.ForeignKeyConstraint(
            ["chat_user_id"],
            ["chat_users.id"],
            name=op.f("fk_sms_codes_chat_user_id_chat_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_codes")),
    )
    with op.batch_alter_table("sms_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sms_codes_chat_user_id"), ["chat_user_id"], unique=False
        )
        batch_op.create_index("ix_sms_codes_phone_sent_at", ["phone", "sent_at"], unique=False)

    op.create_table(
        "sms_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=False, comment="手机号"),
        sa.Column("text", sa.String(length=500), nullable=False, comment="短信内容"),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False, comment="发送时间"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_outbox")),
    )
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_sms_outbox_phone_sent_at", ["phone", "sent_at"], unique=False)

    op.create_table(
        "registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("binding_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=11), nullable=False, comment="短信验证过的手机号"),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["binding_id"], ["bindings.id"], name=op.f("fk_registrations_binding_id_bindings")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_registrations_event_id_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrations")),
        sa.UniqueConstraint("binding_id", name=op.f("uq_registrations_binding_id")),
    )
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registrations_event_id"), ["event_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registrations_event_id"))
    op.drop_table("registrations")

    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_sms_outbox_phone_sent_at")
    op.drop_table("sms_outbox")

    with op.batch_alter_table("sms_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_sms_codes_phone_sent_at")
        batch_op.drop_index(batch_op.f("ix_sms_codes_chat_user_id"))
    op.drop_table("sms_codes")

    op.drop_table("events")

    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_sessions_staff_user_id"))
    op.drop_table("staff_sessions")

    op.drop_table("staff_users")
