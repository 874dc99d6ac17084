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


# How each intent is offered back to a user when the NLU is unsure ("您是想…吗").
INTENT_LABELS: dict[str, str] = {
    "register": "实名注册企业",
    "authorize": "授权共享信用信息",
    "revoke_authorization": "撤回授权",
    "query_authorization": "查看我的授权",
    "credit_check": "信用自查",
    "file_objection": "对信用记录提出异议",
    "credit_repair": "申请信用修复",
    "query_progress": "查询办理进度",
    "ask_products": "了解贷款产品",
    "apply_product": "申请贷款产品",
    "faq": "咨询政策问题",
    "human_handoff": "转人工服务",
    "help": "看看能办什么",
}
CLARIFY_CHOICES = 3


class ActionClarifyIntent(Action):
    """Low NLU confidence: offer the likeliest jobs as buttons instead of guessing."""

    def name(self) -> str:
        return "action_clarify_intent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ranking = tracker.latest_message.get("intent_ranking") or []
        choices = [entry["name"] for entry in ranking if entry.get("name") in INTENT_LABELS][
            :CLARIFY_CHOICES
        ]
        if not choices:
            dispatcher.utter_message(response="utter_default")
            return []
        labels = "、".join(f"“{INTENT_LABELS[name]}”" for name in choices)
        dispatcher.utter_message(
            text=f"抱歉，我不太确定您的意思。您是想{labels}吗？请点选，或换个说法告诉我。",
            buttons=[
                *({"title": INTENT_LABELS[name], "payload": f"/{name}"} for name in choices),
                {"title": "都不是", "payload": "/out_of_scope"},
            ],
        )
        return []


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
