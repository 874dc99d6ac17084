"""基础性信用评价: a transparent points model over the platform's records.

Every adjustment produces a reason, because the self-check must show the grade *with the reasons
behind it*. This is the first, deliberately simple rule set; a later one replaces it by bumping
MODEL_VERSION so stored evaluations say which rules produced them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from app.enums import CreditCategory, EvaluationGrade, TaxCreditGrade

MODEL_VERSION = "basic-v1"
BASE_SCORE = 75

_TAX_POINTS = {
    TaxCreditGrade.A: 10,
    TaxCreditGrade.B: 5,
    TaxCreditGrade.M: 0,
    TaxCreditGrade.C: -10,
    TaxCreditGrade.D: -25,
}
_ARREARS = (
    CreditCategory.SOCIAL_INSURANCE_ARREARS,
    CreditCategory.HOUSING_FUND_ARREARS,
    CreditCategory.UTILITY_ARREARS,
)


@dataclass(frozen=True)
class RecordFact:
    category: CreditCategory
    decided_on: date
    publicity_end_on: date | None = None
    value: str | None = None

    def in_publicity(self, as_of: date) -> bool:
        return self.publicity_end_on is None or self.publicity_end_on >= as_of


@dataclass(frozen=True)
class EvaluationResult:
    grade: EvaluationGrade
    score: int
    reasons: list[str]


def _grade_for(score: int) -> EvaluationGrade:
    if score >= 88:
        return EvaluationGrade.A
    if score >= 72:
        return EvaluationGrade.B
    if score >= 60:
        return EvaluationGrade.C
    return EvaluationGrade.D


def evaluate(established_on: date, records: Iterable[RecordFact], as_of: date) -> EvaluationResult:
    records = list(records)
    active = Counter(r.category for r in records if r.in_publicity(as_of))
    every = Counter(r.category for r in records)
    score = BASE_SCORE
    reasons: list[str] = []

    years = (as_of - established_on).days // 365
    if years >= 5:
        score += 5
        reasons.append(f"成立{years}年，经营时间较长")
    elif years < 1:
        score -= 5
        reasons.append("成立不满1年，经营记录较少")

    tax = [r for r in records if r.category is CreditCategory.TAX_CREDIT_GRADE and r.value]
    if tax:
        latest = max(tax, key=lambda r: r.decided_on)
        grade = TaxCreditGrade(latest.value)
        score += _TAX_POINTS[grade]
        reasons.append(f"最近一期纳税信用等级为{grade.value}级")

    if n := active[CreditCategory.ADMINISTRATIVE_PENALTY]:
        score -= min(10 * n, 30)
        reasons.append(f"公示期内行政处罚{n}条")
    if n := active[CreditCategory.JUDICIAL]:
        score -= min(10 * n, 20)
        reasons.append(f"司法判决及执行记录{n}条")
    for category in _ARREARS:
        if n := every[category]:
            score -= min(5 * n, 15)
            reasons.append(f"{category.value}记录{n}条")
    if n := every[CreditCategory.HONOR]:
        score += min(3 * n, 9)
        reasons.append(f"获得荣誉表彰{n}项")
    innovation = every[CreditCategory.INTELLECTUAL_PROPERTY] + every[CreditCategory.RESEARCH]
    if innovation:
        score += min(2 * innovation, 6)
        reasons.append(f"知识产权与科技研发信息{innovation}条")

    negatives = (
        active[CreditCategory.ADMINISTRATIVE_PENALTY]
        + active[CreditCategory.JUDICIAL]
        + active[CreditCategory.SERIOUS_DISHONESTY]
        + sum(every[c] for c in _ARREARS)
    )
    if not negatives:
        reasons.append("无公示期内的行政处罚、失信、欠缴等不良记录")

    score = max(0, min(100, score))
    grade = _grade_for(score)
    if active[CreditCategory.SERIOUS_DISHONESTY]:
        # Being on the serious-dishonesty list caps the grade whatever else is on file.
        score = min(score, 40)
        grade = EvaluationGrade.D
        reasons.insert(0, "被列入严重失信主体名单")
    return EvaluationResult(grade, score, reasons)
