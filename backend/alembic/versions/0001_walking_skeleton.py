"""Walking skeleton: registry, enterprises, bindings, catalogue, credit records.

Market-entity registry, platform enterprises, chat users and their bindings, institutions and
products, credit records and basic credit evaluations.

Revision ID: 0001
Revises:
Create Date: 2026-11-21 08:05:56.593642
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("external_user_id", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_users")),
        sa.UniqueConstraint(
            "channel", "external_user_id", name=op.f("uq_chat_users_channel_external_user_id")
        ),
    )
    op.create_table(
        "institutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False, comment="配置文件中的稳定代码"),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False, comment="银行/担保/保险等"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institutions")),
        sa.UniqueConstraint("code", name=op.f("uq_institutions_code")),
        sa.UniqueConstraint("name", name=op.f("uq_institutions_name")),
    )
    op.create_table(
        "registry_entities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False, comment="统一社会信用代码"),
        sa.Column("name", sa.String(length=200), nullable=False, comment="名称"),
        sa.Column(
            "legal_representative",
            sa.String(length=50),
            nullable=False,
            comment="法定代表人（个体工商户为经营者）",
        ),
        sa.Column("entity_type", sa.String(length=50), nullable=False, comment="主体类型"),
        sa.Column("industry", sa.String(length=50), nullable=False, comment="国民经济行业门类"),
        sa.Column("scale", sa.String(length=10), nullable=True, comment="企业规模：微型/小型/中型"),
        sa.Column(
            "registered_capital",
            sa.Numeric(precision=16, scale=2),
            nullable=True,
            comment="注册资本（万元）；个体工商户为资金数额",
        ),
        sa.Column("established_on", sa.Date(), nullable=False, comment="成立日期"),
        sa.Column("address", sa.String(length=255), nullable=False, comment="住所/经营场所"),
        sa.Column(
            "registration_authority", sa.String(length=100), nullable=False, comment="登记机关"
        ),
        sa.Column(
            "status", sa.String(length=20), nullable=False, comment="登记状态：存续/在业/吊销/注销"
        ),
        sa.Column("tags", sa.JSON(), nullable=False, comment="认定标签：专精特新、绿色等"),
        sa.Column("white_listed", sa.Boolean(), nullable=False, comment="是否列入融资白名单"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_entities")),
        sa.UniqueConstraint("uscc", name=op.f("uq_registry_entities_uscc")),
    )
    with op.batch_alter_table("registry_entities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registry_entities_name"), ["name"], unique=False)

    op.create_table(
        "credit_evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registry_entity_id", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=1), nullable=False, comment="A/B/C/D"),
        sa.Column("score", sa.Integer(), nullable=False, comment="0–100"),
        sa.Column("reasons", sa.JSON(), nullable=False, comment="评价依据（中文）"),
        sa.Column("model_version", sa.String(length=32), nullable=False),
        sa.Column("evaluated_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registry_entity_id"],
            ["registry_entities.id"],
            name=op.f("fk_credit_evaluations_registry_entity_id_registry_entities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_evaluations")),
    )
    with op.batch_alter_table("credit_evaluations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_evaluations_registry_entity_id"),
            ["registry_entity_id"],
            unique=False,
        )

    op.create_table(
        "credit_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registry_entity_id", sa.Integer(), nullable=False),
        sa.Column(
            "category", sa.String(length=20), nullable=False, comment="信息类别，见 CreditCategory"
        ),
        sa.Column(
            "data_class", sa.String(length=12), nullable=False, comment="public / non_public"
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("document_no", sa.String(length=100), nullable=True, comment="决定书/文书编号"),
        sa.Column(
            "amount", sa.Numeric(precision=16, scale=2), nullable=True, comment="涉及金额（元）"
        ),
        sa.Column(
            "value",
            sa.String(length=20),
            nullable=True,
            comment="结构化取值，如纳税信用等级的 A/B/M/C/D",
        ),
        sa.Column("authority", sa.String(length=100), nullable=False, comment="认定/提供单位"),
        sa.Column("decided_on", sa.Date(), nullable=False, comment="决定/认定日期"),
        sa.Column("publicity_end_on", sa.Date(), nullable=True, comment="公示截止日期"),
        sa.Column(
            "repairable_after",
            sa.Date(),
            nullable=True,
            comment="最短公示期满、可申请信用修复的日期",
        ),
        sa.Column("status", sa.String(length=10), nullable=False, comment="正常/异议处理中"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registry_entity_id"],
            ["registry_entities.id"],
            name=op.f("fk_credit_records_registry_entity_id_registry_entities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_records")),
    )
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_credit_records_entity_category", ["registry_entity_id", "category"], unique=False
        )

    op.create_table(
        "enterprises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registry_entity_id", sa.Integer(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("is_individual_business", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registry_entity_id"],
            ["registry_entities.id"],
            name=op.f("fk_enterprises_registry_entity_id_registry_entities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprises")),
        sa.UniqueConstraint("registry_entity_id", name=op.f("uq_enterprises_registry_entity_id")),
        sa.UniqueConstraint("uscc", name=op.f("uq_enterprises_uscc")),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False, comment="配置文件中的稳定代码"),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("amount_min", sa.Integer(), nullable=False, comment="最低额度（万元）"),
        sa.Column("amount_max", sa.Integer(), nullable=False, comment="最高额度（万元）"),
        sa.Column(
            "rate_min",
            sa.Numeric(precision=5, scale=2),
            nullable=False,
            comment="最低年化利率（%）",
        ),
        sa.Column(
            "rate_max",
            sa.Numeric(precision=5, scale=2),
            nullable=False,
            comment="最高年化利率（%）",
        ),
        sa.Column("term_months_min", sa.Integer(), nullable=False, comment="最短期限（月）"),
        sa.Column("term_months_max", sa.Integer(), nullable=False, comment="最长期限（月）"),
        sa.Column("guarantee_type", sa.String(length=10), nullable=False, comment="信用/担保/抵押"),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("eligibility", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_products_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("code", name=op.f("uq_products_code")),
        sa.UniqueConstraint("name", name=op.f("uq_products_name")),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_products_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "bindings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_user_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False, comment="法定代表人/经办人"),
        sa.Column("person_name", sa.String(length=50), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_user_id"], ["chat_users.id"], name=op.f("fk_bindings_chat_user_id_chat_users")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_bindings_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bindings")),
        sa.UniqueConstraint(
            "chat_user_id", "enterprise_id", name=op.f("uq_bindings_chat_user_id_enterprise_id")
        ),
    )
    with op.batch_alter_table("bindings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bindings_enterprise_id"), ["enterprise_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("bindings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bindings_enterprise_id"))

    op.drop_table("bindings")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_institution_id"))

    op.drop_table("products")
    op.drop_table("enterprises")
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_records_entity_category")

    op.drop_table("credit_records")
    with op.batch_alter_table("credit_evaluations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_evaluations_registry_entity_id"))

    op.drop_table("credit_evaluations")
    with op.batch_alter_table("registry_entities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_entities_name"))

    op.drop_table("registry_entities")
    op.drop_table("institutions")
    op.drop_table("chat_users")
