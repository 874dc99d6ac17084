"""实名注册 typed through the REST channel on the live stack, checked in the backend afterwards."""

from __future__ import annotations

import random
import uuid

import httpx

from tests.e2e.conftest import LiveStack
from tests.support import demo_enterprises, sms_code

MACHINERY = demo_enterprises()[2]  # 示范市恒通精密机械有限公司, 陈志强


def texts(replies: list[dict]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


def service_headers(sender: str | None = None) -> dict[str, str]:
    headers = {"Authorization": "Bearer dev-service-token"}
    if sender:
        headers |= {"X-Chat-Channel": "rest", "X-Chat-User-Id": sender}
    return headers


def bound(live_stack: LiveStack, sender: str) -> list[dict]:
    response = httpx.get(
        f"{live_stack.backend_url}/api/v1/me/enterprises", headers=service_headers(sender)
    )
    response.raise_for_status()
    return response.json()["items"]


def test_registration_typed_step_by_step_binds_the_user(live_stack: LiveStack):
    sender = f"e2e-reg-{uuid.uuid4().hex[:10]}"
    phone = f"136{random.randrange(10**8):08d}"

    assert "企业的全称" in texts(live_stack.say(sender, "我要注册"))
    assert "统一社会信用代码" in texts(live_stack.say(sender, MACHINERY["name"]))
    # full-width and lower case, as phones type it
    assert "姓名" in texts(live_stack.say(sender, "９１３２９９０３ｍａ１ｈｔ００３７ｇ"))
    assert "法定代表人" in texts(live_stack.say(sender, MACHINERY["legal_representative"]))
    assert "手机号" in texts(live_stack.say(sender, "我是法人"))
    assert "验证码已发送" in texts(live_stack.say(sender, phone))

    reply = texts(live_stack.say(sender, sms_code(live_stack.backend_url, phone)))

    assert "注册成功" in reply
    assert [item["name"] for item in bound(live_stack, sender)] == [MACHINERY["name"]]
    # Personal data is in no log and sealed in the conversation store.
    for personal in (phone, MACHINERY["legal_representative"]):
        assert personal not in live_stack.all_logs()
        assert personal.encode() not in live_stack.tracker_store_bytes()


def test_a_question_mid_form_is_answered_and_stop_then_resume_picks_up(live_stack: LiveStack):
    sender = f"e2e-reg-{uuid.uuid4().hex[:10]}"
    live_stack.say(sender, "帮我注册一下企业")
    live_stack.say(sender, MACHINERY["name"])

    digression = texts(live_stack.say(sender, "查询信用要收费吗"))
    assert "免费" in digression
    assert "统一社会信用代码" in digression  # the form asks its question again

    paused = texts(live_stack.say(sender, "算了不办了"))
    assert "继续" in paused
    assert "统一社会信用代码" not in paused

    resumed = texts(live_stack.say(sender, "继续"))
    assert "统一社会信用代码" in resumed  # the company name was kept
    assert "企业的全称" not in resumed


def test_a_wrong_check_digit_is_explained(live_stack: LiveStack):
    sender = f"e2e-reg-{uuid.uuid4().hex[:10]}"
    live_stack.say(sender, "实名注册")
    live_stack.say(sender, MACHINERY["name"])

    reply = texts(live_stack.say(sender, "91329903MA1HT0037H"))

    assert "校验码" in reply
    assert "统一社会信用代码" in reply
    assert bound(live_stack, sender) == []
