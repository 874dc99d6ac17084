"""The market-entity registry, platform enterprises and their users, the catalogue of institutions
and products, and the credit records the platform holds."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.enums import RecordStatus
from app.models.base import Base, TimestampMixin


class RegistryEntity(TimestampMixin, Base):
    """市场主体登记: the registry extract the platform holds for every market entity in the city,
    plus the attributes the platform collects about it (scale, tags, white list) that product
    eligibility depends on. Credit records hang off this table, not off `enterprises`, because the
    platform holds them whether or not the entity has registered."""

    __tablename__ = "registry_entities"

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True, comment="统一社会信用代码")
    name: Mapped[str] = mapped_column(String(200), index=True, comment="名称")
    legal_representative: Mapped[str] = mapped_column(
        String(50), comment="法定代表人（个体工商户为经营者）"
    )
    entity_type: Mapped[str] = mapped_column(String(50), comment="主体类型")
    industry: Mapped[str] = mapped_column(String(50), comment="国民经济行业门类")
    scale: Mapped[str | None] = mapped_column(String(10), comment="企业规模：微型/小型/中型")
    registered_capital: Mapped[Decimal | None] = mapped_column(
        Numeric(16, 2), comment="注册资本（万元）；个体工商户为资金数额"
    )
    established_on: Mapped[date] = mapped_column(comment="成立日期")
    address: Mapped[str] = mapped_column(String(255), comment="住所/经营场所")
    registration_authority: Mapped[str] = mapped_column(String(100), comment="登记机关")
    status: Mapped[str] = mapped_column(String(20), comment="登记状态：存续/在业/吊销/注销")
    tags: Mapped[list[str]] = mapped_column(default=list, comment="认定标签：专精特新、绿色等")
    white_listed: Mapped[bool] = mapped_column(Boolean, default=False, comment="是否列入融资白名单")

    @property
    def is_individual_business(self) -> bool:
        return self.uscc.startswith("92")


class Enterprise(TimestampMixin, Base):
    """A platform account, created from the registry entry the first time someone binds to it."""

    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    registry_entity_id: Mapped[int] = mapped_column(ForeignKey("registry_entities.id"), unique=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    is_individual_business: Mapped[bool] = mapped_column(Boolean)

    registry_entity: Mapped[RegistryEntity] = relationship()


class ChatUser(TimestampMixin, Base):
    """Someone talking to the assistant: a WeChat openid, an app user id …, per channel."""

    __tablename__ = "chat_users"
    __table_args__ = (UniqueConstraint("channel", "external_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_user_id: Mapped[str] = mapped_column(String(128))


class Binding(TimestampMixin, Base):
    """A chat user's verified link to an enterprise; several users may bind one enterprise."""

    __tablename__ = "bindings"
    __table_args__ = (UniqueConstraint("chat_user_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_user_id: Mapped[int] = mapped_column(ForeignKey("chat_users.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    role: Mapped[str] = mapped_column(String(10), comment="法定代表人/经办人")
    # A natural person's name: personal data, never logged and masked wherever it is displayed.
    person_name: Mapped[str] = mapped_column(String(50))

    chat_user: Mapped[ChatUser] = relationship()
    enterprise: Mapped[Enterprise] = relationship()


class Institution(TimestampMixin, Base):
    """接入机构 (banks, guarantee companies …) as listed in the city configuration."""

    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, comment="配置文件中的稳定代码")
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20), comment="银行/担保/保险等")


class Product(TimestampMixin, Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, comment="配置文件中的稳定代码")
    name: Mapped[str] = mapped_column(String(50), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    amount_min: Mapped[int] = mapped_column(Integer, comment="最低额度（万元）")
    amount_max: Mapped[int] = mapped_column(Integer, comment="最高额度（万元）")
    rate_min: Mapped[Decimal] = mapped_column(Numeric(5, 2), comment="最低年化利率（%）")
    rate_max: Mapped[Decimal] = mapped_column(Numeric(5, 2), comment="最高年化利率（%）")
    term_months_min: Mapped[int] = mapped_column(Integer, comment="最短期限（月）")
    term_months_max: Mapped[int] = mapped_column(Integer, comment="最长期限（月）")
    guarantee_type: Mapped[str] = mapped_column(String(10), comment="信用/担保/抵押")
    description: Mapped[str] = mapped_column(Text, default="")
    # Validated by app.city.EligibilityRules; JSON keeps the rule book extensible without DDL.
    eligibility: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    institution: Mapped[Institution] = relationship()


class CreditRecord(TimestampMixin, Base):
    __tablename__ = "credit_records"
    __table_args__ = (Index("ix_credit_records_entity_category", "registry_entity_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registry_entity_id: Mapped[int] = mapped_column(ForeignKey("registry_entities.id"))
    category: Mapped[str] = mapped_column(String(20), comment="信息类别，见 CreditCategory")
    data_class: Mapped[str] = mapped_column(String(12), comment="public / non_public")
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    document_no: Mapped[str | None] = mapped_column(String(100), comment="决定书/文书编号")
    amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2), comment="涉及金额（元）")
    value: Mapped[str | None] = mapped_column(
        String(20), comment="结构化取值，如纳税信用等级的 A/B/M/C/D"
    )
    authority: Mapped[str] = mapped_column(String(100), comment="认定/提供单位")
    decided_on: Mapped[date] = mapped_column(comment="决定/认定日期")
    publicity_end_on: Mapped[date | None] = mapped_column(comment="公示截止日期")
    repairable_after: Mapped[date | None] = mapped_column(
        comment="最短公示期满、可申请信用修复的日期"
    )
    status: Mapped[str] = mapped_column(
        String(10), default=RecordStatus.NORMAL.value, comment="正常/异议处理中"
    )
    corrected_at: Mapped[datetime | None] = mapped_column(comment="异议核实后更正的时间")
    repaired_at: Mapped[datetime | None] = mapped_column(comment="信用修复完成的时间")


class CreditEvaluation(TimestampMixin, Base):
    """基础性信用评价. Kept as history: the current one is the latest by evaluated_on."""

    __tablename__ = "credit_evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    registry_entity_id: Mapped[int] = mapped_column(ForeignKey("registry_entities.id"), index=True)
    grade: Mapped[str] = mapped_column(String(1), comment="A/B/C/D")
    score: Mapped[int] = mapped_column(Integer, comment="0–100")
    reasons: Mapped[list[str]] = mapped_column(default=list, comment="评价依据（中文）")
    model_version: Mapped[str] = mapped_column(String(32))
    evaluated_on: Mapped[date]
