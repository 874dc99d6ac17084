"""What every flow shares: the session start with the city profile, who the user is, hand-off."""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from datetime import date, datetime, timedelta, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.backend_client import BackendError, BackendUnavailable, backend
from actions.forms import FLOW_LABELS, PAUSED_FLOW_SLOT, delivery_key

logger = logging.getLogger(__name__)

# WeChat refuses text replies over 2,048 bytes (UTF-8); a Chinese character takes three.
WECHAT_MAX_BYTES = 2048
# Dates and times are told as the user lives them (the backend answers in UTC).
CHINA = timezone(timedelta(hours=8))


def china_time(instant: str) -> datetime:
    return datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(CHINA)


def date_text(day: date | str | None) -> str:
    """2027年1月12日, from a date or the date part of an ISO string; "" for none."""
    if not day:
        return ""
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    return f"{day.year}年{day.month}月{day.day}日"


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


# Slots whose answers are personal data: such answers are masked harder, or left out.
PERSONAL_SLOTS = frozenset({"person_name", "phone", "sms_code", "contact_phone"})
SUMMARY_MESSAGES = 5
SUMMARY_MESSAGE_CHARS = 120
# Masked here as well as by the backend: the summary is personal data in transit, and the
# backend's rules know only the names of people it has registered.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(?:\d{8}|\d{5})(\d{3}[\dXx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
# A 6-digit code is masked where it is called one; other numbers (amounts) say what is needed.
_SMS_CODE = re.compile(r"(验证码\D{0,4})\d{6}(?![0-9A-Za-z])")
_DIGIT_RUN = re.compile(r"\d[\d\s*-]{3,}\d")
HIDDEN = "（个人信息，已隐去）"
_STATED_NAME = re.compile(
    r"((?:我叫|名叫|姓名[是为:：]?|联系人[是为:：]?|法人[是为:：])\s*)([\u4e00-\u9fff·]{2,3})"
)


def mask_personal(text: str, names: tuple[str, ...] = ()) -> str:
    """ID numbers and phones keep their ends (110101********1234, 138****5678), 6-digit codes
    and names go entirely; what is left tells the hotline what the user wanted."""
    text = unicodedata.normalize("NFKC", text)
    text = _ID_NUMBER.sub(lambda m: m.group(1) + "*" * (len(m.group(0)) - 10) + m.group(2), text)
    text = _MOBILE.sub(r"\1****\2", text)
    text = _SMS_CODE.sub(r"\1******", text)
    for name in sorted({n for n in names if n and len(n) >= 2}, key=len, reverse=True):
        text = text.replace(name, _mask_name(name))
    return _STATED_NAME.sub(lambda m: m.group(1) + _mask_name(m.group(2)), text)


def _mask_name(name: str) -> str:
    return name[0] + "*" * (len(name) - 1)


def recent_user_messages(tracker: Tracker, limit: int = SUMMARY_MESSAGES) -> list[str]:
    """The user's last messages, masked; answers to a personal-data question and button
    payloads (/intent) are left out."""
    names: tuple[str, ...] = ()
    if tracker.get_slot("person_name"):
        names += (str(tracker.get_slot("person_name")),)
    requested: str | None = None
    messages: list[str] = []
    for event in tracker.events:
        if event.get("event") == "slot" and event.get("name") == "requested_slot":
            requested = event.get("value")
        elif event.get("event") == "active_loop" and not event.get("name"):
            requested = None
        elif event.get("event") == "user":
            text = (event.get("text") or "").strip()
            names += tuple(
                str(entity.get("value"))
                for entity in (event.get("parse_data") or {}).get("entities") or []
                if entity.get("entity") == "person_name" and entity.get("value")
            )
            if not text or text.startswith("/"):
                continue
            text = mask_personal(text[:SUMMARY_MESSAGE_CHARS], names)
            if requested == "person_name":
                # A bare name no pattern can recognise: the message is left out.
                text = HIDDEN
            elif requested in PERSONAL_SLOTS:
                # A phone or a code in whatever form it was typed; the words around it stay.
                text = _DIGIT_RUN.sub("****", text)
            messages.append(text)
    return messages[-limit:]


def handoff_summary(tracker: Tracker) -> str:
    channel = channel_of(tracker)
    lines = [f"用户在{CHANNEL_LABELS.get(channel, channel)}渠道请求转人工。"]
    active = (tracker.active_loop or {}).get("name")
    paused = tracker.get_slot(PAUSED_FLOW_SLOT)
    if active:
        lines.append(f"正在办理：{FLOW_LABELS.get(active, active)}")
        requested = tracker.get_slot("requested_slot")
        if requested:
            lines.append(f"停在填写：{SLOT_LABELS.get(requested, requested)}")
    elif paused:
        lines.append(f"暂停中的业务：{FLOW_LABELS.get(paused, paused)}")
    intents = [
        INTENT_LABELS[name]
        for event in tracker.events
        if event.get("event") == "user"
        and (name := ((event.get("parse_data") or {}).get("intent") or {}).get("name"))
        in INTENT_LABELS
        and name != "human_handoff"
    ]
    if intents:
        lines.append("本次对话涉及：" + "、".join(dict.fromkeys(intents)))
    messages = recent_user_messages(tracker)
    if messages:
        lines.append("用户最近的消息：")
        lines += [f"{i}. {text}" for i, text in enumerate(messages, 1)]
    return "\n".join(lines)[:HANDOFF_SUMMARY_CHARS]


CHANNEL_LABELS = {"wechat": "微信", "h5": "App", "rest": "网页", "console": "坐席台"}
SLOT_LABELS = {
    "company_name": "企业名称",
    "uscc": "统一社会信用代码",
    "person_name": "姓名",
    "person_role": "身份",
    "phone": "手机号",
    "sms_code": "短信验证码",
    "contact_phone": "联系电话",
}
HANDOFF_SUMMARY_CHARS = 4000


class ActionHumanHandoff(Action):
    """转人工: a hand-off ticket (RG…) with a masked summary, told back with the hotline."""

    def name(self) -> str:
        return "action_human_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        hotline = tracker.get_slot("hotline")
        channel = channel_of(tracker)
        handoff: dict[str, Any] = {"summary": handoff_summary(tracker)}
        try:
            enterprises = await bound_enterprises(tracker)
            if len(enterprises) == 1:
                handoff["enterprise_id"] = enterprises[0]["id"]
            reply = await backend.request_handoff(
                handoff, channel, tracker.sender_id, delivery_key(tracker, "handoff")
            )
        except (BackendUnavailable, BackendError) as error:
            logger.warning("hand-off ticket not created: %s", error)
            dispatcher.utter_message(
                text=(f"抱歉，转人工工单暂时没能登记。请直接拨打热线 {hotline}，坐席会为您办理。")
            )
            return []
        ticket = reply["ticket"]
        if reply.get("created", True):
            text = (
                f"好的，已为您转人工，工单号 {ticket['number']}。"
                "坐席会查看您刚才的对话并尽快联系您；"
                f"也可以直接拨打热线 {hotline}，报上工单号即可。"
            )
        else:
            text = (
                f"您已有一张转人工工单 {ticket['number']}（{ticket['status']}），坐席会尽快联系您；"
                f"着急的话可以直接拨打热线 {hotline}，报上工单号即可。"
            )
        dispatcher.utter_message(text=text)
        return []
