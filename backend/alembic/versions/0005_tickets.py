"""Objection, repair and hand-off tickets with status history; notifications to users.

Tables tickets, ticket_events, ticket_sequences and notifications; credit_records gains
corrected_at (an objection closed as 已更正) and repaired_at (a repair closed as 已更正).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticket_sequences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=2), nullable=False, comment="YY/XF/RG"),
        sa.Column("day", sa.Date(), nullable=False, comment="中国日历日"),
        sa.Column("last_value", sa.Integer(), nullable=False, comment="当日已用的最大序号"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_sequences")),
        sa.UniqueConstraint("prefix", "day", name=op.f("uq_ticket_sequences_prefix_day")),
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "number",
            sa.String(length=20),
            nullable=False,
            comment="工单号：YY/XF/RG + yyyymmdd + 4 位当日序号",
        ),
        sa.Column("kind", sa.String(length=10), nullable=False, comment="异议申诉/信用修复/转人工"),
        sa.Column(
            "status", sa.String(length=10), nullable=False, comment="当前状态，见 TicketStatus"
        ),
        sa.Column("chat_user_id", sa.Integer(), nullable=False, comment="提交人（会话用户）"),
        sa.Column("enterprise_id", sa.Integer(), nullable=True, comment="所涉企业；转人工可为空"),
        sa.Column("record_id", sa.Integer(), nullable=True, comment="所涉信用记录；转人工为空"),
        sa.Column(
            "reason", sa.String(length=20), nullable=True, comment="异议理由，见 ObjectionReason"
        ),
        sa.Column(
            "description",
            sa.Text(),
            nullable=False,
            comment="情况说明或转人工对话摘要（个人信息已脱敏）",
        ),
        sa.Column(
            "evidence",
            sa.JSON(),
            nullable=False,
            comment="证明材料引用：[{type: wechat_media|upload, id}]",
        ),
        sa.Column(
            "contact_phone",
            sa.String(length=11),
            nullable=True,
            comment="联系电话（个人信息，展示时脱敏）",
        ),
        sa.Column(
            "commitment_version",
            sa.String(length=20),
            nullable=True,
            comment="信用修复：用户确认的信用承诺书版本",
        ),
        sa.Column(
            "commitment_accepted_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="确认信用承诺的时间",
        ),
        sa.Column(
            "forward_deadline",
            sa.Date(),
            nullable=True,
            comment="异议申诉转交省级节点的期限（2 个工作日）",
        ),
        sa.Column(
            "open_key",
            sa.String(length=60),
            nullable=True,
            comment="未办结工单的唯一键，办结后清空",
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, comment="最近一次状态变化"
        ),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True, comment="办结时间"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_user_id"], ["chat_users.id"], name=op.f("fk_tickets_chat_user_id_chat_users")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_tickets_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["credit_records.id"],
            name=op.f("fk_tickets_record_id_credit_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("number", name=op.f("uq_tickets_number")),
        sa.UniqueConstraint("open_key", name=op.f("uq_tickets_open_key")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tickets_chat_user_id"), ["chat_user_id"])
        batch_op.create_index(batch_op.f("ix_tickets_enterprise_id"), ["enterprise_id"])
        batch_op.create_index(batch_op.f("ix_tickets_record_id"), ["record_id"])

    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=10), nullable=True, comment="原状态；新建时为空"),
        sa.Column("to_status", sa.String(length=10), nullable=False, comment="新状态"),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, comment="变更时间"),
        sa.Column(
            "actor_type",
            sa.String(length=20),
            nullable=False,
            comment="谁：chat_user / staff / service",
        ),
        sa.Column(
            "actor_id", sa.String(length=160), nullable=False, comment="谁：渠道用户或坐席账号"
        ),
        sa.Column("note", sa.Text(), nullable=True, comment="说明（个人信息已脱敏）"),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_events_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_events")),
    )
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_events_ticket_id"), ["ticket_id"])

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_user_id", sa.Integer(), nullable=False),
        sa.Column(
            "channel",
            sa.String(length=32),
            nullable=False,
            comment="送达渠道，同会话用户的渠道",
        ),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("ticket_event_id", sa.Integer(), nullable=True, comment="引起通知的状态变化"),
        sa.Column("text", sa.Text(), nullable=False, comment="通知内容（中文，不含个人信息明文）"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "delivered_at", sa.DateTime(timezone=True), nullable=True, comment="渠道确认送达的时间"
        ),
        sa.ForeignKeyConstraint(
            ["chat_user_id"],
            ["chat_users.id"],
            name=op.f("fk_notifications_chat_user_id_chat_users"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_notifications_ticket_id_tickets")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_event_id"],
            ["ticket_events.id"],
            name=op.f("fk_notifications_ticket_event_id_ticket_events"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("ticket_event_id", name=op.f("uq_notifications_ticket_event_id")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_chat_user_id"), ["chat_user_id"])
        batch_op.create_index(batch_op.f("ix_notifications_ticket_id"), ["ticket_id"])
        batch_op.create_index("ix_notifications_pending", ["channel", "delivered_at"])

    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "corrected_at",
                sa.DateTime(timezone=True),
                nullable=True,
                comment="异议核实后更正的时间",
            )
        )
        batch_op.add_column(
            sa.Column(
                "repaired_at",
                sa.DateTime(timezone=True),
                nullable=True,
                comment="信用修复完成的时间",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.drop_column("repaired_at")
        batch_op.drop_column("corrected_at")

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_pending")
        batch_op.drop_index(batch_op.f("ix_notifications_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_notifications_chat_user_id"))
    op.drop_table("notifications")

    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_events_ticket_id"))
    op.drop_table("ticket_events")

    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_record_id"))
        batch_op.drop_index(batch_op.f("ix_tickets_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_tickets_chat_user_id"))
    op.drop_table("tickets")
    op.drop_table("ticket_sequences")
