"""产品匹配: the catalogue, and the products each demo enterprise qualifies for, ranked for its
stated need with the reasons each fits — or every reason it does not."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from conftest import AS_OF
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.deps import get_now
from app.api.routes.products import today_in_china
from app.enums import CreditCategory, DataClass, EvaluationGrade, TaxCreditGrade
from app.models import AuditEntry, CreditRecord, Enterprise, Product, RegistryEntity
from app.seed import DemoEnterprise
from app.services.matching import EnterpriseFacts, Need, enterprise_facts, rank_products

BindFn = Callable[..., httpx.Response]
MatchFn = Callable[..., httpx.Response]

CATALOGUE = ["常信贷", "创新贷", "政采贷", "宁创贷", "数字贷", "成长贷", "苏碳融"]


@pytest.fixture
def today(app: FastAPI) -> Iterator[Callable[[date], None]]:
    """The route's `today`, fixed to AS_OF unless a test sets another day."""

    def set_today(day: date) -> None:
        async def fixed() -> date:
            return day

        app.dependency_overrides[today_in_china] = fixed

    set_today(AS_OF)
    yield set_today
    app.dependency_overrides.pop(today_in_china, None)


@pytest.fixture
def match(client: TestClient, bind: BindFn, demo_city, today) -> MatchFn:
    """Bind a chat user to a demo enterprise and ask for product matches."""

    def _match(demo: DemoEnterprise, body: dict[str, Any] | None = None) -> httpx.Response:
        user_id = f"oMatch{demo.uscc[-6:]}"
        enterprise_id = bind(demo, user_id=user_id).json()["enterprise"]["id"]
        return client.post(
            f"/api/v1/enterprises/{enterprise_id}/product-matches",
            json=body if body is not None else {},
            headers={"X-Chat-Channel": "wechat", "X-Chat-User-Id": user_id},
        )

    return _match


def _ranked(body: dict[str, Any]) -> list[str]:
    assert [m["rank"] for m in body["eligible"]] == list(range(1, len(body["eligible"]) + 1))
    return [m["product"]["name"] for m in body["eligible"]]


def _by_name(body: dict[str, Any], key: str) -> dict[str, dict[str, Any]]:
    return {m["product"]["name"]: m for m in body[key]}


# ---------------------------------------------------------------------------- the catalogue
def test_catalogue_lists_every_product_with_its_rules(client: TestClient, demo_city) -> None:
    response = client.get("/api/v1/products")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [p["name"] for p in items] == CATALOGUE

    changxin = items[0]
    assert changxin["code"] == "changxindai"
    assert changxin["institution"]["name"] == "示范市农村商业银行"
    assert (changxin["amount_min"], changxin["amount_max"]) == (10, 300)
    assert (changxin["rate_min"], changxin["rate_max"]) == (3.45, 4.35)
    assert (changxin["term_months_min"], changxin["term_months_max"]) == (3, 12)
    assert changxin["guarantee_type"] == "信用"
    assert changxin["eligibility"]["min_tax_credit_grade"] == "B"
    assert changxin["eligibility"]["allow_individual_business"] is True
    assert changxin["eligibility"]["summary"] == [
        "成立满 1 年",
        "纳税信用等级 B 级及以上",
        "基础性信用评价 B 级及以上",
    ]
    growth = next(p for p in items if p["name"] == "成长贷")
    assert growth["eligibility"]["white_list_only"] is True
    assert "仅限融资白名单企业" in growth["eligibility"]["summary"]
    assert "不面向个体工商户" in growth["eligibility"]["summary"]


def test_catalogue_needs_the_service_token(anon_client: TestClient) -> None:
    assert anon_client.get("/api/v1/products").status_code == 401


# ---------------------------------------------------------------------------- the demo stories
def test_government_procurement_need_ranks_zhengcaidai_first(match: MatchFn, demo_city) -> None:
    precision = demo_city[2]
    body = match(
        precision, {"amount": 200, "term_months": 12, "purpose": "履行政府采购合同"}
    ).json()

    assert body["enterprise"]["uscc"] == precision.uscc
    assert body["need"] == {
        "amount": 200,
        "term_months": 12,
        "purpose": "履行政府采购合同",
        "purpose_themes": ["政府采购合同履约"],
    }
    assert body["facts"] == {
        "years_in_business": 14,
        "industry": "制造业",
        "scale": "中型",
        "is_individual_business": False,
        "tags": ["政府采购中标", "高新技术企业", "智改数转"],
        "white_list": True,
        "tax_credit_grade": "A",
        "evaluation_grade": "A",
    }
    # Purpose first, then credit before guarantee before collateral, then the lower rate.
    assert _ranked(body) == ["政采贷", "常信贷", "数字贷", "创新贷", "宁创贷", "成长贷"]
    first = body["eligible"][0]
    assert first["reasons"] == [
        "额度 10–500 万元覆盖您需要的 200 万元",
        "期限 3–12 个月可满足您需要的 12 个月",
        "纯信用，无需抵押",
        "贷款用途符合本产品支持的方向：政府采购合同履约",
        "您的基础性信用评价等级 A 高于要求的 C",
        "具备“政府采购中标”认定，符合产品定位",
    ]
    growth = _by_name(body, "eligible")["成长贷"]["reasons"]
    assert "您已列入融资白名单（本产品仅限白名单企业）" in growth
    assert "成立已满 14 年，符合成立满 3 年的要求" in growth
    assert "您的纳税信用等级 A 高于要求的 B" in growth

    assert [m["product"]["name"] for m in body["ineligible"]] == ["苏碳融"]
    assert body["ineligible"][0]["unmet"] == [
        "须具备以下认定之一：绿色；平台上您的企业暂无这些认定"
    ]


def test_working_capital_need_ranks_changxindai_first(match: MatchFn, demo_city) -> None:
    green = demo_city[0]
    body = match(
        green, {"amount": 50, "term_months": 12, "purpose": "买原材料，流动资金周转"}
    ).json()

    assert body["facts"]["tax_credit_grade"] == "A"
    assert body["facts"]["evaluation_grade"] == "B"
    assert body["facts"]["white_list"] is False
    assert _ranked(body) == ["常信贷", "苏碳融", "数字贷", "创新贷", "宁创贷"]
    assert body["eligible"][0]["reasons"] == [
        "额度 10–300 万元覆盖您需要的 50 万元",
        "期限 3–12 个月可满足您需要的 12 个月",
        "纯信用，无需抵押",
        "贷款用途符合本产品支持的方向：日常经营周转",
        "成立已满 10 年，符合成立满 1 年的要求",
        "您的纳税信用等级 A 高于要求的 B",
        "您的基础性信用评价等级 B 达到要求的 B",
    ]

    ineligible = _by_name(body, "ineligible")
    assert list(ineligible) == ["政采贷", "成长贷"]
    assert ineligible["政采贷"]["unmet"] == [
        "须具备以下认定之一：政府采购中标；平台上您的企业暂无这些认定"
    ]
    assert ineligible["成长贷"]["unmet"] == [
        "起贷额度 100 万元，高于您需要的 50 万元",
        "仅限融资白名单企业，您的企业尚未列入白名单",
    ]


def test_green_purpose_ranks_the_green_product_first(match: MatchFn, demo_city) -> None:
    body = match(demo_city[0], {"purpose": "节能降碳技术改造"}).json()
    assert body["need"]["purpose_themes"] == ["智能化改造与数字化转型", "绿色低碳"]
    ranked = _ranked(body)
    # 苏碳融 serves 绿色低碳 and 数字贷 serves 智改数转; one theme each, so the rate decides.
    assert ranked[:2] == ["苏碳融", "数字贷"]
    assert "贷款用途符合本产品支持的方向：绿色低碳" in body["eligible"][0]["reasons"]


def test_without_a_need_the_catalogue_is_ranked_by_terms(match: MatchFn, demo_city) -> None:
    body = match(demo_city[2]).json()
    assert body["need"] == {
        "amount": None,
        "term_months": None,
        "purpose": None,
        "purpose_themes": [],
    }
    assert _ranked(body) == ["常信贷", "政采贷", "数字贷", "创新贷", "宁创贷", "成长贷"]
    assert not any("万元覆盖" in r for m in body["eligible"] for r in m["reasons"])


def test_individual_business_sees_every_failed_rule(match: MatchFn, demo_city) -> None:
    diner = demo_city[1]
    body = match(diner, {"amount": 20, "term_months": 6, "purpose": "进货"}).json()

    assert body["facts"]["is_individual_business"] is True
    assert body["facts"]["tax_credit_grade"] == "M"
    assert body["facts"]["evaluation_grade"] == "C"
    assert body["eligible"] == []
    ineligible = _by_name(body, "ineligible")
    assert set(ineligible) == set(CATALOGUE)
    # Fewest unmet conditions first: 常信贷 is the nearest miss.
    assert body["ineligible"][0]["product"]["name"] == "常信贷"
    assert ineligible["常信贷"]["unmet"] == [
        "纳税信用等级须 B 级及以上，您目前为 M 级",
        "基础性信用评价等级须 B 级及以上，您目前为 C 级",
    ]
    assert "个体工商户可以申请" in ineligible["常信贷"]["reasons"]
    assert "额度 10–300 万元覆盖您需要的 20 万元" in ineligible["常信贷"]["reasons"]
    assert ineligible["数字贷"]["unmet"] == [
        "仅面向制造业、信息传输、软件和信息技术服务业，您的企业属于“住宿和餐饮业”",
        "本产品不面向个体工商户",
        "基础性信用评价等级须 B 级及以上，您目前为 C 级",
        "须具备以下认定之一：智改数转、专精特新；平台上您的企业暂无这些认定",
    ]
    assert ineligible["成长贷"]["unmet"] == [
        "起贷额度 100 万元，高于您需要的 20 万元",
        "贷款期限为 12–60 个月，不支持您需要的 6 个月",
        "仅面向小型、中型企业，您的企业规模为“微型”",
        "本产品不面向个体工商户",
        "纳税信用等级须 B 级及以上，您目前为 M 级",
        "仅限融资白名单企业，您的企业尚未列入白名单",
    ]


def test_amount_and_term_outside_the_ranges(match: MatchFn, demo_city) -> None:
    body = match(demo_city[0], {"amount": 500, "term_months": 48}).json()
    ineligible = _by_name(body, "ineligible")
    assert ineligible["常信贷"]["unmet"] == [
        "最高额度 300 万元，低于您需要的 500 万元",
        "贷款期限为 3–12 个月，不支持您需要的 48 个月",
    ]
    assert ineligible["创新贷"]["unmet"] == ["贷款期限为 12–36 个月，不支持您需要的 48 个月"]
    # 苏碳融 lends 50–2000 万元 for 12–60 months: the only fit.
    assert _ranked(body) == ["苏碳融"]
    assert body["eligible"][0]["reasons"][:2] == [
        "额度 50–2000 万元覆盖您需要的 500 万元",
        "期限 12–60 个月可满足您需要的 48 个月",
    ]


def test_fractional_amount_is_said_as_people_say_it(match: MatchFn, demo_city) -> None:
    body = match(demo_city[2], {"amount": 12.5}).json()
    assert body["need"]["amount"] == 12.5
    assert "额度 10–300 万元覆盖您需要的 12.5 万元" in body["eligible"][0]["reasons"]
    assert (
        "起贷额度 20 万元，高于您需要的 12.5 万元"
        in (_by_name(body, "ineligible")["数字贷"]["unmet"])
    )


def test_years_in_business_count_from_today(
    match: MatchFn, demo_city, today: Callable[[date], None]
) -> None:
    precision = demo_city[2]  # established 20 March 2012; 成长贷 needs 3 full years
    today(date(2015, 3, 19))
    body = match(precision).json()
    assert body["facts"]["years_in_business"] == 2
    assert "须成立满 3 年，您的企业目前成立 2 年" in _by_name(body, "ineligible")["成长贷"]["unmet"]

    today(date(2015, 3, 20))
    body = match(precision).json()
    assert body["facts"]["years_in_business"] == 3
    assert "成立已满 3 年，符合成立满 3 年的要求" in _by_name(body, "eligible")["成长贷"]["reasons"]


def test_today_is_the_request_clock_in_china(app: FastAPI, match: MatchFn, demo_city) -> None:
    precision = demo_city[2]  # established 20 March 2012
    app.dependency_overrides.pop(today_in_china)
    # 16:30 UTC on 19 March is already 20 March in China: three full years.
    app.dependency_overrides[get_now] = lambda: datetime(2015, 3, 19, 16, 30, tzinfo=UTC)
    try:
        body = match(precision).json()
    finally:
        app.dependency_overrides.pop(get_now)
    assert body["facts"]["years_in_business"] == 3


def test_the_latest_tax_grade_counts(match: MatchFn, demo_city, session: Session) -> None:
    precision = demo_city[2]
    entity_id = session.scalar(
        select(RegistryEntity.id).where(RegistryEntity.uscc == precision.uscc)
    )
    session.add(
        CreditRecord(
            registry_entity_id=entity_id,
            category=CreditCategory.TAX_CREDIT_GRADE.value,
            data_class=DataClass.NON_PUBLIC.value,
            title="补充评价",
            content="纳税信用等级为C级。",
            authority="国家税务总局示范市税务局",
            decided_on=AS_OF + timedelta(days=1),
            value=TaxCreditGrade.C.value,
        )
    )
    session.commit()
    body = match(precision).json()
    assert body["facts"]["tax_credit_grade"] == "C"
    unmet = _by_name(body, "ineligible")["常信贷"]["unmet"]
    assert unmet == ["纳税信用等级须 B 级及以上，您目前为 C 级"]


# ---------------------------------------------------------------------------- access and input
def test_match_is_audited_as_a_read_of_non_public_data(
    match: MatchFn, demo_city, session: Session
) -> None:
    precision = demo_city[2]
    assert match(precision).status_code == 200
    enterprise_id = session.scalar(select(Enterprise.id).where(Enterprise.uscc == precision.uscc))
    entries = session.scalars(
        select(AuditEntry).where(
            AuditEntry.subject_type == "enterprise", AuditEntry.subject_id == str(enterprise_id)
        )
    ).all()
    assert [(e.actor_id, e.action, e.purpose) for e in entries] == [
        (f"wechat:oMatch{precision.uscc[-6:]}", "read_non_public", "产品匹配")
    ]
    assert entries[0].details == {"categories": ["纳税信用等级"]}


def test_foreign_and_unknown_enterprises_answer_the_same(
    client: TestClient, bind: BindFn, demo_city, today
) -> None:
    green, diner, _ = demo_city
    green_id = bind(green, user_id="oGreen").json()["enterprise"]["id"]
    bind(diner, user_id="oDiner")

    answers = []
    for enterprise_id, user_id in ((green_id, "oDiner"), (999_999, "oDiner"), (green_id, "oNone")):
        response = client.post(
            f"/api/v1/enterprises/{enterprise_id}/product-matches",
            json={"amount": 50},
            headers={"X-Chat-Channel": "wechat", "X-Chat-User-Id": user_id},
        )
        answers.append((response.status_code, response.json()))
    assert answers[0][0] == 403 and answers[0][1]["code"] == "not_bound"
    assert answers[0] == answers[1] == answers[2]


def test_no_body_is_no_need(client: TestClient, bind: BindFn, demo_city, today) -> None:
    enterprise_id = bind(demo_city[2], user_id="oNoBody").json()["enterprise"]["id"]
    response = client.post(
        f"/api/v1/enterprises/{enterprise_id}/product-matches",
        headers={"X-Chat-Channel": "wechat", "X-Chat-User-Id": "oNoBody"},
    )
    assert response.status_code == 200
    assert response.json()["need"]["amount"] is None


@pytest.mark.parametrize(
    ("body", "field", "label"),
    [
        ({"amount": 0}, "amount", "贷款金额"),
        ({"amount": -5}, "amount", "贷款金额"),
        ({"amount": "很多"}, "amount", "贷款金额"),
        ({"term_months": 0}, "term_months", "贷款期限"),
        ({"term_months": 1.5}, "term_months", "贷款期限"),
        ({"purpose": "用" * 201}, "purpose", "贷款用途"),
    ],
)
def test_bad_need_is_refused_in_chinese(
    client: TestClient, bind: BindFn, demo_city, today, body, field, label
) -> None:
    enterprise_id = bind(demo_city[0], user_id="oBad").json()["enterprise"]["id"]
    response = client.post(
        f"/api/v1/enterprises/{enterprise_id}/product-matches",
        json=body,
        headers={"X-Chat-Channel": "wechat", "X-Chat-User-Id": "oBad"},
    )
    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "invalid_input"
    assert error["fields"] == [field]
    assert label in error["message"]


def test_missing_chat_user_is_invalid_input(client: TestClient) -> None:
    response = client.post("/api/v1/enterprises/1/product-matches", json={})
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"X-Chat-Channel", "X-Chat-User-Id"}


# ---------------------------------------------------------------------------- one rule at a time
def _facts(**overrides: Any) -> EnterpriseFacts:
    base: dict[str, Any] = {
        "established_on": date(2020, 1, 1),
        "industry": "制造业",
        "scale": "小型",
        "is_individual_business": False,
        "tags": (),
        "white_listed": False,
        "tax_credit_grade": TaxCreditGrade.B,
        "evaluation_grade": EvaluationGrade.B,
    }
    return EnterpriseFacts(**{**base, **overrides})


def _product(eligibility: dict[str, Any], **overrides: Any) -> Product:
    base: dict[str, Any] = {
        "id": 1,
        "code": "p",
        "name": "测试贷",
        "institution_id": 1,
        "amount_min": 10,
        "amount_max": 100,
        "rate_min": Decimal("3.50"),
        "rate_max": Decimal("4.00"),
        "term_months_min": 3,
        "term_months_max": 12,
        "guarantee_type": "信用",
        "description": "",
        "eligibility": eligibility,
    }
    return Product(**{**base, **overrides})


def _one(eligibility: dict[str, Any], facts: EnterpriseFacts, need: Need | None = None):
    eligible, ineligible = rank_products(
        [_product(eligibility)], facts, need or Need(), date(2026, 6, 30)
    )
    return (eligible or ineligible)[0]


@pytest.mark.parametrize(
    ("rules", "facts", "unmet"),
    [
        ({"min_years_in_business": 7}, {}, "须成立满 7 年，您的企业目前成立 6 年"),
        (
            {"min_years_in_business": 1},
            {"established_on": date(2026, 1, 1)},
            "须成立满 1 年，您的企业目前成立不满 1 年",
        ),
        ({"industries": ["建筑业"]}, {}, "仅面向建筑业，您的企业属于“制造业”"),
        ({"sizes": ["中型"]}, {}, "仅面向中型企业，您的企业规模为“小型”"),
        ({"sizes": ["中型"]}, {"scale": None}, "仅面向中型企业，平台暂无您的企业规模信息"),
        (
            {"allow_individual_business": False},
            {"is_individual_business": True},
            "本产品不面向个体工商户",
        ),
        ({"min_tax_credit_grade": "A"}, {}, "纳税信用等级须 A 级及以上，您目前为 B 级"),
        (
            {"min_tax_credit_grade": "B"},
            {"tax_credit_grade": None},
            "平台暂无您的纳税信用等级记录（要求 B 级及以上）",
        ),
        (
            {"min_tax_credit_grade": "M"},
            {"tax_credit_grade": TaxCreditGrade.C},
            "纳税信用等级须 M 级及以上，您目前为 C 级",
        ),
        ({"min_evaluation_grade": "A"}, {}, "基础性信用评价等级须 A 级及以上，您目前为 B 级"),
        (
            {"min_evaluation_grade": "C"},
            {"evaluation_grade": None},
            "平台暂无您的基础性信用评价（要求 C 级及以上）",
        ),
        ({"white_list_only": True}, {}, "仅限融资白名单企业，您的企业尚未列入白名单"),
        (
            {"tags_any": ["专精特新", "绿色"]},
            {"tags": ("政府采购中标",)},
            "须具备以下认定之一：专精特新、绿色；平台上您的企业暂无这些认定",
        ),
    ],
)
def test_each_rule_says_why_not(rules: dict[str, Any], facts: dict[str, Any], unmet: str) -> None:
    match = _one(rules, _facts(**facts))
    assert match.unmet == [unmet]
    assert match.rank is None


@pytest.mark.parametrize(
    ("rules", "facts", "reason"),
    [
        ({"min_years_in_business": 6}, {}, "成立已满 6 年，符合成立满 6 年的要求"),
        ({"industries": ["制造业", "建筑业"]}, {}, "所属行业“制造业”在支持范围内"),
        ({"sizes": ["小型", "中型"]}, {}, "企业规模“小型”符合要求"),
        ({}, {"is_individual_business": True}, "个体工商户可以申请"),
        ({"min_tax_credit_grade": "M"}, {}, "您的纳税信用等级 B 高于要求的 M"),
        ({"min_tax_credit_grade": "B"}, {}, "您的纳税信用等级 B 达到要求的 B"),
        ({"min_evaluation_grade": "C"}, {}, "您的基础性信用评价等级 B 高于要求的 C"),
        (
            {"white_list_only": True},
            {"white_listed": True},
            "您已列入融资白名单（本产品仅限白名单企业）",
        ),
        (
            {"tags_any": ["专精特新", "绿色"]},
            {"tags": ("绿色", "专精特新")},
            "具备“专精特新、绿色”认定，符合产品定位",
        ),
    ],
)
def test_each_rule_says_why_it_fits(
    rules: dict[str, Any], facts: dict[str, Any], reason: str
) -> None:
    match = _one(rules, _facts(**facts))
    assert match.unmet == []
    assert match.rank == 1
    assert reason in match.reasons


def test_ranking_prefers_purpose_then_no_collateral_then_rate() -> None:
    products = [
        _product({}, id=1, name="抵押贷", guarantee_type="抵押", rate_min=Decimal("3.0")),
        _product({}, id=2, name="担保贷", guarantee_type="担保", rate_min=Decimal("3.1")),
        _product({}, id=3, name="信用贷高息", rate_min=Decimal("4.0")),
        _product({}, id=4, name="信用贷", rate_min=Decimal("3.5")),
        _product({}, id=5, name="绿色贷", guarantee_type="抵押", description="支持节能降碳项目"),
    ]
    facts = _facts()
    eligible, _ = rank_products(products, facts, Need(), date(2026, 6, 30))
    assert [m.product.name for m in eligible] == [
        "信用贷",
        "信用贷高息",
        "担保贷",
        "抵押贷",
        "绿色贷",
    ]

    eligible, _ = rank_products(products, facts, Need(purpose="光伏节能改造"), date(2026, 6, 30))
    assert eligible[0].product.name == "绿色贷"
    assert eligible[0].purpose_themes == ["绿色低碳"]


def test_facts_come_from_registry_evaluation_and_tax_record(session: Session, demo_city) -> None:
    green = demo_city[0]
    entity = session.scalars(select(RegistryEntity).where(RegistryEntity.uscc == green.uscc)).one()
    enterprise = Enterprise(
        registry_entity_id=entity.id,
        uscc=entity.uscc,
        name=entity.name,
        is_individual_business=False,
    )
    session.add(enterprise)
    session.flush()
    facts = enterprise_facts(session, enterprise)
    assert facts.established_on == date(2016, 4, 12)
    assert facts.years_in_business(date(2026, 4, 11)) == 9
    assert facts.years_in_business(date(2026, 4, 12)) == 10
    assert facts.tags == ("专精特新", "绿色", "科技型中小企业")
    assert facts.scale == "小型"
    assert facts.tax_credit_grade is TaxCreditGrade.A
    assert facts.evaluation_grade is EvaluationGrade.B
