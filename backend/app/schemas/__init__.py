"""API shapes. `XCreate` is what a caller sends, `XPublic` what it gets back.

This module holds the shapes shared across areas; each area adds its own module beside it
(app/schemas/<area>.py)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from app.enums import BindingRole, CreditCategory, EvaluationGrade

CHANNEL_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"


class ErrorPublic(BaseModel):
    code: str = Field(description="机器可读的错误代码，如 uscc_invalid、not_bound")
    message: str = Field(description="可直接展示给用户的中文说明")
    fields: list[str] | None = Field(
        default=None, description="与错误有关的请求字段（如不一致的字段），没有则省略"
    )


class HealthPublic(BaseModel):
    status: str = Field(description="ok 表示服务与数据库均可用")


class InstitutionBrief(BaseModel):
    id: int = Field(description="机构编号")
    name: str = Field(description="机构名称")


class ProductBrief(BaseModel):
    id: int = Field(description="产品编号")
    name: str = Field(description="产品名称")
    institution: str = Field(description="所属机构名称")


class CityPublic(BaseModel):
    city_name: str = Field(description="城市名称")
    platform_name: str = Field(description="融资信用服务平台名称")
    hotline: str = Field(description="服务热线")
    institutions: list[InstitutionBrief] = Field(description="接入机构")
    products: list[ProductBrief] = Field(description="在售信贷产品")


class EnterprisePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="平台企业编号")
    name: str = Field(description="企业名称")
    uscc: str = Field(description="统一社会信用代码")
    is_individual_business: bool = Field(description="是否个体工商户（代码以 92 开头）")


class BoundEnterprisePublic(EnterprisePublic):
    role: BindingRole = Field(description="该用户在企业中的身份")


class BoundEnterpriseList(BaseModel):
    items: list[BoundEnterprisePublic] = Field(description="该用户已绑定的企业，按绑定时间排列")


class EvaluationPublic(BaseModel):
    grade: EvaluationGrade = Field(description="基础性信用评价等级 A/B/C/D")
    reasons: list[str] = Field(description="评价依据")
    evaluated_on: date = Field(description="评价日期")


class CategoryCount(BaseModel):
    category: CreditCategory = Field(description="信息类别")
    count: int = Field(ge=0, description="记录条数")


class CreditSummaryPublic(BaseModel):
    enterprise: EnterprisePublic
    evaluation: EvaluationPublic | None = Field(
        description="最新的基础性信用评价；尚未评价时为 null"
    )
    white_list: bool = Field(description="是否列入融资白名单")
    counts: list[CategoryCount] = Field(description="各类信用信息条数，包含 0 条的类别")
