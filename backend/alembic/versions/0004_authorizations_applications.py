"""Risk-notice consent and authorizations, institution credentials, product applications with
status history and feedback, and the daily application-number counter.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "authorizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("chat_user_id", sa.Integer(), nullable=False, comment="授权人"),
        sa.Column("channel", sa.String(length=32), nullable=False, comment="授权时的会话渠道"),
        sa.Column(
            "notice_version",
            sa.String(length=16),
            nullable=False,
            comment="已阅读并同意的风险告知书版本",
        ),
        sa.Column(
            "data_categories", sa.JSON(), nullable=False, comment="授权的数据类别，见 DataCategory"
        ),
        sa.Column("all_institutions", sa.Boolean(), nullable=False, comment="是否授权全部接入机构"),
        sa.Column(
            "institution_codes",
            sa.JSON(),
            nullable=False,
            comment="授权的机构代码；授权全部机构时为空",
        ),
        sa.Column("period_months", sa.Integer(), nullable=False, comment="授权期限（月）"),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False, comment="授权时间"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, comment="到期时间"),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True, comment="撤回时间"),
        sa.Column("revoked_by_chat_user_id", sa.Integer(), nullable=True, comment="撤回人"),
        sa.CheckConstraint(
            "period_months BETWEEN 1 AND 36", name=op.f("ck_authorizations_period_months")
        ),
        sa.ForeignKeyConstraint(
            ["chat_user_id"],
            ["chat_users.id"],
            name=op.f("fk_authorizations_chat_user_id_chat_users"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_authorizations_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_chat_user_id"],
            ["chat_users.id"],
            name=op.f("fk_authorizations_revoked_by_chat_user_id_chat_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorizations")),
    )
    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_authorizations_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "institution_credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False, comment="令牌的 SHA-256"),
        sa.Column("label", sa.String(length=50), nullable=False, comment="用途说明，如 演示令牌"),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True, comment="停用时间"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_institution_credentials_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution_credentials")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_institution_credentials_token_hash")),
    )
    with op.batch_alter_table("institution_credentials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_institution_credentials_institution_id"),
            ["institution_id"],
            unique=False,
        )

    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "number",
            sa.String(length=14),
            nullable=False,
            comment="申请编号：SQ + 年月日 + 当日4位序号",
        ),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column(
            "institution_id", sa.Integer(), nullable=False, comment="受理机构（产品所属机构）"
        ),
        sa.Column("chat_user_id", sa.Integer(), nullable=False, comment="申请人"),
        sa.Column("channel", sa.String(length=32), nullable=False, comment="申请时的会话渠道"),
        sa.Column(
            "amount", sa.Numeric(precision=12, scale=2), nullable=False, comment="申请金额（万元）"
        ),
        sa.Column("term_months", sa.Integer(), nullable=False, comment="申请期限（月）"),
        sa.Column("purpose", sa.String(length=200), nullable=False, comment="资金用途"),
        sa.Column("contact_phone", sa.String(length=20), nullable=False, comment="联系电话"),
        sa.Column("status", sa.String(length=10), nullable=False, comment="见 ApplicationStatus"),
        sa.Column(
            "active_slot",
            sa.Boolean(),
            nullable=True,
            comment="进行中为 true，办结后为 NULL（每产品仅一笔进行中）",
        ),
        sa.Column(
            "approved_amount",
            sa.Numeric(precision=12, scale=2),
            nullable=True,
            comment="融资成效：审批金额（万元）",
        ),
        sa.Column(
            "approved_rate",
            sa.Numeric(precision=5, scale=2),
            nullable=True,
            comment="融资成效：年化利率（%）",
        ),
        sa.Column(
            "approved_term_months", sa.Integer(), nullable=True, comment="融资成效：期限（月）"
        ),
        sa.Column("feedback_note", sa.Text(), nullable=True, comment="机构反馈说明"),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, comment="最近一次状态变化"
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_user_id"],
            ["chat_users.id"],
            name=op.f("fk_applications_chat_user_id_chat_users"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_applications_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_applications_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_applications_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint(
            "enterprise_id",
            "product_id",
            "active_slot",
            name=op.f("uq_applications_enterprise_id_product_id_active_slot"),
        ),
        sa.UniqueConstraint("number", name=op.f("uq_applications_number")),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_applications_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_applications_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "application_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False, comment="变更后的状态"),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, comment="变更时间"),
        sa.Column(
            "actor_type",
            sa.String(length=20),
            nullable=False,
            comment="谁：chat_user / institution",
        ),
        sa.Column(
            "actor_id", sa.String(length=160), nullable=False, comment="谁：渠道用户或机构代码"
        ),
        sa.Column("note", sa.Text(), nullable=True, comment="说明"),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_status_changes_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_status_changes")),
    )
    with op.batch_alter_table("application_status_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_application_status_changes_application_id"),
            ["application_id"],
            unique=False,
        )

    op.create_table(
        "application_number_counters",
        sa.Column("day", sa.Date(), nullable=False, comment="编号日期（北京时间）"),
        sa.Column("last_value", sa.Integer(), nullable=False, comment="当日已用的最大序号"),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_application_number_counters")),
    )


def downgrade() -> None:
    op.drop_table("application_number_counters")
    with op.batch_alter_table("application_status_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_status_changes_application_id"))

    op.drop_table("application_status_changes")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applications_institution_id"))
        batch_op.drop_index(batch_op.f("ix_applications_enterprise_id"))

    op.drop_table("applications")
    with op.batch_alter_table("institution_credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_institution_credentials_institution_id"))

    op.drop_table("institution_credentials")
    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authorizations_enterprise_id"))

    op.drop_table("authorizations")
