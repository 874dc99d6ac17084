"""实名注册 form actions against the real backend: every answer validated, the registration
submitted once all are given, refusals sent back to the field they concern."""

from __future__ import annotations

import random
import uuid
from typing import Any

import httpx
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import ActionEndForm, ActionPauseFlow
from actions.registration import ValidateRegistrationForm
from tests.support import demo_enterprises

FORM = "registration_form"
GREEN = demo_enterprises()[0]  # 示范市绿源科技有限公司, legal representative 张明华


def slot_values(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(message.get("text") or "" for message in dispatcher.messages)


def new_phone() -> str:
    return f"137{random.randrange(10**8):08d}"


def sms_code_sent_to(backend_url: str, phone: str) -> str:
    outbox = httpx.get(
        f"{backend_url}/api/v1/dev/sms-outbox",
        params={"phone": phone},
        headers={"Authorization": "Bearer dev-service-token"},
    )
    outbox.raise_for_status()
    return outbox.json()["items"][0]["code"]


def bound_names(backend_url: str, sender: str) -> list[str]:
    response = httpx.get(
        f"{backend_url}/api/v1/me/enterprises",
        headers={
            "Authorization": "Bearer dev-service-token",
            "X-Chat-Channel": "rest",
            "X-Chat-User-Id": sender,
        },
    )
    response.raise_for_status()
    return [item["name"] for item in response.json()["items"]]


async def answer(form_turn, domain, sender, requested, text, value, slots, **kwargs):
    """One user answer to the form; the validation's dispatcher and slot changes."""
    dispatcher = CollectingDispatcher()
    tracker = form_turn(sender, FORM, requested, text, {requested: value}, slots=slots, **kwargs)
    events = await ValidateRegistrationForm().run(dispatcher, tracker, domain)
    return dispatcher, slot_values(events)


def filled_up_to_phone(phone: str, **overrides: str) -> dict[str, Any]:
    return {
        "company_name": GREEN["name"],
        "uscc": GREEN["uscc"],
        "person_name": GREEN["legal_representative"],
        "person_role": "法定代表人",
        "phone": phone,
        **overrides,
    }


async def test_a_whole_registration_binds_the_user(form_turn, domain, backend_url):
    sender = f"reg-{uuid.uuid4()}"
    slots: dict[str, Any] = {}
    phone = new_phone()
    steps = [
        ("company_name", f"我们公司叫{GREEN['name']}", GREEN["name"]),
        ("uscc", "９１３２ ９９０１－ｍａ１ｇｙ００１７ｘ", "91329901MA1GY0017X"),
        ("person_name", f"我叫{GREEN['legal_representative']}", GREEN["legal_representative"]),
        ("person_role", "我是法人", "法定代表人"),
        ("phone", f"{phone[:3]} {phone[3:7]} {phone[7:]}", phone),
    ]
    for requested, text, expected in steps:
        dispatcher, changes = await answer(form_turn, domain, sender, requested, text, text, slots)
        assert changes[requested] == expected, texts(dispatcher)
        slots.update(changes)
    assert "验证码已发送" in texts(dispatcher)

    code = sms_code_sent_to(backend_url, phone)
    dispatcher, changes = await answer(
        form_turn, domain, sender, "sms_code", f"验证码{code}", f"验证码{code}", slots
    )

    assert changes.get("registered") is True, (texts(dispatcher), changes)
    assert "注册成功" in texts(dispatcher)
    assert bound_names(backend_url, sender) == [GREEN["name"]]


async def test_a_wrong_check_digit_is_explained_and_asked_again(form_turn, domain):
    sender = f"reg-{uuid.uuid4()}"

    dispatcher, changes = await answer(
        form_turn, domain, sender, "uscc", "91329901MA1GY0017Y", "91329901MA1GY0017Y", {}
    )

    assert changes["uscc"] is None
    assert "校验码" in texts(dispatcher)
    assert changes["invalid_answers"] == 1


async def test_three_invalid_answers_in_a_row_offer_hand_off(form_turn, domain):
    sender = f"reg-{uuid.uuid4()}"
    slots: dict[str, Any] = {}
    offers = []
    for attempt in range(3):
        dispatcher, changes = await answer(
            form_turn, domain, sender, "phone", "不记得了", "不记得了", slots
        )
        slots["invalid_answers"] = changes["invalid_answers"]
        offers.append([b["payload"] for m in dispatcher.messages for b in m.get("buttons") or []])
        assert changes["phone"] is None, attempt

    assert offers[0] == offers[1] == []
    assert "/human_handoff" in offers[2]
    assert slots["invalid_answers"] == 0  # counted afresh after the offer


async def test_a_valid_answer_resets_the_count(form_turn, domain):
    sender = f"reg-{uuid.uuid4()}"
    _, changes = await answer(
        form_turn,
        domain,
        sender,
        "person_role",
        "我是经办的",
        "我是经办的",
        {"invalid_answers": 2.0},
    )

    assert changes == {"person_role": "经办人", "invalid_answers": 0}


async def test_a_name_that_does_not_match_the_registry_is_asked_again(
    form_turn, domain, backend_url
):
    sender = f"reg-{uuid.uuid4()}"
    phone = new_phone()
    slots = filled_up_to_phone(phone, company_name="示范市绿源科技股份公司")
    _, sent = await answer(
        form_turn, domain, sender, "phone", phone, phone, {**slots, "phone": None}
    )
    assert sent["phone"] == phone
    code = sms_code_sent_to(backend_url, phone)

    dispatcher, changes = await answer(form_turn, domain, sender, "sms_code", code, code, slots)

    assert changes["company_name"] is None  # the form asks for it again
    assert changes["sms_code"] == code  # the code was not used up by the refused attempt
    assert "企业名称" in texts(dispatcher)
    assert GREEN["name"] not in texts(dispatcher)  # nothing from the registry leaks
    assert bound_names(backend_url, sender) == []

    dispatcher, changes = await answer(
        form_turn,
        domain,
        sender,
        "company_name",
        GREEN["name"],
        GREEN["name"],
        {**slots, "sms_code": code, "company_name": None},
    )

    assert changes["registered"] is True
    assert bound_names(backend_url, sender) == [GREEN["name"]]


async def test_a_wrong_sms_code_says_how_many_tries_are_left(form_turn, domain, backend_url):
    sender = f"reg-{uuid.uuid4()}"
    phone = new_phone()
    slots = filled_up_to_phone(phone)
    await answer(form_turn, domain, sender, "phone", phone, phone, {**slots, "phone": None})
    wrong = "000000" if sms_code_sent_to(backend_url, phone) != "000000" else "111111"

    dispatcher, changes = await answer(form_turn, domain, sender, "sms_code", wrong, wrong, slots)

    assert changes["sms_code"] is None
    assert "还可以再试4次" in texts(dispatcher)
    assert bound_names(backend_url, sender) == []


async def test_a_redelivered_last_answer_registers_once(form_turn, domain, backend_url):
    sender = f"reg-{uuid.uuid4()}"
    phone = new_phone()
    slots = filled_up_to_phone(phone)
    await answer(form_turn, domain, sender, "phone", phone, phone, {**slots, "phone": None})
    code = sms_code_sent_to(backend_url, phone)
    message_id = uuid.uuid4().hex

    replies = [
        await answer(
            form_turn, domain, sender, "sms_code", code, code, slots, message_id=message_id
        )
        for _ in range(2)
    ]

    # The second delivery is answered with the first one's outcome, not "code already used".
    for dispatcher, changes in replies:
        assert changes["registered"] is True
        assert "注册成功" in texts(dispatcher)
    assert bound_names(backend_url, sender) == [GREEN["name"]]


async def test_an_event_code_attributes_the_registration(
    form_turn, domain, backend_url, staff_token
):
    event = httpx.post(
        f"{backend_url}/api/v1/events",
        json={
            "name": "政银企对接会",
            "place": "市民中心",
            "starts_at": "2026-11-21T09:00:00+08:00",
            "ends_at": "2026-11-21T17:00:00+08:00",
        },
        headers={"Authorization": f"Bearer {staff_token}"},
    )
    event.raise_for_status()
    sender = f"reg-{uuid.uuid4()}"
    phone = new_phone()
    slots = {**filled_up_to_phone(phone), "event_code": event.json()["code"]}
    await answer(form_turn, domain, sender, "phone", phone, phone, {**slots, "phone": None})
    code = sms_code_sent_to(backend_url, phone)

    dispatcher, changes = await answer(form_turn, domain, sender, "sms_code", code, code, slots)

    assert changes["registered"] is True
    assert "政银企对接会" in texts(dispatcher)


async def test_an_unknown_event_code_does_not_stop_the_registration(form_turn, domain, backend_url):
    sender = f"reg-{uuid.uuid4()}"
    phone = new_phone()
    slots = {**filled_up_to_phone(phone), "event_code": "no-such-event"}
    await answer(form_turn, domain, sender, "phone", phone, phone, {**slots, "phone": None})
    code = sms_code_sent_to(backend_url, phone)

    _, changes = await answer(form_turn, domain, sender, "sms_code", code, code, slots)

    assert changes["event_code"] is None
    assert changes["registered"] is True
    assert bound_names(backend_url, sender) == [GREEN["name"]]


async def test_the_end_of_the_form_clears_its_personal_slots(make_tracker, domain):
    tracker = make_tracker("u", "inform", "123456")
    tracker.events.append({"event": "active_loop", "name": FORM})
    tracker.events.append({"event": "active_loop", "name": None})

    events = await ActionEndForm().run(CollectingDispatcher(), tracker, domain)

    cleared = {event["name"] for event in events if event["value"] is None}
    assert {"company_name", "uscc", "person_name", "phone", "sms_code"} <= cleared


async def test_stop_pauses_the_form_and_keeps_its_answers(make_tracker, domain):
    tracker = make_tracker("u", "stop", "算了", slots={"company_name": GREEN["name"]})
    tracker.active_loop = {"name": FORM}
    dispatcher = CollectingDispatcher()

    events = await ActionPauseFlow().run(dispatcher, tracker, domain)

    assert SlotSet("paused_flow", FORM) in events
    assert not any(e.get("name") == "company_name" for e in events)
    assert "继续" in texts(dispatcher)


async def test_an_answer_with_nothing_for_the_form_changes_no_slot(form_turn, domain):
    # Rasa then rejects the form's turn, so the rules can answer the question asked instead.
    dispatcher = CollectingDispatcher()
    tracker = form_turn("u", FORM, "uscc", "查询信用要收费吗", {}, intent="faq")

    events = await ValidateRegistrationForm().run(dispatcher, tracker, domain)

    assert [e for e in events if e["event"] == "slot" and e["name"] != "requested_slot"] == []
