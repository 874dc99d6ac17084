"""What every form shares: counting invalid answers, submitting once every slot is filled, pausing
(算了/不办了) and resuming, and clearing the collected slots when a form ends.

Each flow's validation action subclasses `FlowFormValidation`; its `validate_<slot>` methods return
`self.accept(slot, value)` or `self.reject(...)`. When the last slot is filled, `submit` runs in the
same validation step: the backend call happens there, so a field the backend refuses (a name that
does not match the registry, a wrong SMS code) is emptied and asked again by the same form.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from abc import abstractmethod
from typing import Any, ClassVar

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

logger = logging.getLogger(__name__)

INVALID_ANSWERS_SLOT = "invalid_answers"
PAUSED_FLOW_SLOT = "paused_flow"
# After this many invalid answers in a row the form explains once more and offers hand-off.
MAX_INVALID_ANSWERS = 3

# The flows as the user hears them named.
FLOW_LABELS: dict[str, str] = {
    "registration_form": "实名注册",
    "authorization_form": "授权",
    "credit_details_form": "信用明细查询",
    "objection_form": "异议申诉",
    "repair_form": "信用修复",
    "product_form": "产品匹配",
    "application_form": "产品申请",
    "progress_form": "进度查询",
}


_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_PHONE_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−()（）]+")
PHONE_INVALID = "手机号应为11位数字、以1开头，请重新输入（如 13812345678）。"


def mobile_in(text: Any) -> str | None:
    """The mobile number in what the user typed: full-width digits, spaces, dashes and a +86 or
    0086 prefix allowed, words around it too ("手机 138 1234 5678")."""
    flat = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", str(text or "")))
    flat = re.sub(r"(?:\+86|0086)(?=1[3-9])", "", flat)
    found = _MOBILE.search(flat)
    return found.group() if found else None


def delivery_key(tracker: Tracker, purpose: str) -> str:
    """An Idempotency-Key for a create the user's latest message triggers: a redelivered message
    (the same message id) gives the same key, so the backend answers it once."""
    message_id = tracker.latest_message.get("message_id") or ""
    raw = f"{purpose}:{tracker.sender_id}:{message_id}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def form_slots(domain: DomainDict, form: str) -> list[str]:
    return list(domain.get("forms", {}).get(form, {}).get("required_slots", []))


class FlowFormValidation(FormValidationAction):
    """Base of every `validate_<form>` action."""

    # What the user hears the third time in a row an answer is not understood, per slot.
    slot_hints: ClassVar[dict[str, str]] = {}

    @abstractmethod
    def name(self) -> str:
        """validate_<form>; abstract so that rasa-sdk does not register this base class."""

    @staticmethod
    def accept(slot: str, value: Any) -> dict[str, Any]:
        return {slot: value}

    @staticmethod
    def reject(
        dispatcher: CollectingDispatcher, slot: str, message: str | None = None
    ) -> dict[str, Any]:
        if message:
            dispatcher.utter_message(text=message)
        return {slot: None}

    def phone_answer(
        self, dispatcher: CollectingDispatcher, slot: str, value: Any
    ) -> dict[str, Any]:
        """validate_<slot> of every form's mobile number."""
        phone = mobile_in(value)
        if phone is None:
            return self.reject(dispatcher, slot, PHONE_INVALID)
        return self.accept(slot, phone)

    async def submit(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Runs once every required slot holds a valid value; returns slot changes (emptying a
        slot makes the form ask for it again). Flows without a backend call keep the default."""
        return {}

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        requested = tracker.get_slot("requested_slot")
        answered = requested in tracker.slots_to_validate()
        events = await super().get_validation_events(dispatcher, tracker, domain)
        if not events:
            # Nothing of this form in the answer (a question, say): adding any SlotSet here would
            # stop Rasa from rejecting the form's turn, and the question would go unanswered.
            return events
        values = {event["name"]: event["value"] for event in events}

        invalid = int(tracker.get_slot(INVALID_ANSWERS_SLOT) or 0)
        if answered and values.get(requested) is None:
            invalid += 1
            if invalid >= MAX_INVALID_ANSWERS:
                self._offer_handoff(dispatcher, tracker, requested)
                invalid = 0
        elif answered:
            invalid = 0
        events.append(SlotSet(INVALID_ANSWERS_SLOT, float(invalid)))

        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        if required and all(tracker.get_slot(slot) is not None for slot in required):
            changes = await self.submit(dispatcher, tracker, domain)
            tracker.slots.update(changes)
            events += [SlotSet(slot, value) for slot, value in changes.items()]
        return events

    def _offer_handoff(self, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str) -> None:
        hint = self.slot_hints.get(slot, "")
        hotline = tracker.get_slot("hotline")
        dispatcher.utter_message(
            text=(
                "这一项连续几次都没能办理成功，我再说明一下："
                + (f"{hint}。" if hint else "")
                + f"如果不方便在这里填写，可以转人工，或拨打热线 {hotline}。"
            ),
            buttons=[
                {"title": "转人工", "payload": "/human_handoff"},
                {"title": "暂不办理", "payload": "/stop"},
            ],
        )


def ended_form(tracker: Tracker) -> str | None:
    """The form the latest ActiveLoop events deactivated (the one that just ended)."""
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name"):
            return event["name"]
    return None


def clear_form(domain: DomainDict, form: str) -> list[EventType]:
    """Empties a form's slots: personal data collected for one job does not outlive it."""
    return [
        *(SlotSet(slot, None) for slot in form_slots(domain, form)),
        SlotSet(INVALID_ANSWERS_SLOT, 0.0),
        SlotSet(PAUSED_FLOW_SLOT, None),
    ]


class ActionEndForm(Action):
    """Runs after a form completes (its submit already told the user the outcome)."""

    def name(self) -> str:
        return "action_end_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        form = ended_form(tracker)
        return clear_form(domain, form) if form else []


class ActionPauseFlow(Action):
    """算了/不办了 inside a form: leaves it, keeping what was given so it can be resumed."""

    def name(self) -> str:
        return "action_pause_flow"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        form = tracker.active_loop.get("name") or ended_form(tracker)
        label = FLOW_LABELS.get(form or "", "当前业务")
        dispatcher.utter_message(
            text=f"好的，{label}先停在这里，已填的内容为您保留。想接着办时说“继续”就可以。",
            buttons=[{"title": "继续办理", "payload": "/resume"}],
        )
        return [
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            SlotSet(INVALID_ANSWERS_SLOT, 0.0),
            SlotSet(PAUSED_FLOW_SLOT, form),
        ]
