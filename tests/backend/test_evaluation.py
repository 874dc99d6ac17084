from __future__ import annotations

from datetime import date, timedelta

from app.enums import CreditCategory, EvaluationGrade
from app.services.evaluation import RecordFact, evaluate

AS_OF = date(2026, 6, 30)


def test_clean_established_company_is_a_or_b_with_reasons() -> None:
    result = evaluate(
        date(2010, 1, 1),
        [RecordFact(CreditCategory.TAX_CREDIT_GRADE, date(2026, 4, 30), value="A")],
        AS_OF,
    )
    assert result.grade is EvaluationGrade.A
    assert any("纳税信用等级为A级" in r for r in result.reasons)
    assert any("无公示期内" in r for r in result.reasons)


def test_serious_dishonesty_forces_d() -> None:
    decided = AS_OF - timedelta(days=30)
    result = evaluate(
        date(2010, 1, 1),
        [
            RecordFact(CreditCategory.TAX_CREDIT_GRADE, date(2026, 4, 30), value="A"),
            RecordFact(CreditCategory.SERIOUS_DISHONESTY, decided, decided + timedelta(days=1000)),
        ],
        AS_OF,
    )
    assert result.grade is EvaluationGrade.D
    assert result.reasons[0] == "被列入严重失信主体名单"


def test_penalty_after_publicity_no_longer_counts() -> None:
    old = AS_OF - timedelta(days=800)
    expired = RecordFact(CreditCategory.ADMINISTRATIVE_PENALTY, old, old + timedelta(days=365))
    current = RecordFact(CreditCategory.ADMINISTRATIVE_PENALTY, AS_OF, AS_OF + timedelta(days=365))
    assert (
        evaluate(date(2010, 1, 1), [expired], AS_OF).score
        > evaluate(date(2010, 1, 1), [current], AS_OF).score
    )
