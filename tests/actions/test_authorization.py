"""授权 actions against the real backend: the notice shown within WeChat's limit, the scope
understood (categories, institutions, period), consent only for the word 同意, the authorization
recorded once per delivery, listing and revoking.

The authorization tests act for demo enterprises 0 and 1; the product tests keep enterprise 2
without authorizations of their own making, so the inline-authorization path stays testable.
"""

from __future__ import annotations

import uuid
from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from actions.authorization import (
    ActionAskAuthCategories,
    ActionAskAuthConsent,
    ActionAskAuthInstitutions,
    ActionConfirmRevoke,
    ActionListAuthorizations,
    ActionRevokeAuthorization,
    ValidateAuthorizationForm,
    notice_key_points,
)
from actions.backend_client import backend
from tests.support import bind_demo_user

FORM = "authorization_form"
WECHAT_LIMIT = 2048


def slot_values(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(message.get("text") or "" for message in dispatcher.messages)


async def answer(form_turn, domain, sender, requested, text, value=None, slots=None, **kwargs):
    dispatcher = CollectingDispatcher()
    tracker = form_turn(
        sender, FORM, requested, text, {requested: text if value is None else value},
        slots=slots, **kwargs,
    )  # fmt: skip
    events = await ValidateAuthorizationForm().run(dispatcher, tracker, domain)
    return dispatcher, slot_values(events)


def bound(backend_url: str, index: int) -> tuple[str, dict[str, Any]]:
    sender = f"auth-{uuid.uuid4()}"
    return sender, bind_demo_user(backend_url, channel="rest", user_id=sender, index=index)


async def test_the_notice_is_shown_within_wechats_limit_with_its_version(
    make_tracker, dispatcher, domain
):
    tracker = make_tracker(f"u-{uuid.uuid4()}", "authorize", "我要授权")

    events = await ActionAskAuthCategories().run(dispatcher, tracker, domain)

    notice = await backend.authorization_notice()
    (message,) = dispatcher.messages
    assert len(message["text"].encode()) <= WECHAT_LIMIT
    assert f"版本 {notice['version']}" in message["text"]
    # the risks and the right to revoke are among the key points
    assert "可能存在的风险" in message["text"]
    assert "撤回授权" in message["text"]
    assert "纳税" in message["text"]
    assert {"title": "全部类别", "payload": "全部"} in message["buttons"]
    assert slot_values(events) == {"auth_notice_version": notice["version"]}


def test_a_notice_that_fits_is_shown_whole_and_a_long_one_as_key_points():
    short = {"version": "v9", "title": "告知书", "text": "# 告知书\n\n一、内容\n1. 很短。"}
    assert "1. 很短。" in notice_key_points(short, 2048)
    long = {
        "version": "v9",
        "title": "告知书",
        "text": "# 告知书\n二、风险\n" + "\n".join(f"{n}. 风险{n}。补充说明" * 20 for n in (1, 2)),
    }
    points = notice_key_points(long, 400)
    assert len(points.encode()) <= 400
    assert "版本 v9" in points


async def test_categories_by_entity_synonym_text_or_all(form_turn, domain):
    sender = f"u-{uuid.uuid4()}"
    entities = [{"entity": "data_category", "value": "纳税"}]

    _, by_entity = await answer(
        form_turn, domain, sender, "auth_categories", "税务", entities=entities
    )
    _, by_text = await answer(form_turn, domain, sender, "auth_categories", "社保、公积金还有电费")
    _, everything = await answer(form_turn, domain, sender, "auth_categories", "全部都授权")
    refused, nothing = await answer(form_turn, domain, sender, "auth_categories", "随便聊聊")

    assert by_entity["auth_categories"] == ["纳税"]
    assert by_text["auth_categories"] == ["社保", "公积金", "水电气"]
    assert everything["auth_categories"] == "all"
    assert nothing["auth_categories"] is None
    assert "可授权的有" in texts(refused)


async def test_institutions_by_name_short_name_product_or_all(form_turn, domain):
    sender = f"u-{uuid.uuid4()}"

    _, short = await answer(form_turn, domain, sender, "auth_institutions", "工行和农商行")
    _, by_product = await answer(
        form_turn,
        domain,
        sender,
        "auth_institutions",
        "常信贷那家银行",
        entities=[{"entity": "product", "value": "常信贷"}],
    )
    _, everything = await answer(form_turn, domain, sender, "auth_institutions", "全部机构")
    _, pressed = await answer(
        form_turn,
        domain,
        sender,
        "auth_institutions",
        '/inform{"institution": "南京银行示范市分行"}',
        value="南京银行示范市分行",
        entities=[{"entity": "institution", "value": "南京银行示范市分行"}],
    )
    assert pressed["auth_institutions"] == ["njbank_sf"]
    refused, unknown = await answer(form_turn, domain, sender, "auth_institutions", "花旗银行")

    assert short["auth_institutions"] == ["sf_rcb", "icbc_sf"]
    assert by_product["auth_institutions"] == ["sf_rcb"]
    assert everything["auth_institutions"] == "all"
    assert unknown["auth_institutions"] is None
    assert "平台接入机构有" in texts(refused)


async def test_period_in_years_or_months_default_one_year_at_most_three(form_turn, domain):
    sender = f"u-{uuid.uuid4()}"

    _, two_years = await answer(form_turn, domain, sender, "auth_period", "两年")
    _, half = await answer(form_turn, domain, sender, "auth_period", "6个月")
    _, default = await answer(form_turn, domain, sender, "auth_period", "默认就好", intent="affirm")
    _, too_long = await answer(form_turn, domain, sender, "auth_period", "5年")

    assert two_years["auth_period"] == 24
    assert half["auth_period"] == 6
    assert default["auth_period"] == 12
    assert too_long["auth_period"] is None


async def test_only_the_word_consent_is_consent(form_turn, domain):
    sender = f"u-{uuid.uuid4()}"
    scope = {"auth_categories": None}  # an unfilled slot keeps submit from running

    for casual in ("好的", "嗯", "可以", "行吧", "OK"):
        said, values = await answer(
            form_turn, domain, sender, "auth_consent", casual, slots=scope, intent="affirm"
        )
        assert values["auth_consent"] is None, casual
        assert "“同意”" in texts(said)
    for explicit in ("同意", "同意。", "我同意", "同意授权"):
        _, values = await answer(form_turn, domain, sender, "auth_consent", explicit, slots=scope)
        assert values["auth_consent"] == "同意", explicit
    _, refused = await answer(form_turn, domain, sender, "auth_consent", "不同意", slots=scope)
    assert refused["auth_consent"] == "不同意"


async def test_three_casual_answers_offer_hand_off(form_turn, domain):
    sender = f"u-{uuid.uuid4()}"
    slots: dict[str, Any] = {"auth_categories": None, "invalid_answers": 0.0}
    for _ in range(3):
        said, values = await answer(form_turn, domain, sender, "auth_consent", "好", slots=slots)
        slots["invalid_answers"] = values["invalid_answers"]

    assert "转人工" in texts(said)
    assert any(b["payload"] == "/human_handoff" for m in said.messages for b in m["buttons"])


async def test_consent_records_the_authorization_once_per_delivery(form_turn, domain, backend_url):
    sender, enterprise = bound(backend_url, index=0)
    notice = await backend.authorization_notice()
    slots = {
        "auth_notice_version": notice["version"],
        "auth_categories": ["纳税", "社保"],
        "auth_institutions": ["ccb_sf"],
        "auth_period": 24,
    }
    before = await backend.list_authorizations(enterprise["id"], "rest", sender)

    # the scope is told back before the question
    asked = CollectingDispatcher()
    tracker = form_turn(sender, FORM, "auth_period", "2年", {}, slots=slots)
    await ActionAskAuthConsent().run(asked, tracker, domain)
    assert "纳税、社保" in texts(asked)
    assert "中国建设银行示范市分行" in texts(asked)
    assert "24个月" in texts(asked)
    assert {"title": "同意", "payload": "同意"} in asked.messages[-1]["buttons"]

    message_id = uuid.uuid4().hex
    for _ in range(2):  # WeChat redelivers the same message
        said, values = await answer(
            form_turn, domain, sender, "auth_consent", "同意", slots=slots, message_id=message_id
        )
        assert "授权成功" in texts(said)
        assert "有效期至" in texts(said)
        assert "中国建设银行示范市分行" in texts(said)

    after = await backend.list_authorizations(enterprise["id"], "rest", sender)
    assert len(after) == len(before) + 1
    granted = after[0]
    assert granted["data_categories"] == ["纳税", "社保"]
    assert granted["period_months"] == 24
    assert [i["code"] for i in granted["institutions"]] == ["ccb_sf"]
    assert granted["notice_version"] == notice["version"]
    assert values["auth_notice_version"] is None


async def test_all_categories_and_all_institutions(form_turn, domain, backend_url):
    sender, enterprise = bound(backend_url, index=1)
    notice = await backend.authorization_notice()
    slots = {
        "auth_notice_version": notice["version"],
        "auth_categories": "all",
        "auth_institutions": "all",
        "auth_period": 12,
    }

    said, _ = await answer(form_turn, domain, sender, "auth_consent", "同意", slots=slots)

    assert "平台全部接入机构" in texts(said)
    granted = (await backend.list_authorizations(enterprise["id"], "rest", sender))[0]
    assert granted["all_institutions"] is True
    assert len(granted["data_categories"]) == len(notice["data_categories"])


async def test_refusing_records_nothing(form_turn, domain, backend_url):
    sender, enterprise = bound(backend_url, index=1)
    before = await backend.list_authorizations(enterprise["id"], "rest", sender)
    slots = {"auth_categories": "all", "auth_institutions": "all", "auth_period": 12}

    said, _ = await answer(form_turn, domain, sender, "auth_consent", "不同意", slots=slots)

    assert "不授权" in texts(said)
    assert await backend.list_authorizations(enterprise["id"], "rest", sender) == before


async def test_an_outdated_notice_version_asks_again(form_turn, domain, backend_url):
    sender, _ = bound(backend_url, index=1)
    slots = {
        "auth_notice_version": "v0",
        "auth_categories": ["纳税"],
        "auth_institutions": "all",
        "auth_period": 12,
    }

    said, values = await answer(form_turn, domain, sender, "auth_consent", "同意", slots=slots)

    assert values["auth_consent"] is None
    assert values["auth_notice_version"] is None
    assert "授权成功" not in texts(said)


async def test_an_inline_authorization_offers_the_products_bank_first(
    make_tracker, dispatcher, domain
):
    tracker = make_tracker(
        f"u-{uuid.uuid4()}", "inform", "", slots={"auth_suggested_institution": "jsbank_sf"}
    )

    await ActionAskAuthInstitutions().run(dispatcher, tracker, domain)

    (message,) = dispatcher.messages
    assert message["buttons"][0] == {
        "title": "仅江苏银行示范市分行",
        "payload": '/inform{"institution": "江苏银行示范市分行"}',
    }
    assert message["buttons"][1]["payload"] == '/inform{"institution": "全部"}'


async def test_list_then_revoke_the_only_live_authorization(
    form_turn, make_tracker, domain, backend_url
):
    sender, enterprise = bound(backend_url, index=0)
    # another user of the same enterprise sees and revokes what the enterprise granted
    granted = await backend.create_authorization(
        enterprise["id"],
        {
            "consent": "同意",
            "notice_version": (await backend.authorization_notice())["version"],
            "data_categories": ["不动产"],
            "institutions": ["njbank_sf"],
        },
        "rest",
        sender,
        uuid.uuid4().hex,
    )
    for item in await backend.list_authorizations(enterprise["id"], "rest", sender):
        if item["status"] == "有效" and item["id"] != granted["id"]:
            await backend.revoke_authorization(enterprise["id"], item["id"], "rest", sender)

    listed = CollectingDispatcher()
    await ActionListAuthorizations().run(
        listed, make_tracker(sender, "query_authorization", "查看我的授权"), domain
    )
    assert "【有效】不动产 → 南京银行示范市分行" in texts(listed)
    assert len(listed.messages[0]["text"].encode()) <= WECHAT_LIMIT

    asked = CollectingDispatcher()
    events = await ActionRevokeAuthorization().run(
        asked, make_tracker(sender, "revoke_authorization", "撤销授权"), domain
    )
    assert slot_values(events) == {"revoke_candidate": str(granted["id"])}
    assert "确认撤回" in texts(asked)

    confirmed = CollectingDispatcher()
    events = await ActionConfirmRevoke().run(
        confirmed,
        make_tracker(sender, "affirm", "确认", slots={"revoke_candidate": str(granted["id"])}),
        domain,
    )
    assert "已撤回授权" in texts(confirmed)
    assert slot_values(events) == {"revoke_candidate": None}
    items = await backend.list_authorizations(enterprise["id"], "rest", sender)
    assert next(i for i in items if i["id"] == granted["id"])["status"] == "已撤回"


async def test_several_live_authorizations_are_offered_as_buttons(
    make_tracker, dispatcher, domain, backend_url
):
    sender, enterprise = bound(backend_url, index=1)
    version = (await backend.authorization_notice())["version"]
    for institution in ("icbc_sf", "sf_guarantee"):
        await backend.create_authorization(
            enterprise["id"],
            {
                "consent": "同意",
                "notice_version": version,
                "data_categories": ["纳税"],
                "institutions": [institution],
            },
            "rest",
            sender,
            uuid.uuid4().hex,
        )

    events = await ActionRevokeAuthorization().run(
        dispatcher, make_tracker(sender, "revoke_authorization", "撤销授权"), domain
    )

    assert slot_values(events) == {"revoke_candidate": None}
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert len(payloads) >= 2
    assert all(p.startswith('/revoke_authorization{"authorization_id":') for p in payloads)

    # naming the institution picks it
    named = CollectingDispatcher()
    events = await ActionRevokeAuthorization().run(
        named, make_tracker(sender, "revoke_authorization", "把给担保公司的授权撤了"), domain
    )
    assert slot_values(events)["revoke_candidate"] is not None
    assert "示范市融资担保有限公司" in texts(named)


async def test_unregistered_users_are_led_to_registration(make_tracker, dispatcher, domain):
    tracker = make_tracker(f"new-{uuid.uuid4()}", "query_authorization", "查看我的授权")

    await ActionListAuthorizations().run(dispatcher, tracker, domain)

    assert [m["response"] for m in dispatcher.messages] == ["utter_registration_required"]


async def test_a_fresh_authorization_drops_an_application_left_waiting(
    make_tracker, dispatcher, domain
):
    waiting = {"pending_application": True, "loan_product": "常信贷", "application_phone": "1"}
    tracker = make_tracker(f"u-{uuid.uuid4()}", "authorize", "我要授权", slots=waiting)

    events = await ActionAskAuthCategories().run(dispatcher, tracker, domain)

    values = slot_values(events)
    assert values["pending_application"] is False
    assert values["application_phone"] is None


async def test_a_typed_confirmation_or_refusal_is_understood(make_tracker, domain, backend_url):
    """“确认撤回” / “不撤回” typed read as revoke_authorization again, not as yes or no."""
    sender, enterprise = bound(backend_url, index=1)
    granted = await backend.create_authorization(
        enterprise["id"],
        {
            "consent": "同意",
            "notice_version": (await backend.authorization_notice())["version"],
            "data_categories": ["进出口"],
            "institutions": ["ccb_sf"],
        },
        "rest",
        sender,
        uuid.uuid4().hex,
    )
    asking = {"revoke_candidate": str(granted["id"])}

    kept = CollectingDispatcher()
    events = await ActionRevokeAuthorization().run(
        kept, make_tracker(sender, "revoke_authorization", "不撤回", slots=asking), domain
    )
    assert "授权保持不变" in texts(kept)
    assert slot_values(events) == {"revoke_candidate": None}

    done = CollectingDispatcher()
    await ActionRevokeAuthorization().run(
        done, make_tracker(sender, "revoke_authorization", "确认撤回", slots=asking), domain
    )
    assert "已撤回授权" in texts(done)
    items = await backend.list_authorizations(enterprise["id"], "rest", sender)
    assert next(i for i in items if i["id"] == granted["id"])["status"] == "已撤回"
