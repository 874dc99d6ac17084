"""What every flow shares: the session start with the city profile, who the user is, hand-off."""

from __future__ import annotations

import logging
import time
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.backend_client import BackendUnavailable, backend

logger = logging.getLogger(__name__)

CITY_PROFILE_TTL_SECONDS = 300
_city_profile: dict[str, Any] | None = None
_city_profile_fetched_at = 0.0


async def city_profile() -> dict[str, Any] | None:
    """The city's names and hotline; cached because they change only with configuration."""
    global _city_profile, _city_profile_fetched_at
    if (
        _city_profile is None
        or time.monotonic() - _city_profile_fetched_at > CITY_PROFILE_TTL_SECONDS
    ):
        try:
            _city_profile = await backend.city()
            _city_profile_fetched_at = time.monotonic()
        except BackendUnavailable as error:
            logger.warning("city profile unavailable: %s", error)
    return _city_profile


def channel_of(tracker: Tracker) -> str:
    # Rasa names the REST channel "rest"; custom channels give their own names (wechat, h5).
    return tracker.get_latest_input_channel() or "rest"


async def bound_enterprises(tracker: Tracker) -> list[dict[str, Any]]:
    return await backend.bound_enterprises(channel_of(tracker), tracker.sender_id)


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        profile = await city_profile()
        if profile:
            events += [
                SlotSet("platform_name", profile["platform_name"]),
                SlotSet("hotline", profile["hotline"]),
            ]
        return [*events, ActionExecuted("action_listen")]


class ActionHumanHandoff(Action):
    def name(self) -> str:
        return "action_human_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        hotline = tracker.get_slot("hotline")
        dispatcher.utter_message(
            text=f"好的，为您转人工服务。工作时间可直接拨打热线 {hotline}，坐席会尽快为您办理。"
        )
        return []
