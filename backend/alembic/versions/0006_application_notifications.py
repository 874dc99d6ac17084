"""Notifications about product applications too: the institution's feedback reaches the user.

A notification is about one ticket or one application (check constraint) and carries the number
the user knows it by.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("number", sa.String(length=20), nullable=True, comment="相关工单号或申请编号")
        )
        batch_op.add_column(
            sa.Column("application_id", sa.Integer(), nullable=True, comment="相关产品申请")
        )
    op.execute(
        "UPDATE notifications SET number = "
        "(SELECT tickets.number FROM tickets WHERE tickets.id = notifications.ticket_id)"
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("number", existing_type=sa.String(length=20), nullable=False)
        batch_op.alter_column("ticket_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_notifications_application_id_applications"),
            "applications",
            ["application_id"],
            ["id"],
        )
        batch_op.create_index(batch_op.f("ix_notifications_application_id"), ["application_id"])
        batch_op.create_check_constraint(
            "about_one_thing", "(ticket_id IS NULL) <> (application_id IS NULL)"
        )


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE ticket_id IS NULL")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_notifications_about_one_thing"), type_="check")
        batch_op.drop_index(batch_op.f("ix_notifications_application_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_notifications_application_id_applications"), type_="foreignkey"
        )
        batch_op.alter_column("ticket_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("application_id")
        batch_op.drop_column("number")
