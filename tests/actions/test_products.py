"""产品匹配与申请 actions against the real backend: the need understood as people say it, ranked
matches with reasons within WeChat's limit, the application submitted once per delivery, and the
inline authorization when the bank is not yet authorized.

Matching acts for demo enterprise 2 (示范市恒通精密机械有限公司: white-listed, won government
procurement); applications for demo enterprise 0 (示范市绿源科技有限公司), whose authorizations each
test sets up itself, with products no other test of the session applies for.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.authorization import ValidateAuthorizationForm
from actions.backend_client import backend
from actions.products import (
    ActionAskLoanProduct,
    ValidateApplicationForm,
    ValidateProductForm,
    parse_amount,
    parse_months,
)
from tests.support import bind_demo_user

PRECISION = 2  # demo enterprise indexes
GREEN = 0
WECHAT_LIMIT = 2048


def slot_values(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(message.get("text") or "" for message in dispatcher.messages)


def bound(backend_url: str, index: int = GREEN) -> tuple[str, dict[str, Any]]:
    sender = f"prod-{uuid.uuid4()}"
    return sender, bind_demo_user(backend_url, channel="rest", user_id=sender, index=index)


async def revoke_all(enterprise_id: int, sender: str) -> None:
    """Earlier tests of the session may have authorized this enterprise: start without any."""
    for item in await backend.list_authorizations(enterprise_id, "rest", sender):
        if item["status"] == "有效":
            await backend.revoke_authorization(enterprise_id, item["id"], "rest", sender)


async def grant(enterprise_id: int, sender: str, institution: str) -> None:
    await backend.create_authorization(
        enterprise_id,
        {
            "consent": "同意",
            "notice_version": (await backend.authorization_notice())["version"],
            "data_categories": ["纳税"],
            "institutions": [institution],
        },
        "rest",
        sender,
        uuid.uuid4().hex,
    )


async def run_form(validation, form_turn, domain, sender, form, requested, text, value=None,
                   slots=None, **kwargs):  # fmt: skip
    dispatcher = CollectingDispatcher()
    tracker = form_turn(
        sender, form, requested, text, {requested: text if value is None else value},
        slots=slots, **kwargs,
    )  # fmt: skip
    events = await validation.run(dispatcher, tracker, domain)
    return dispatcher, slot_values(events)


@pytest.mark.parametrize(
    ("said", "wan"),
    [
        ("100万", 100),
        ("五十万", 50),
        ("1000000", 100),
        ("１００万元", 100),
        ("一百二十万", 120),
        ("两百万", 200),
        ("50w", 50),
        ("1.5亿", 15000),
        ("贷300", 300),
        ("80000元", 8),
        ("没想好", None),
    ],
)
def test_amounts_as_people_say_them(said, wan):
    assert parse_amount(said) == wan


@pytest.mark.parametrize(
    ("said", "months"),
    [
        ("1年", 12),
        ("一年", 12),
        ("12个月", 12),
        ("十八个月", 18),
        ("一年半", 18),
        ("半年", 6),
        ("两年", 24),
        ("3年期", 36),
        ("24", 24),
        ("尽快", None),
    ],
)
def test_terms_as_people_say_them(said, months):
    assert parse_months(said) == months


async def test_need_answers_validated(form_turn, domain):
    sender = f"u-{uuid.uuid4()}"
    form = ValidateProductForm()

    _, amount = await run_form(
        form, form_turn, domain, sender, "product_form", "loan_amount", "五十万左右"
    )
    _, unsure = await run_form(
        form, form_turn, domain, sender, "product_form", "loan_amount", "还不确定"
    )
    said, nonsense = await run_form(
        form, form_turn, domain, sender, "product_form", "loan_amount", "很多钱"
    )
    _, term = await run_form(form, form_turn, domain, sender, "product_form", "loan_term", "1年")
    _, purpose = await run_form(
        form, form_turn, domain, sender, "product_form", "loan_purpose", "买原材料"
    )

    assert amount["loan_amount"] == 50
    assert unsure["loan_amount"] == 0
    assert nonsense["loan_amount"] is None
    assert "100万" in texts(said)
    assert term["loan_term"] == 12
    assert purpose["loan_purpose"] == "买原材料"


async def test_matching_ranks_products_with_reasons_and_apply_buttons(
    form_turn, domain, backend_url
):
    sender, _ = bound(backend_url, PRECISION)
    slots = {"loan_amount": 200, "loan_term": 12}

    said, values = await run_form(
        ValidateProductForm(),
        form_turn,
        domain,
        sender,
        "product_form",
        "loan_purpose",
        "履行政府采购合同",
        slots=slots,
    )

    (message,) = said.messages
    text = message["text"]
    assert len(text.encode()) <= WECHAT_LIMIT
    assert "金额200万元" in text
    assert text.index("1. 政采贷") < text.index("2. 常信贷")
    assert "理由：" in text
    assert "政府采购合同履约" in text
    assert "暂不符合的产品" in text
    assert "苏碳融" in text
    assert values["matched_products"][0] == "政采贷"
    first = message["buttons"][0]
    assert first["title"] == "申请政采贷"
    intent, entities = first["payload"].split("{", 1)
    assert intent == "/apply_product"
    assert json.loads("{" + entities) == {
        "product": "政采贷",
        "amount": "200万",
        "term": "12个月",
        "purpose": "履行政府采购合同",
    }


async def test_products_named_or_picked_from_the_last_matching(form_turn, domain):
    sender = f"u-{uuid.uuid4()}"
    form = ValidateApplicationForm()
    entities = [{"entity": "product", "value": "常信贷"}]

    _, by_entity = await run_form(
        form, form_turn, domain, sender, "application_form", "loan_product", "常信代",
        entities=entities,
    )  # fmt: skip
    _, by_place = await run_form(
        form, form_turn, domain, sender, "application_form", "loan_product", "第二个",
        slots={"matched_products": ["政采贷", "数字贷"]},
    )  # fmt: skip
    said, unknown = await run_form(
        form, form_turn, domain, sender, "application_form", "loan_product", "随便什么贷"
    )

    assert by_entity["loan_product"] == "常信贷"
    assert by_place["loan_product"] == "数字贷"
    assert unknown["loan_product"] is None
    assert "宁创贷" in texts(said)


async def test_an_application_needs_every_part_of_the_need(form_turn, domain):
    _, values = await run_form(
        ValidateApplicationForm(),
        form_turn,
        domain,
        f"u-{uuid.uuid4()}",
        "application_form",
        "loan_amount",
        "不确定",
    )
    assert values["loan_amount"] is None


async def test_the_product_question_offers_the_last_matches(make_tracker, dispatcher, domain):
    tracker = make_tracker(
        f"u-{uuid.uuid4()}", "apply_product", "申请", slots={"matched_products": ["政采贷"]}
    )
    await ActionAskLoanProduct().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["buttons"] == [{"title": "政采贷", "payload": "政采贷"}]


async def test_without_authorization_the_authorization_runs_inline_then_the_application_goes(
    form_turn, domain, backend_url
):
    sender, enterprise = bound(backend_url)
    await revoke_all(enterprise["id"], sender)
    application = {
        "loan_product": "数字贷",
        "loan_amount": 100,
        "loan_term": 12,
        "loan_purpose": "智能化改造",
    }

    refused, values = await run_form(
        ValidateApplicationForm(),
        form_turn,
        domain,
        sender,
        "application_form",
        "application_phone",
        "13812345678",
        slots=application,
    )

    assert values["pending_application"] is True
    assert values["auth_suggested_institution"] == "jsbank_sf"
    assert "需要先授权江苏银行示范市分行" in texts(refused)
    assert not await applications_of(enterprise["id"], sender, "数字贷")

    # the authorization form, with the application's answers still in the slots
    notice = await backend.authorization_notice()
    kept = {
        **application,
        "application_phone": "13812345678",
        "pending_application": True,
        "auth_suggested_institution": "jsbank_sf",
        "auth_notice_version": notice["version"],
        "auth_categories": "all",
        "auth_institutions": ["jsbank_sf"],
        "auth_period": 12,
    }
    said, values = await run_form(
        ValidateAuthorizationForm(),
        form_turn,
        domain,
        sender,
        "authorization_form",
        "auth_consent",
        "同意",
        slots=kept,
    )

    assert "授权成功" in texts(said)
    assert "申请已提交" in texts(said)
    submitted = await applications_of(enterprise["id"], sender, "数字贷")
    assert len(submitted) == 1
    assert submitted[0]["number"] in texts(said)
    assert submitted[0]["number"].startswith("SQ")
    assert submitted[0]["status"] == "已提交"
    assert submitted[0]["institution"]["code"] == "jsbank_sf"
    # the application is done: nothing of it (the phone number) stays in the conversation
    assert values["pending_application"] is False
    for slot in ("loan_product", "loan_amount", "loan_term", "loan_purpose", "application_phone"):
        assert values[slot] is None
    assert "13812345678" not in texts(said)


async def test_declining_the_inline_authorization_drops_the_application(
    form_turn, domain, backend_url
):
    sender, enterprise = bound(backend_url)
    kept = {
        "loan_product": "创新贷",
        "loan_amount": 100,
        "loan_term": 12,
        "loan_purpose": "研发投入",
        "application_phone": "13812345678",
        "pending_application": True,
        "auth_categories": "all",
        "auth_institutions": ["icbc_sf"],
        "auth_period": 12,
    }

    said, values = await run_form(
        ValidateAuthorizationForm(),
        form_turn,
        domain,
        sender,
        "authorization_form",
        "auth_consent",
        "不同意",
        slots=kept,
    )

    assert "申请暂未提交" in texts(said)
    assert values["pending_application"] is False
    assert values["application_phone"] is None
    assert not await applications_of(enterprise["id"], sender, "创新贷")


async def test_a_redelivered_answer_creates_one_application_and_a_second_is_kindly_refused(
    form_turn, domain, backend_url
):
    sender, enterprise = bound(backend_url)
    await grant(enterprise["id"], sender, "njbank_sf")
    application = {
        "loan_product": "宁创贷",
        "loan_amount": 200,
        "loan_term": 24,
        "loan_purpose": "研发中心建设",
    }
    message_id = uuid.uuid4().hex

    numbers = []
    for _ in range(2):  # WeChat redelivers the same message
        said, values = await run_form(
            ValidateApplicationForm(),
            form_turn,
            domain,
            sender,
            "application_form",
            "application_phone",
            "138 1234 5678",
            slots=application,
            message_id=message_id,
        )
        assert "申请已提交" in texts(said)
        assert values["pending_application"] is False
        numbers.append(next(line for line in texts(said).splitlines() if "申请编号" in line))
    assert numbers[0] == numbers[1]
    assert len(await applications_of(enterprise["id"], sender, "宁创贷")) == 1
    assert "138****5678" in texts(said)

    # a new message for the same product: the one already under way is told back
    again, _ = await run_form(
        ValidateApplicationForm(),
        form_turn,
        domain,
        sender,
        "application_form",
        "application_phone",
        "13812345678",
        slots=application,
    )
    assert "已有一笔进行中的宁创贷申请" in texts(again)
    assert "不重复提交" in texts(again)
    assert len(await applications_of(enterprise["id"], sender, "宁创贷")) == 1


async def test_an_amount_outside_the_products_range_is_asked_again(form_turn, domain, backend_url):
    sender, enterprise = bound(backend_url)
    await grant(enterprise["id"], sender, "sf_rcb")

    said, values = await run_form(
        ValidateApplicationForm(),
        form_turn,
        domain,
        sender,
        "application_form",
        "application_phone",
        "13812345678",
        slots={
            "loan_product": "常信贷",
            "loan_amount": 5000,
            "loan_term": 12,
            "loan_purpose": "流动资金周转",
        },
    )

    assert values["loan_amount"] is None
    assert "10万元至300万元" in texts(said)
    assert not await applications_of(enterprise["id"], sender, "常信贷")


async def test_unregistered_users_are_led_to_registration(form_turn, domain):
    said, _ = await run_form(
        ValidateProductForm(),
        form_turn,
        domain,
        f"new-{uuid.uuid4()}",
        "product_form",
        "loan_purpose",
        "买设备",
        slots={"loan_amount": 50, "loan_term": 12},
    )
    assert [m["response"] for m in said.messages] == ["utter_registration_required"]


async def applications_of(enterprise_id: int, sender: str, product: str) -> list[dict[str, Any]]:
    import httpx

    response = httpx.get(
        f"{backend.base_url}/api/v1/enterprises/{enterprise_id}/applications",
        headers={
            "Authorization": "Bearer dev-service-token",
            "X-Chat-Channel": "rest",
            "X-Chat-User-Id": sender,
        },
    )
    response.raise_for_status()
    return [a for a in response.json()["items"] if a["product"]["name"] == product]


async def test_nothing_eligible_says_why_not_and_offers_help(form_turn, domain, backend_url):
    sender, _ = bound(backend_url, index=1)  # 示范市城西区李记餐饮店, an individual business

    said, values = await run_form(
        ValidateProductForm(),
        form_turn,
        domain,
        sender,
        "product_form",
        "loan_purpose",
        "店面装修",
        slots={"loan_amount": 20, "loan_term": 12},
    )

    (message,) = said.messages
    assert "暂时没有完全符合条件的产品" in message["text"]
    assert "常信贷：" in message["text"]
    assert len(message["text"].encode()) <= WECHAT_LIMIT
    assert [b["payload"] for b in message["buttons"]] == ["/credit_check", "/human_handoff"]
    assert values["matched_products"] == []
