"""Faults on the live stack, each as a user meets it on the REST channel: the backend unreachable
or slower than the action server waits (tests/fault_proxy.py sits between the action server and
the backend), and Rasa restarted mid-conversation. The bot says the service is briefly unavailable
and offers hand-off, nothing is left half-written, and the conversation goes on once the fault is
gone."""

from __future__ import annotations

import time
import uuid

import httpx

from tests.e2e.conftest import LiveStack
from tests.e2e.test_whole_journey import Chat
from tests.support import bind_user, enterprise_with_penalties

# The action server's wait for the backend (BACKEND_TIMEOUT_SECONDS, default 5 s).
ACTION_TIMEOUT = 5.0
PHONE = "13912345670"


def objection_up_to_the_contact(live_stack: LiveStack, database_url: str) -> tuple[Chat, dict]:
    """A bound user of an enterprise of their own, in the objection form, asked for a contact
    phone: the message that submits the objection comes next."""
    chat = Chat(live_stack, sender=f"e2e-fault-{uuid.uuid4().hex[:10]}")
    facts, _ = enterprise_with_penalties(database_url, count=1)
    enterprise = bind_user(live_stack.backend_url, "rest", chat.sender, facts)
    found = chat.say("我那个罚款早就交了怎么还挂着")
    assert "行政处罚" in found or "罚款" in found, found
    chat.press("是")
    chat.press("已履行")
    chat.say("罚款上个月已经全部缴清")
    asked = chat.say("有银行回单")
    assert "电话" in asked, asked
    return chat, enterprise


def objections_of(chat: Chat) -> list[dict]:
    return [t for t in chat.backend("/me/tickets")["items"] if t["number"].startswith("YY")]


def says_unavailable_and_offers_handoff(reply: str) -> bool:
    return "暂时不可用" in reply and "转人工" in reply


def test_backend_down_says_so_offers_handoff_and_writes_nothing(
    live_stack: LiveStack, demo_database_url: str
):
    chat, _ = objection_up_to_the_contact(live_stack, demo_database_url)
    other = Chat(live_stack, sender=f"e2e-fault-{uuid.uuid4().hex[:10]}")
    bind_user(
        live_stack.backend_url,
        "rest",
        other.sender,
        enterprise_with_penalties(demo_database_url, count=1)[0],
    )
    with live_stack.backend_proxy.broken():
        reply = chat.say(PHONE)
        assert says_unavailable_and_offers_handoff(reply), reply
        # Another user's self-check meets the same answer while it lasts.
        checked = other.say("帮我查一下信用")
        assert says_unavailable_and_offers_handoff(checked), checked
    assert objections_of(chat) == []

    # Back up: the user sends the phone again and the objection is filed, once.
    filed = chat.say(PHONE)
    (ticket,) = objections_of(chat)
    assert ticket["number"] in filed, filed


def test_backend_slower_than_the_action_timeout_is_the_same_and_never_doubles(
    live_stack: LiveStack, demo_database_url: str
):
    chat, _ = objection_up_to_the_contact(live_stack, demo_database_url)
    with live_stack.backend_proxy.slow(ACTION_TIMEOUT + 1.5):
        started = time.monotonic()
        reply = chat.say(PHONE)
        waited = time.monotonic() - started
    assert says_unavailable_and_offers_handoff(reply), reply
    assert waited < ACTION_TIMEOUT + 3, waited  # the user was not kept waiting on the backend
    # The late request may still land: whole, or not at all.
    time.sleep(3)
    assert len(objections_of(chat)) <= 1

    filed = chat.say(PHONE)
    (ticket,) = objections_of(chat)
    assert ticket["number"] in filed, filed


def test_a_rasa_restart_mid_form_continues_from_the_tracker_store(live_stack: LiveStack):
    chat = Chat(live_stack, sender=f"e2e-restart-{uuid.uuid4().hex[:10]}")
    assert "企业的全称" in chat.say("我要实名注册")
    assert "统一社会信用代码" in chat.say("示范市恒通精密机械有限公司")

    live_stack.stack.restart("rasa")

    # The form picks up where it was: the next answer is the USCC, and the name is remembered.
    assert "姓名" in chat.say("91329903MA1HT0037G")
    tracker = httpx.get(f"{live_stack.rasa_url}/conversations/{chat.sender}/tracker").json()
    assert tracker["active_loop"].get("name") == "registration_form"
    user_texts = [e.get("text") for e in tracker["events"] if e["event"] == "user"]
    assert user_texts[:3] == ["我要实名注册", "示范市恒通精密机械有限公司", "91329903MA1HT0037G"]
