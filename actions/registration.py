"""实名注册: whether the user is bound to an enterprise, and leading them to registration."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.backend_client import BackendUnavailable
from actions.common import bound_enterprises


async def registered_enterprise(
    dispatcher: CollectingDispatcher, tracker: Tracker
) -> dict[str, Any] | None:
    """The enterprise this user acts for; otherwise tells them registration comes first.

    Asks the backend every time: a binding made on another channel or by staff counts at once.
    """
    try:
        enterprises = await bound_enterprises(tracker)
    except BackendUnavailable:
        dispatcher.utter_message(response="utter_backend_unavailable")
        return None
    if not enterprises:
        dispatcher.utter_message(response="utter_registration_required")
        return None
    return enterprises[0]


class ActionStartRegistration(Action):
    def name(self) -> str:
        return "action_start_registration"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        try:
            enterprises = await bound_enterprises(tracker)
        except BackendUnavailable:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return []
        if enterprises:
            names = "、".join(enterprise["name"] for enterprise in enterprises)
            dispatcher.utter_message(text=f"您已完成实名注册，当前绑定的企业：{names}。")
        else:
            dispatcher.utter_message(response="utter_flow_via_hotline")
        return []


class ActionRequireRegistration(Action):
    """Entry of the flows that act for an enterprise (objection, repair, application)."""

    def name(self) -> str:
        return "action_require_registration"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if await registered_enterprise(dispatcher, tracker):
            dispatcher.utter_message(response="utter_flow_via_hotline")
        return []
