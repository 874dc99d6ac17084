"""产品匹配: which of the city's credit products an enterprise qualifies for, ranked against the
need it states (amount, term, purpose), each with the reasons it fits — or every reason it does not.

The rules are the product's `EligibilityRules` (app.city) plus the stated amount and term, which
must fall inside the product's ranges. The facts come from the registry entity (established_on,
industry, scale, tags, white list), the latest 基础性信用评价 and the latest 纳税信用等级 record.
Reading the tax grade is a read of non-public data, so the match is written to the audit log.

Ranking, best first, among the products the enterprise qualifies for:
1. fit to the stated purpose (how many of the purpose's themes the product serves);
2. the guarantee it needs: 信用 (no collateral) before 担保 before 抵押;
3. the lower starting rate, then the lower top rate;
4. the catalogue order (product id).
Products it does not qualify for follow, fewest unmet conditions first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.city import EligibilityRules
from app.enums import CreditCategory, EvaluationGrade, GuaranteeType, TaxCreditGrade
from app.models import CreditEvaluation, CreditRecord, Enterprise, Product, RegistryEntity
from app.services.audit import Actor, record_access

G = TypeVar("G", TaxCreditGrade, EvaluationGrade)

GUARANTEE_ORDER = {
    GuaranteeType.CREDIT.value: 0,
    GuaranteeType.GUARANTEE.value: 1,
    GuaranteeType.COLLATERAL.value: 2,
}


@dataclass(frozen=True)
class PurposeTheme:
    """A kind of use of a loan: the words a borrower uses for it, and how a product shows that it
    serves it (one of its required tags, or words in its name or description). Products stay
    configuration: a new city's products are matched by what their descriptions say."""

    name: str
    need_words: tuple[str, ...]
    product_tags: frozenset[str] = frozenset()
    product_words: tuple[str, ...] = ()


PURPOSE_THEMES: tuple[PurposeTheme, ...] = (
    PurposeTheme(
        "政府采购合同履约",
        ("政府采购", "政采", "采购合同", "中标", "履约", "供货合同"),
        frozenset({"政府采购中标"}),
        ("政府采购",),
    ),
    PurposeTheme(
        "科技研发与创新",
        ("研发", "科研", "科技", "创新", "专利", "新产品", "成果转化", "技术开发"),
        frozenset({"高新技术企业", "科技型中小企业"}),
        ("科技",),
    ),
    PurposeTheme(
        "智能化改造与数字化转型",
        ("数字化", "智能化", "智改数转", "信息化", "自动化", "技改", "技术改造", "生产线"),
        frozenset({"智改数转"}),
        ("数字化", "智能化"),
    ),
    PurposeTheme(
        "绿色低碳",
        ("绿色", "节能", "降碳", "低碳", "减排", "环保", "清洁生产", "光伏", "新能源", "治污"),
        frozenset({"绿色"}),
        ("绿色", "节能", "降碳"),
    ),
    PurposeTheme(
        "日常经营周转",
        ("周转", "流动资金", "进货", "备货", "原材料", "工资", "房租", "货款", "日常经营"),
        frozenset(),
        ("随借随还", "周转", "流动资金"),
    ),
    PurposeTheme(
        "扩大生产",
        ("扩产", "扩大生产", "扩建", "新建", "厂房", "购置设备", "买设备", "设备采购"),
        frozenset(),
        ("成长型", "厂房"),
    ),
)


@dataclass(frozen=True)
class Need:
    """What the enterprise says it needs. Omitted parts do not restrict."""

    amount: Decimal | None = None  # 万元
    term_months: int | None = None
    purpose: str | None = None


@dataclass(frozen=True)
class EnterpriseFacts:
    established_on: date
    industry: str
    scale: str | None
    is_individual_business: bool
    tags: tuple[str, ...]
    white_listed: bool
    tax_credit_grade: TaxCreditGrade | None
    evaluation_grade: EvaluationGrade | None

    def years_in_business(self, today: date) -> int:
        """Full years since establishment on `today` (a company set up on 12 April 2016 has been in
        business 10 full years on 12 April 2026, 9 the day before)."""
        years = today.year - self.established_on.year
        if (today.month, today.day) < (self.established_on.month, self.established_on.day):
            years -= 1
        return max(years, 0)


@dataclass
class ProductMatch:
    product: Product
    reasons: list[str] = field(default_factory=list)
    unmet: list[str] = field(default_factory=list)
    purpose_themes: list[str] = field(default_factory=list)
    rank: int | None = None

    @property
    def eligible(self) -> bool:
        return not self.unmet

    def sort_key(self) -> tuple[int, int, int, Decimal, Decimal, int]:
        p = self.product
        return (
            len(self.unmet),
            -len(self.purpose_themes),
            GUARANTEE_ORDER.get(p.guarantee_type, len(GUARANTEE_ORDER)),
            p.rate_min,
            p.rate_max,
            p.id,
        )


@dataclass(frozen=True)
class MatchResult:
    enterprise: Enterprise
    facts: EnterpriseFacts
    need: Need
    purpose_themes: list[str]
    years_in_business: int
    eligible: list[ProductMatch]
    ineligible: list[ProductMatch]


# ---------------------------------------------------------------------------- reading the facts
def _latest_tax_grade_value(registry_entity_id: Any) -> Any:
    return (
        select(CreditRecord.value)
        .where(
            CreditRecord.registry_entity_id == registry_entity_id,
            CreditRecord.category == CreditCategory.TAX_CREDIT_GRADE.value,
            CreditRecord.value.is_not(None),
        )
        .order_by(CreditRecord.decided_on.desc(), CreditRecord.id.desc())
        .limit(1)
    )


def _grade(enum: type[G], value: str | None) -> G | None:
    try:
        return None if value is None else enum(value)
    except ValueError:  # a value the rules do not know counts as no grade on file
        return None


def latest_tax_credit_grade(session: Session, registry_entity_id: int) -> TaxCreditGrade | None:
    return _grade(TaxCreditGrade, session.scalar(_latest_tax_grade_value(registry_entity_id)))


def enterprise_facts(session: Session, enterprise: Enterprise) -> EnterpriseFacts:
    """The registry facts, the latest evaluation grade and the latest tax credit grade, in one
    round trip (both "latest" lookups are index scans on the entity)."""
    evaluation = (
        select(CreditEvaluation.grade)
        .where(CreditEvaluation.registry_entity_id == RegistryEntity.id)
        .order_by(CreditEvaluation.evaluated_on.desc(), CreditEvaluation.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    tax = _latest_tax_grade_value(RegistryEntity.id).scalar_subquery()
    row = session.execute(
        select(
            RegistryEntity.established_on,
            RegistryEntity.industry,
            RegistryEntity.scale,
            RegistryEntity.uscc,
            RegistryEntity.tags,
            RegistryEntity.white_listed,
            evaluation,
            tax,
        ).where(RegistryEntity.id == enterprise.registry_entity_id)
    ).one()
    established_on, industry, scale, uscc, tags, white_listed, evaluation_grade, tax_grade = row
    return EnterpriseFacts(
        established_on=established_on,
        industry=industry,
        scale=scale,
        is_individual_business=uscc.startswith("92"),
        tags=tuple(tags or ()),
        white_listed=white_listed,
        tax_credit_grade=_grade(TaxCreditGrade, tax_grade),
        evaluation_grade=_grade(EvaluationGrade, evaluation_grade),
    )


def list_products(session: Session) -> list[Product]:
    """The active catalogue with institutions, in catalogue order."""
    stmt = (
        select(Product)
        .options(joinedload(Product.institution))
        .where(Product.active.is_(True))
        .order_by(Product.id)
    )
    return list(session.scalars(stmt))


# ---------------------------------------------------------------------------- the rules
def amount_text(value: Decimal | int) -> str:
    """50 → "50", 12.50 → "12.5" (万元 as people say them)."""
    return format(Decimal(value).normalize(), "f")


@lru_cache(maxsize=256)
def _rules_from_json(eligibility: str) -> EligibilityRules:
    return EligibilityRules.model_validate_json(eligibility)


def product_rules(product: Product) -> EligibilityRules:
    """The product's rules, parsed once per distinct rule set (they are the same on every
    request; parsing them per request was a measurable share of a match)."""
    return _rules_from_json(json.dumps(product.eligibility or {}, sort_keys=True))


# Best first, per scale (`TaxCreditGrade.rank` walks the enum on every call). Kept apart because
# the two scales share letters and StrEnum members equal to the same string hash alike.
_RANK: dict[type, dict[str, int]] = {
    enum: {g.value: i for i, g in enumerate(enum)} for enum in (TaxCreditGrade, EvaluationGrade)
}


def _range(low: int, high: int) -> str:
    return f"{low}–{high}" if low != high else f"{low}"


def rules_text(rules: EligibilityRules) -> list[str]:
    """The product's conditions in plain Chinese, for the catalogue."""
    lines: list[str] = []
    if rules.min_years_in_business:
        lines.append(f"成立满 {rules.min_years_in_business} 年")
    if rules.industries:
        lines.append(f"限{'、'.join(rules.industries)}")
    if rules.sizes:
        lines.append(f"限{'、'.join(s.value for s in rules.sizes)}企业")
    if not rules.allow_individual_business:
        lines.append("不面向个体工商户")
    if rules.min_tax_credit_grade:
        lines.append(f"纳税信用等级 {rules.min_tax_credit_grade.value} 级及以上")
    if rules.min_evaluation_grade:
        lines.append(f"基础性信用评价 {rules.min_evaluation_grade.value} 级及以上")
    if rules.white_list_only:
        lines.append("仅限融资白名单企业")
    if rules.tags_any:
        lines.append(f"须具备以下认定之一：{'、'.join(t.value for t in rules.tags_any)}")
    return lines


def purpose_themes(purpose: str | None) -> list[PurposeTheme]:
    if not purpose:
        return []
    return [t for t in PURPOSE_THEMES if any(word in purpose for word in t.need_words)]


def _serves(product: Product, rules: EligibilityRules, theme: PurposeTheme) -> bool:
    tags = {t.value for t in rules.tags_any}
    text = f"{product.name}{product.description}"
    return bool(tags & theme.product_tags) or any(w in text for w in theme.product_words)


def _grade_check(
    label: str,
    actual: TaxCreditGrade | EvaluationGrade | None,
    required: TaxCreditGrade | EvaluationGrade,
    missing: str,
) -> tuple[bool, str]:
    if actual is None:
        return False, f"{missing}（要求 {required.value} 级及以上）"
    ranks = _RANK[type(required)]
    if ranks[actual.value] < ranks[required.value]:
        return True, f"您的{label} {actual.value} 高于要求的 {required.value}"
    if ranks[actual.value] == ranks[required.value]:
        return True, f"您的{label} {actual.value} 达到要求的 {required.value}"
    return False, f"{label}须 {required.value} 级及以上，您目前为 {actual.value} 级"


def evaluate_product(
    product: Product, facts: EnterpriseFacts, need: Need, today: date
) -> ProductMatch:
    """Every rule of the product against the facts and the need: what holds goes to `reasons`,
    what fails to `unmet` (all of them, so the user sees the whole gap at once)."""
    rules = product_rules(product)
    match = ProductMatch(product)
    ok, bad = match.reasons.append, match.unmet.append

    # The need first: it is what the user asked about.
    span = f"{_range(product.amount_min, product.amount_max)} 万元"
    if need.amount is not None:
        wanted = amount_text(need.amount)
        if need.amount > product.amount_max:
            bad(f"最高额度 {product.amount_max} 万元，低于您需要的 {wanted} 万元")
        elif need.amount < product.amount_min:
            bad(f"起贷额度 {product.amount_min} 万元，高于您需要的 {wanted} 万元")
        else:
            ok(f"额度 {span}覆盖您需要的 {wanted} 万元")
    terms = f"{_range(product.term_months_min, product.term_months_max)} 个月"
    if need.term_months is not None:
        if not product.term_months_min <= need.term_months <= product.term_months_max:
            bad(f"贷款期限为 {terms}，不支持您需要的 {need.term_months} 个月")
        else:
            ok(f"期限 {terms}可满足您需要的 {need.term_months} 个月")
    if product.guarantee_type == GuaranteeType.CREDIT.value:
        ok("纯信用，无需抵押")

    for theme in purpose_themes(need.purpose):
        if _serves(product, rules, theme):
            match.purpose_themes.append(theme.name)
    if match.purpose_themes:
        ok(f"贷款用途符合本产品支持的方向：{'、'.join(match.purpose_themes)}")

    # Then the product's eligibility rules.
    years = facts.years_in_business(today)
    if rules.min_years_in_business:
        required = rules.min_years_in_business
        if years >= required:
            ok(f"成立已满 {years} 年，符合成立满 {required} 年的要求")
        else:
            actual = f"目前成立 {years} 年" if years else "目前成立不满 1 年"
            bad(f"须成立满 {required} 年，您的企业{actual}")

    if rules.industries:
        if facts.industry in rules.industries:
            ok(f"所属行业“{facts.industry}”在支持范围内")
        else:
            bad(f"仅面向{'、'.join(rules.industries)}，您的企业属于“{facts.industry}”")

    if rules.sizes:
        allowed = "、".join(s.value for s in rules.sizes)
        if facts.scale is None:
            bad(f"仅面向{allowed}企业，平台暂无您的企业规模信息")
        elif facts.scale in {s.value for s in rules.sizes}:
            ok(f"企业规模“{facts.scale}”符合要求")
        else:
            bad(f"仅面向{allowed}企业，您的企业规模为“{facts.scale}”")

    if facts.is_individual_business:
        if rules.allow_individual_business:
            ok("个体工商户可以申请")
        else:
            bad("本产品不面向个体工商户")

    if rules.min_tax_credit_grade:
        passed, text = _grade_check(
            "纳税信用等级",
            facts.tax_credit_grade,
            rules.min_tax_credit_grade,
            "平台暂无您的纳税信用等级记录",
        )
        (ok if passed else bad)(text)

    if rules.min_evaluation_grade:
        passed, text = _grade_check(
            "基础性信用评价等级",
            facts.evaluation_grade,
            rules.min_evaluation_grade,
            "平台暂无您的基础性信用评价",
        )
        (ok if passed else bad)(text)

    if rules.white_list_only:
        if facts.white_listed:
            ok("您已列入融资白名单（本产品仅限白名单企业）")
        else:
            bad("仅限融资白名单企业，您的企业尚未列入白名单")

    if rules.tags_any:
        wanted_tags = [t.value for t in rules.tags_any]
        held = [t for t in wanted_tags if t in facts.tags]
        if held:
            ok(f"具备“{'、'.join(held)}”认定，符合产品定位")
        else:
            bad(f"须具备以下认定之一：{'、'.join(wanted_tags)}；平台上您的企业暂无这些认定")

    return match


def rank_products(
    products: list[Product], facts: EnterpriseFacts, need: Need, today: date
) -> tuple[list[ProductMatch], list[ProductMatch]]:
    matches = sorted(
        (evaluate_product(p, facts, need, today) for p in products),
        key=ProductMatch.sort_key,
    )
    eligible = [m for m in matches if m.eligible]
    for rank, match in enumerate(eligible, start=1):
        match.rank = rank
    return eligible, [m for m in matches if not m.eligible]


def match_products(
    session: Session, enterprise: Enterprise, need: Need, *, today: date, actor: Actor
) -> MatchResult:
    """Match the catalogue for a bound enterprise. Records the read of its tax credit grade
    (non-public) in the audit log and commits it."""
    facts = enterprise_facts(session, enterprise)
    eligible, ineligible = rank_products(list_products(session), facts, need, today)
    record_access(
        session,
        actor,
        action="read_non_public",
        subject_type="enterprise",
        subject_id=enterprise.id,
        purpose="产品匹配",
        details={"categories": [CreditCategory.TAX_CREDIT_GRADE.value]},
    )
    session.commit()
    return MatchResult(
        enterprise=enterprise,
        facts=facts,
        need=need,
        purpose_themes=[t.name for t in purpose_themes(need.purpose)],
        years_in_business=facts.years_in_business(today),
        eligible=eligible,
        ineligible=ineligible,
    )
