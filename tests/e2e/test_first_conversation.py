"""The skeleton's flow, held over the REST channel with the three real processes."""

from __future__ import annotations

import time
import uuid

from tests.e2e.conftest import LiveStack
from tests.support import bind_demo_user


def texts(replies: list[dict]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


def payloads(replies: list[dict]) -> list[str]:
    return [button["payload"] for reply in replies for button in reply.get("buttons", [])]


def test_new_user_is_greeted_and_led_to_registration_before_the_credit_check(
    live_stack: LiveStack,
):
    sender = f"e2e-{uuid.uuid4().hex[:12]}"

    greeting = live_stack.say(sender, "你好")

    assert "您好" in texts(greeting)
    for job in ("实名注册", "信用自查", "异议申诉"):
        assert job in texts(greeting)

    lookups_before = live_stack.backend_log().count("GET /api/v1/me/enterprises")
    answer = live_stack.say(sender, "我想查一下我们公司的信用")

    assert "先完成企业实名注册" in texts(answer)
    assert "/register" in payloads(answer)
    # the action asked the backend, over HTTP, whether this user is bound
    # The access log line is written as the response leaves, so it may trail the bot's reply.
    deadline = time.monotonic() + 5
    while (
        live_stack.backend_log().count("GET /api/v1/me/enterprises") == lookups_before
        and time.monotonic() < deadline
    ):
        time.sleep(0.1)
    assert live_stack.backend_log().count("GET /api/v1/me/enterprises") == lookups_before + 1


def test_a_bound_user_gets_the_self_check_instead(live_stack: LiveStack):
    sender = f"e2e-{uuid.uuid4().hex[:12]}"
    enterprise = bind_demo_user(live_stack.backend_url, channel="rest", user_id=sender)

    answer = live_stack.say(sender, "我想查一下我们公司的信用")

    assert enterprise["name"] in texts(answer)
    assert "信用自查摘要" in texts(answer)
    assert "/register" not in payloads(answer)
