"""Shapes of the credit self-check (信用自查): summary, registration facts and records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Row

from app.enums import CreditCategory, DataClass, RecordStatus
from app.masking import mask_person_name, mask_text
from app.models import CreditRecord, RegistryEntity
from app.schemas import CreditSummaryPublic, EnterprisePublic


class RegistrationPublic(BaseModel):
    """登记信息（公开信息）；法定代表人姓名已脱敏。"""

    name: str = Field(description="企业名称")
    uscc: str = Field(description="统一社会信用代码")
    entity_type: str = Field(description="主体类型")
    industry: str = Field(description="行业门类")
    established_on: date = Field(description="成立日期")
    legal_representative: str = Field(description="法定代表人（个体工商户为经营者），已脱敏")
    address: str = Field(description="住所/经营场所")
    registration_authority: str = Field(description="登记机关")
    status: str = Field(description="登记状态：存续/在业/吊销/注销")


class RecordPublic(BaseModel):
    """一条信用信息；其中的身份证号、手机号、自然人姓名已脱敏。"""

    id: int = Field(description="记录编号")
    category: CreditCategory = Field(description="信息类别")
    public: bool = Field(description="是否公开信息")
    title: str = Field(description="标题")
    content: str = Field(description="内容（已脱敏）")
    document_no: str | None = Field(description="决定书/文书编号")
    amount: float | None = Field(description="涉及金额（元）")
    value: str | None = Field(description="结构化取值，如纳税信用等级")
    authority: str = Field(description="认定/提供单位")
    decided_on: date = Field(description="决定/认定日期")
    publicity_end_on: date | None = Field(description="公示截止日期")
    repairable_after: date | None = Field(description="可申请信用修复的日期")
    status: RecordStatus = Field(description="正常 / 异议处理中")


class CategoryRecords(BaseModel):
    category: CreditCategory = Field(description="信息类别")
    records: list[RecordPublic] = Field(description="该类别的记录")


class CategoryCountPublic(BaseModel):
    category: CreditCategory = Field(description="信息类别")
    public: bool = Field(description="是否公开信息")
    count: int = Field(ge=0, description="记录条数")
    disputed: int = Field(ge=0, description="其中“异议处理中”的条数")


class SelfCheckSummaryPublic(CreditSummaryPublic):
    """信用自查概要：在原有概要（企业、评价、白名单、各类条数）之上增加登记信息和异议中的条数。"""

    enterprise: EnterprisePublic = Field(description="平台企业")
    registration: RegistrationPublic = Field(description="登记信息；法定代表人姓名已脱敏")
    counts: list[CategoryCountPublic] = Field(  # type: ignore[assignment]
        description="各类信用信息条数（含 0 条的类别）及其中异议处理中的条数"
    )


class RecordList(BaseModel):
    category: CreditCategory = Field(description="信息类别")
    public: bool = Field(description="是否公开信息")
    items: list[RecordPublic] = Field(description="该类别的记录，新的在前；个人信息已脱敏")


def registration_public(entity: RegistryEntity | Row[Any]) -> RegistrationPublic:
    """From the registry entity, or from a row with its columns (the self-check's)."""
    return RegistrationPublic(
        name=entity.name,
        uscc=entity.uscc,
        entity_type=entity.entity_type,
        industry=entity.industry,
        established_on=entity.established_on,
        legal_representative=mask_person_name(entity.legal_representative),
        address=entity.address,
        registration_authority=entity.registration_authority,
        status=entity.status,
    )


def record_public(record: CreditRecord, person_names: tuple[str, ...]) -> RecordPublic:
    """Every free-text field goes through app.masking: ID numbers, phones and the given natural
    persons' names are masked wherever they appear."""

    def mask(text: str | None) -> str | None:
        return None if text is None else mask_text(text, person_names)

    return RecordPublic(
        id=record.id,
        category=CreditCategory(record.category),
        public=record.data_class == DataClass.PUBLIC.value,
        title=mask_text(record.title, person_names),
        content=mask_text(record.content, person_names),
        document_no=mask(record.document_no),
        amount=None if record.amount is None else float(record.amount),
        value=record.value,
        authority=mask_text(record.authority, person_names),
        decided_on=record.decided_on,
        publicity_end_on=record.publicity_end_on,
        repairable_after=record.repairable_after,
        status=RecordStatus(record.status),
    )


class ReportLinkPublic(BaseModel):
    url: str = Field(
        description="完整信用报告 H5 页面的短时签名链接，只对该会话用户所绑定的企业有效"
    )
    expires_at: datetime = Field(description="链接失效时间（UTC）")


def categories_public(
    grouped: Mapping[CreditCategory, Sequence[CreditRecord]], person_names: tuple[str, ...]
) -> list[CategoryRecords]:
    """Records grouped by category (an institution's or the service desk's view), masked."""
    return [
        CategoryRecords(
            category=category, records=[record_public(r, person_names) for r in records]
        )
        for category, records in grouped.items()
    ]
