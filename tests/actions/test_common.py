"""Session start and hand-off."""

from __future__ import annotations

from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet

from actions.common import ActionHumanHandoff, ActionSessionStart


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
