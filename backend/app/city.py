"""The city is configuration, not code: one YAML file names the city, its platform, hotline,
holiday-calendar year, institutions and credit products (see config/city.demo.yml)."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app.enums import (
    SERVICE_DESK_CODE,
    EnterpriseScale,
    EnterpriseTag,
    EvaluationGrade,
    GuaranteeType,
    TaxCreditGrade,
)

_CODE = r"^[a-z][a-z0-9_]{1,31}$"


class _Strict(BaseModel):
    # A typo in the city file should stop the start-up, not silently drop a rule.
    model_config = ConfigDict(extra="forbid", frozen=True)


class EligibilityRules(_Strict):
    """准入条件. Omitted rules do not restrict; all given rules must hold."""

    min_years_in_business: int | None = Field(default=None, ge=0, description="最低成立年限")
    industries: list[str] | None = Field(default=None, description="限定行业门类；不填为不限")
    sizes: list[EnterpriseScale] | None = Field(default=None, description="限定企业规模")
    allow_individual_business: bool = Field(default=True, description="个体工商户可否申请")
    min_tax_credit_grade: TaxCreditGrade | None = Field(
        default=None, description="最低纳税信用等级"
    )
    min_evaluation_grade: EvaluationGrade | None = Field(
        default=None, description="最低基础性信用评价等级"
    )
    white_list_only: bool = Field(default=False, description="仅限白名单企业")
    tags_any: list[EnterpriseTag] = Field(
        default_factory=list, description="须具备其中至少一项认定标签"
    )


class InstitutionConfig(_Strict):
    code: str = Field(pattern=_CODE)
    name: str = Field(min_length=2, max_length=100)
    kind: str = Field(default="银行", max_length=20)


class ProductConfig(_Strict):
    code: str = Field(pattern=_CODE)
    name: str = Field(min_length=2, max_length=50)
    institution: str = Field(description="机构代码（institutions[].code）")
    amount_min: int = Field(ge=0, description="万元")
    amount_max: int = Field(gt=0, description="万元")
    rate_min: Decimal = Field(ge=0, le=36, description="年化利率 %")
    rate_max: Decimal = Field(ge=0, le=36, description="年化利率 %")
    term_months_min: int = Field(ge=1)
    term_months_max: int = Field(ge=1)
    guarantee_type: GuaranteeType
    description: str = ""
    eligibility: EligibilityRules = Field(default_factory=EligibilityRules)

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        if self.amount_min > self.amount_max:
            raise ValueError(f"{self.name}：amount_min 大于 amount_max")
        if self.rate_min > self.rate_max:
            raise ValueError(f"{self.name}：rate_min 大于 rate_max")
        if self.term_months_min > self.term_months_max:
            raise ValueError(f"{self.name}：term_months_min 大于 term_months_max")
        return self


class CityConfig(_Strict):
    city_name: str = Field(min_length=2)
    platform_name: str = Field(min_length=2)
    hotline: str = Field(min_length=3)
    holiday_calendar_year: int = Field(ge=2004, le=2100, description="法定节假日与调休日历年份")
    institutions: list[InstitutionConfig] = Field(min_length=1)
    products: list[ProductConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> Self:
        codes = [i.code for i in self.institutions]
        for label, values in (
            ("机构代码", codes),
            ("机构名称", [i.name for i in self.institutions]),
            ("产品代码", [p.code for p in self.products]),
            ("产品名称", [p.name for p in self.products]),
        ):
            duplicates = {v for v in values if values.count(v) > 1}
            if duplicates:
                raise ValueError(f"{label}重复：{'、'.join(sorted(duplicates))}")
        if SERVICE_DESK_CODE in codes:
            raise ValueError(f"机构代码 {SERVICE_DESK_CODE} 保留给平台服务台，请换一个代码")
        unknown = {p.institution for p in self.products} - set(codes)
        if unknown:
            raise ValueError(f"产品引用了未定义的机构：{'、'.join(sorted(unknown))}")
        return self

    def institution(self, code: str) -> InstitutionConfig:
        return next(i for i in self.institutions if i.code == code)


class CityConfigError(RuntimeError):
    pass


def load_city(path: Path) -> CityConfig:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CityConfigError(f"无法读取城市配置文件 {path}：{exc}") from exc
    except yaml.YAMLError as exc:
        raise CityConfigError(f"城市配置文件 {path} 不是有效的 YAML：{exc}") from exc
    try:
        return CityConfig.model_validate(raw)
    except ValidationError as exc:
        raise CityConfigError(f"城市配置文件 {path} 有误：\n{exc}") from exc


@lru_cache
def load_city_cached(path: Path) -> CityConfig:
    return load_city(path)
