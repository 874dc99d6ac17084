"""转人工 against the real backend: an RG ticket with a masked summary of the conversation, told
back with the hotline; inside a form, after leaving one, redelivered, and with the backend down."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import ActionHumanHandoff, handoff_summary, mask_personal
from tests.support import bind_demo_user

SERVICE = {"Authorization": "Bearer dev-service-token"}


def ticket_seen_by_user(backend_url: str, sender: str, number: str) -> dict[str, Any]:
    response = httpx.get(
        f"{backend_url}/api/v1/tickets/{number}",
        headers={**SERVICE, "X-Chat-Channel": "rest", "X-Chat-User-Id": sender},
    )
    response.raise_for_status()
    return response.json()


def user(text: str, intent: str = "inform", entities: list | None = None) -> dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent}, "entities": entities or []},
        "input_channel": "rest",
    }


def asked(slot: str | None) -> dict[str, Any]:
    return {"event": "slot", "name": "requested_slot", "value": slot}


def conversation(
    sender: str,
    events: list[dict[str, Any]],
    slots: dict[str, Any] | None = None,
    active_loop: str | None = None,
    message_id: str | None = None,
) -> Tracker:
    """A tracker whose last user message is 转人工, after `events`."""
    latest = {
        "text": "转人工",
        "intent": {"name": "human_handoff", "confidence": 0.99},
        "entities": [],
        "message_id": message_id or uuid.uuid4().hex,
    }
    return Tracker(
        sender_id=sender,
        slots={"platform_name": "示范平台", "hotline": "0519-12345", **(slots or {})},
        latest_message=latest,
        events=[
            {"event": "action", "name": "action_session_start"},
            *events,
            {"event": "user", "text": "转人工", "parse_data": latest, "input_channel": "rest"},
        ],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def test_masking_keeps_the_ends_of_numbers_and_drops_codes_and_names():
    text = "我叫王小明，手机13912345678，身份证320102199003071234，验证码是 482913，借100000元"

    masked = mask_personal(text)

    assert "13912345678" not in masked and "139****5678" in masked
    assert "320102199003071234" not in masked and "320102********1234" in masked
    assert "482913" not in masked
    assert "王小明" not in masked and "王**" in masked
    assert "100000" in masked


async def test_handoff_creates_a_ticket_and_tells_its_number_and_the_hotline(backend_url):
    sender = f"handoff-{uuid.uuid4()}"
    tracker = conversation(
        sender,
        [user("我想贷款50万，有啥产品", "ask_products"), user("说了半天我还是不会弄")],
    )
    dispatcher = CollectingDispatcher()

    await ActionHumanHandoff().run(dispatcher, tracker, {})

    reply = dispatcher.messages[0]["text"]
    assert "已为您转人工，工单号 RG" in reply
    assert "0519-12345" in reply
    number = reply.split("工单号 ")[1][:14]
    ticket = ticket_seen_by_user(backend_url, sender, number)
    assert ticket["kind"] == "转人工" and ticket["status"] == "已提交"
    assert "了解贷款产品" in ticket["description"]
    assert "说了半天我还是不会弄" in ticket["description"]


async def test_inside_a_form_the_summary_names_the_flow_and_hides_personal_answers(
    backend_url,
):
    sender = f"handoff-{uuid.uuid4()}"
    events = [
        user("我要注册", "register"),
        {"event": "active_loop", "name": "registration_form"},
        asked("person_name"),
        user("王小明"),
        asked("phone"),
        user("13912345678"),
        asked("sms_code"),
        user("我的手机是13812345678，验证码一直收不到"),
    ]
    tracker = conversation(
        sender,
        events,
        slots={"requested_slot": "sms_code", "person_name": "王小明", "phone": "13912345678"},
        active_loop="registration_form",
    )
    summary = handoff_summary(tracker)
    dispatcher = CollectingDispatcher()

    await ActionHumanHandoff().run(dispatcher, tracker, {})

    assert "正在办理：实名注册" in summary and "停在填写：短信验证码" in summary
    number = dispatcher.messages[0]["text"].split("工单号 ")[1][:14]
    stored = ticket_seen_by_user(backend_url, sender, number)["description"]
    for personal in ("王小明", "13912345678", "13812345678"):
        assert personal not in summary and personal not in stored
    assert "（个人信息，已隐去）" in stored
    assert "验证码一直收不到" in stored
    assert "实名注册" in stored


async def test_after_leaving_a_form_the_summary_names_the_paused_flow(backend_url):
    sender = f"handoff-{uuid.uuid4()}"
    tracker = conversation(
        sender,
        [user("我要申诉", "file_objection"), user("算了", "stop")],
        slots={"paused_flow": "objection_form"},
    )

    assert "暂停中的业务：异议申诉" in handoff_summary(tracker)


async def test_a_bound_user_s_ticket_names_the_enterprise(backend_url):
    sender = f"handoff-{uuid.uuid4()}"
    enterprise = bind_demo_user(backend_url, "rest", sender, index=1)
    dispatcher = CollectingDispatcher()

    await ActionHumanHandoff().run(dispatcher, conversation(sender, []), {})

    number = dispatcher.messages[0]["text"].split("工单号 ")[1][:14]
    assert ticket_seen_by_user(backend_url, sender, number)["enterprise_id"] == enterprise["id"]


async def test_a_redelivered_message_and_a_second_request_give_the_same_ticket(backend_url):
    sender = f"handoff-{uuid.uuid4()}"
    message_id = uuid.uuid4().hex
    first, again, later = CollectingDispatcher(), CollectingDispatcher(), CollectingDispatcher()

    await ActionHumanHandoff().run(first, conversation(sender, [], message_id=message_id), {})
    await ActionHumanHandoff().run(again, conversation(sender, [], message_id=message_id), {})
    await ActionHumanHandoff().run(later, conversation(sender, []), {})

    number = first.messages[0]["text"].split("工单号 ")[1][:14]
    assert again.messages[0]["text"] == first.messages[0]["text"]
    assert later.messages[0]["text"].startswith(f"您已有一张转人工工单 {number}")
    tickets = httpx.get(
        f"{backend_url}/api/v1/me/tickets",
        headers={**SERVICE, "X-Chat-Channel": "rest", "X-Chat-User-Id": sender},
    ).json()["items"]
    assert [t["number"] for t in tickets] == [number]


async def test_backend_down_sends_the_user_to_the_hotline(monkeypatch):
    from actions.backend_client import backend

    monkeypatch.setattr(backend, "base_url", "http://127.0.0.1:9")
    backend._clients.clear()
    dispatcher = CollectingDispatcher()

    await ActionHumanHandoff().run(dispatcher, conversation("handoff-down", []), {})

    reply = dispatcher.messages[0]["text"]
    assert "没能登记" in reply and "0519-12345" in reply
