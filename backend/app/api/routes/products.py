from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Path

from app.api.deps import ChatUserDep, NowDep, SessionDep
from app.api.routing import APIRouter
from app.models import Product
from app.schemas import EnterprisePublic, ErrorPublic, InstitutionBrief
from app.schemas.products import (
    EligibilityPublic,
    EligibleProductPublic,
    EnterpriseFactsPublic,
    IneligibleProductPublic,
    NeedPublic,
    ProductList,
    ProductMatchCreate,
    ProductMatchesPublic,
    ProductPublic,
)
from app.services.enterprises import require_bound_enterprise
from app.services.matching import (
    Need,
    list_products,
    match_products,
    product_rules,
    rules_text,
)
from app.services.working_days import CHINA_TZ

router = APIRouter(tags=["产品匹配"])


async def today_in_china(now: NowDep) -> date:
    """The request's clock (NowDep, which tests fix) as a date in China: years in business count
    in the platform's calendar, whatever the server's time zone."""
    return now.astimezone(CHINA_TZ).date()


TodayDep = Annotated[date, Depends(today_in_china)]


def product_public(product: Product) -> ProductPublic:
    rules = product_rules(product)
    return ProductPublic(
        id=product.id,
        code=product.code,
        name=product.name,
        institution=InstitutionBrief(id=product.institution.id, name=product.institution.name),
        amount_min=product.amount_min,
        amount_max=product.amount_max,
        rate_min=float(product.rate_min),
        rate_max=float(product.rate_max),
        term_months_min=product.term_months_min,
        term_months_max=product.term_months_max,
        guarantee_type=product.guarantee_type,
        description=product.description,
        eligibility=EligibilityPublic(**rules.model_dump(), summary=rules_text(rules)),
    )


@router.get(
    "/products",
    summary="信贷产品目录",
    description=(
        "城市在售的全部信贷产品：机构、额度、利率、期限、担保方式和准入条件（含逐条中文说明）。"
        "产品目录是公开信息，不需要会话用户。"
    ),
    response_model=ProductList,
)
def get_products(session: SessionDep) -> ProductList:
    return ProductList(items=[product_public(p) for p in list_products(session)])


@router.post(
    "/enterprises/{enterprise_id}/product-matches",
    summary="产品匹配",
    description=(
        "按企业的融资需求（金额、期限、用途，均可不填）匹配在售产品：符合条件的产品按适合程度"
        "排序并给出理由；不符合的产品列出每一项未满足的条件（成立年限、行业、规模、个体工商户、"
        "纳税信用等级、信用评价等级、白名单、认定标签、额度与期限）。"
        "排序：用途契合的在前，其次信用 > 担保 > 抵押，再按利率从低到高。"
        "仅限已绑定该企业的会话用户；读取纳税信用等级（非公开信息）记入审计日志。"
    ),
    response_model=ProductMatchesPublic,
    responses={403: {"model": ErrorPublic, "description": "not_bound：该用户未绑定此企业"}},
)
def create_product_matches(
    enterprise_id: Annotated[int, Path(ge=1, description="平台企业编号")],
    chat_user: ChatUserDep,
    session: SessionDep,
    today: TodayDep,
    body: ProductMatchCreate | None = None,
) -> ProductMatchesPublic:
    enterprise = require_bound_enterprise(
        session, enterprise_id, chat_user.channel, chat_user.user_id
    )
    body = body or ProductMatchCreate()
    need = Need(amount=body.amount, term_months=body.term_months, purpose=body.purpose)
    result = match_products(session, enterprise, need, today=today, actor=chat_user.actor)
    facts = result.facts
    return ProductMatchesPublic(
        enterprise=EnterprisePublic.model_validate(enterprise),
        need=NeedPublic(
            amount=None if need.amount is None else float(need.amount),
            term_months=need.term_months,
            purpose=need.purpose,
            purpose_themes=result.purpose_themes,
        ),
        facts=EnterpriseFactsPublic(
            years_in_business=result.years_in_business,
            industry=facts.industry,
            scale=facts.scale,
            is_individual_business=facts.is_individual_business,
            tags=list(facts.tags),
            white_list=facts.white_listed,
            tax_credit_grade=facts.tax_credit_grade,
            evaluation_grade=facts.evaluation_grade,
        ),
        eligible=[
            EligibleProductPublic(
                rank=m.rank or 0, product=product_public(m.product), reasons=m.reasons
            )
            for m in result.eligible
        ],
        ineligible=[
            IneligibleProductPublic(
                product=product_public(m.product), unmet=m.unmet, reasons=m.reasons
            )
            for m in result.ineligible
        ],
    )
