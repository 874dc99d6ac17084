"""Shapes of the risk notice, authorizations and the institution view of an enterprise."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.enums import AuthorizationStatus, CreditCategory, DataCategory
from app.schemas.credit import CategoryRecords, RegistrationPublic


def _utc(value: datetime) -> datetime:
    # Stored instants are UTC; SQLite hands them back without a zone.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# A datetime shown as UTC with its offset, the same from SQLite and PostgreSQL.
UtcDateTime = Annotated[datetime, AfterValidator(_utc)]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _printable(value: str) -> str:
    # PostgreSQL refuses NUL in text, and no user types control characters: refuse them as input.
    if _CONTROL.search(value):
        raise ValueError("含有不可见的控制字符")
    return value


# Text a user typed: control characters (NUL …) are bad input, not a database error.
Text = Annotated[str, AfterValidator(_printable)]


class InstitutionPublic(BaseModel):
    code: str = Field(description="机构代码（城市配置中的稳定代码）")
    name: str = Field(description="机构名称")
    kind: str = Field(description="机构类型：银行 / 担保等")


class DataCategoryPublic(BaseModel):
    category: DataCategory = Field(description="数据类别")
    record_categories: list[CreditCategory] = Field(description="该类别包含的信用信息类别")


class NoticePublic(BaseModel):
    version: str = Field(description="风险告知书版本，授权时原样提交", examples=["v1"])
    title: str = Field(description="告知书标题")
    text: str = Field(description="告知书全文（Markdown）")
    data_categories: list[DataCategoryPublic] = Field(description="可授权的非公开数据类别")
    institutions: list[InstitutionPublic] = Field(description="平台全部接入机构")
    service_desk: InstitutionPublic = Field(
        description=(
            "平台服务台（热线坐席）：可与机构一起列入授权的机构代码；不属于“全部接入机构”，"
            "须单独列明，坐席才能查看授权范围内的非公开信息"
        )
    )
    default_period_months: int = Field(description="默认授权期限（月）")
    min_period_months: int = Field(description="最短授权期限（月）")
    max_period_months: int = Field(description="最长授权期限（月）")


class AuthorizationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    consent: str = Field(
        min_length=1,
        max_length=10,
        description="用户对风险告知书的明确同意，必须正好是“同意”",
        examples=["同意"],
    )
    notice_version: str = Field(
        min_length=1,
        max_length=16,
        description="用户阅读并同意的风险告知书版本；须为当前版本",
        examples=["v1"],
    )
    data_categories: list[DataCategory] = Field(
        min_length=1,
        max_length=len(DataCategory),
        description="授权的数据类别（至少一项）",
        examples=[["纳税", "社保"]],
    )
    institutions: Text | list[Annotated[Text, Field(max_length=32)]] = Field(
        description=(
            '授权的机构："all" 表示平台全部接入机构，或机构代码列表；列表中可含 '
            "platform_service_desk（平台服务台，“all”不含它）"
        ),
        examples=["all", ["sf_rcb", "ccb_sf"], ["sf_rcb", "platform_service_desk"]],
    )
    period_months: int = Field(
        default=12, ge=1, le=36, description="授权期限（月），1–36，默认 12", examples=[12]
    )


class AuthorizationPublic(BaseModel):
    id: int = Field(description="授权编号")
    enterprise_id: int = Field(description="平台企业编号")
    status: AuthorizationStatus = Field(description="有效 / 已撤回 / 已过期")
    notice_version: str = Field(description="同意的风险告知书版本")
    data_categories: list[DataCategory] = Field(description="授权的数据类别")
    all_institutions: bool = Field(description="是否授权平台全部接入机构")
    institutions: list[InstitutionPublic] = Field(
        description="授权的机构；授权全部机构时为当前全部接入机构"
    )
    period_months: int = Field(description="授权期限（月）")
    channel: str = Field(description="授权时的会话渠道")
    granted_at: UtcDateTime = Field(description="授权时间")
    expires_at: UtcDateTime = Field(description="到期时间")
    revoked_at: UtcDateTime | None = Field(description="撤回时间；未撤回为 null")


class AuthorizationList(BaseModel):
    items: list[AuthorizationPublic] = Field(
        description="该企业的全部授权（含已撤回、已过期），新的在前"
    )


class InstitutionViewPublic(BaseModel):
    registration: RegistrationPublic = Field(description="登记信息（公开）")
    registered_on_platform: bool = Field(description="企业是否已在平台实名注册")
    public: list[CategoryRecords] = Field(
        description="公开信用信息，按类别（含 0 条的类别）；已过公示期的记录不再提供"
    )
    authorized_categories: list[DataCategory] = Field(
        description="有效授权覆盖本机构的非公开数据类别；无授权时为空"
    )
    withheld_categories: list[DataCategory] = Field(
        description="未获授权、不予提供的非公开数据类别"
    )
    non_public: list[CategoryRecords] = Field(
        description="经授权提供的非公开信用信息，按类别；无授权时为空"
    )
    authorization_expires_at: UtcDateTime | None = Field(
        description="覆盖本机构的有效授权中最晚的到期时间；无授权时为 null"
    )
