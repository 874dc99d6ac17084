"""Session start and hand-off."""

from __future__ import annotations

from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet

from actions.common import ActionClarifyIntent, ActionHumanHandoff, ActionSessionStart


async def test_session_start_loads_the_city_profile_from_the_backend(make_tracker, dispatcher):
    events = await ActionSessionStart().run(dispatcher, make_tracker("s1", "greet", "你好"), {})

    assert events[0] == SessionStarted()
    assert events[-1] == ActionExecuted("action_listen")
    slots = {event["name"]: event["value"] for event in events if event["event"] == "slot"}
    assert slots["platform_name"].startswith("示范市")
    assert slots["hotline"]
    assert SlotSet("hotline", slots["hotline"]) in events


async def test_handoff_names_the_hotline(make_tracker, dispatcher):
    tracker = make_tracker("s2", "human_handoff", "转人工", slots={"hotline": "0519-12345"})

    await ActionHumanHandoff().run(dispatcher, tracker, {})

    assert "0519-12345" in dispatcher.messages[0]["text"]


async def test_unsure_nlu_offers_the_likeliest_jobs_as_buttons(make_tracker, dispatcher):
    tracker = make_tracker("s3", "nlu_fallback", "那个信用的东西咋弄")
    tracker.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.45},
        {"name": "credit_check", "confidence": 0.31},
        {"name": "out_of_scope", "confidence": 0.2},
        {"name": "credit_repair", "confidence": 0.12},
        {"name": "file_objection", "confidence": 0.05},
        {"name": "ask_products", "confidence": 0.01},
    ]

    await ActionClarifyIntent().run(dispatcher, tracker, {})

    (message,) = dispatcher.messages
    assert message["text"].startswith("抱歉，我不太确定您的意思。您是想")
    assert [button["payload"] for button in message["buttons"]] == [
        "/credit_check",
        "/credit_repair",
        "/file_objection",
        "/out_of_scope",
    ]


async def test_unsure_nlu_with_nothing_to_offer_asks_to_rephrase(make_tracker, dispatcher):
    tracker = make_tracker("s4", "nlu_fallback", "啊")
    tracker.latest_message["intent_ranking"] = [{"name": "out_of_scope", "confidence": 0.3}]

    await ActionClarifyIntent().run(dispatcher, tracker, {})

    assert dispatcher.messages[0]["response"] == "utter_default"
