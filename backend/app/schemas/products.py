"""Shapes of the product catalogue and of product matching."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.enums import EnterpriseScale, EnterpriseTag, EvaluationGrade, GuaranteeType, TaxCreditGrade
from app.schemas import EnterprisePublic, InstitutionBrief


class EligibilityPublic(BaseModel):
    """准入条件；为 null 或空列表的条目不作限制。"""

    min_years_in_business: int | None = Field(description="最低成立年限（年）")
    industries: list[str] | None = Field(description="限定行业门类；null 为不限")
    sizes: list[EnterpriseScale] | None = Field(description="限定企业规模；null 为不限")
    allow_individual_business: bool = Field(description="个体工商户可否申请")
    min_tax_credit_grade: TaxCreditGrade | None = Field(description="最低纳税信用等级")
    min_evaluation_grade: EvaluationGrade | None = Field(description="最低基础性信用评价等级")
    white_list_only: bool = Field(description="是否仅限融资白名单企业")
    tags_any: list[EnterpriseTag] = Field(description="须具备其中至少一项认定；空列表为不限")
    summary: list[str] = Field(description="以上条件的中文说明，逐条列出")


class ProductPublic(BaseModel):
    id: int = Field(description="产品编号")
    code: str = Field(description="产品代码（城市配置中的稳定代码）")
    name: str = Field(description="产品名称")
    institution: InstitutionBrief = Field(description="提供产品的机构")
    amount_min: int = Field(description="最低额度（万元）")
    amount_max: int = Field(description="最高额度（万元）")
    rate_min: float = Field(description="最低年化利率（%）")
    rate_max: float = Field(description="最高年化利率（%）")
    term_months_min: int = Field(description="最短期限（月）")
    term_months_max: int = Field(description="最长期限（月）")
    guarantee_type: GuaranteeType = Field(description="担保方式：信用 / 担保 / 抵押")
    description: str = Field(description="产品介绍")
    eligibility: EligibilityPublic = Field(description="准入条件")


class ProductList(BaseModel):
    items: list[ProductPublic] = Field(description="在售信贷产品，按产品编号排列")


class ProductMatchCreate(BaseModel):
    """融资需求；都可不填，不填的条目不参与筛选。"""

    model_config = ConfigDict(str_strip_whitespace=True)

    amount: Decimal | None = Field(
        default=None,
        gt=0,
        le=100_000,
        max_digits=10,
        decimal_places=2,
        description="需要的贷款金额（万元），如 50 表示 50 万元",
        examples=[50],
    )
    term_months: int | None = Field(
        default=None, ge=1, le=360, description="需要的贷款期限（月）", examples=[12]
    )
    purpose: str | None = Field(
        default=None,
        max_length=200,
        description="贷款用途（自由文字），如“购买原材料、流动资金周转”",
        examples=["履行政府采购合同"],
    )

    @field_validator("purpose")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None


class NeedPublic(BaseModel):
    amount: float | None = Field(description="需要的贷款金额（万元）；未说明为 null")
    term_months: int | None = Field(description="需要的贷款期限（月）；未说明为 null")
    purpose: str | None = Field(description="贷款用途；未说明为 null")
    purpose_themes: list[str] = Field(description="从用途中识别出的方向，如“政府采购合同履约”")


class EnterpriseFactsPublic(BaseModel):
    years_in_business: int = Field(description="成立满几年（按整年计）")
    industry: str = Field(description="国民经济行业门类")
    scale: EnterpriseScale | None = Field(description="企业规模；平台未掌握为 null")
    is_individual_business: bool = Field(description="是否个体工商户")
    tags: list[str] = Field(description="认定标签，如专精特新、绿色、政府采购中标")
    white_list: bool = Field(description="是否列入融资白名单")
    tax_credit_grade: TaxCreditGrade | None = Field(
        description="最近一期纳税信用等级；平台暂无记录为 null"
    )
    evaluation_grade: EvaluationGrade | None = Field(
        description="最新基础性信用评价等级；尚未评价为 null"
    )


class EligibleProductPublic(BaseModel):
    rank: int = Field(ge=1, description="推荐顺位，1 为最适合")
    product: ProductPublic = Field(description="产品")
    reasons: list[str] = Field(description="适合的理由（中文，可直接展示）")


class IneligibleProductPublic(BaseModel):
    product: ProductPublic = Field(description="产品")
    unmet: list[str] = Field(description="不符合的每一项条件（中文，可直接展示）")
    reasons: list[str] = Field(description="已经符合的条件")


class ProductMatchesPublic(BaseModel):
    enterprise: EnterprisePublic = Field(description="匹配的企业")
    need: NeedPublic = Field(description="本次匹配所依据的融资需求")
    facts: EnterpriseFactsPublic = Field(description="匹配所依据的企业情况")
    eligible: list[EligibleProductPublic] = Field(
        description="符合条件的产品，按与需求的匹配程度排序"
    )
    ineligible: list[IneligibleProductPublic] = Field(
        description="暂不符合条件的产品，未满足条件少的在前"
    )
