"""实名注册: the registration form, and the gate that leads unregistered users to it."""

from __future__ import annotations

import re
import unicodedata
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendError, BackendUnavailable, backend
from actions.common import bound_enterprises, channel_of
from actions.forms import FlowFormValidation, delivery_key

LEGAL_REPRESENTATIVE = "法定代表人"
AGENT = "经办人"
_ROLE_WORDS = {
    LEGAL_REPRESENTATIVE: ("法定代表", "法人", "法代", "老板", "负责人", "经营者", "业主"),
    AGENT: ("经办", "员工", "财务", "会计", "代办", "工作人员", "职员", "办事"),
}
# Lead-ins people put before a value ("我叫张三", "公司名称是…", "手机号：…").
_LEAD_IN = re.compile(
    r"^(?:我的|我们的|我们|我)?(?:公司|企业|单位|店铺|店)?(?:的)?"
    r"(?:名字|名称|全称|姓名|手机号码?|电话|号码|验证码|信用代码|代码)?"
    r"(?:是|叫|为|：|:)\s*"
)
_TRAILING = re.compile(r"[。．.!！~～\s]+$")
_PERSON_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,15}$")
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−()（）]+")


def cleaned(text: str) -> str:
    """NFKC, no lead-in, no trailing punctuation: the value as the user meant it."""
    text = unicodedata.normalize("NFKC", str(text)).strip()
    return _TRAILING.sub("", _LEAD_IN.sub("", text)).strip()


def entity_or_text(tracker: Tracker, entity: str, value: Any) -> str:
    """What the user gave for a slot: their whole answer when the form asked for this slot (an
    entity the NLU cut out of it may be partial), else the entity found in passing."""
    if tracker.get_slot("requested_slot") == entity and tracker.latest_message.get("text"):
        return cleaned(tracker.latest_message["text"])
    found = next(tracker.get_latest_entity_values(entity), None)
    return cleaned(found if found else value)


def digits(text: str) -> str:
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", str(text)))
    if text.startswith("+86"):
        text = text[3:]
    return text


def role_of(text: str) -> str | None:
    text = unicodedata.normalize("NFKC", str(text))
    for role, words in _ROLE_WORDS.items():
        if any(word in text for word in words):
            return role
    return None


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


class ActionCheckRegistration(Action):
    """Entry of the flows that act for an enterprise: sets `registered`, which the rules branch
    on (the flow's form, or registration first)."""

    def name(self) -> str:
        return "action_check_registration"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            enterprises = await bound_enterprises(tracker)
        except BackendUnavailable:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return [SlotSet("registered", False)]
        if not enterprises:
            dispatcher.utter_message(response="utter_registration_required")
        return [SlotSet("registered", bool(enterprises))]


class ValidateRegistrationForm(FlowFormValidation):
    slot_hints: ClassVar[dict[str, str]] = {
        "company_name": "请输入营业执照上的企业全称，例如“示范市绿源科技有限公司”",
        "uscc": "统一社会信用代码在营业执照左上方，共18位数字和大写字母",
        "person_name": "请输入您本人的姓名（与身份证一致）",
        "person_role": "请说明您是企业的“法定代表人”还是“经办人”",
        "phone": "请输入11位手机号码，例如 13812345678",
        "sms_code": "验证码是短信里的6位数字，5分钟内有效",
    }

    def name(self) -> str:
        return "validate_registration_form"

    async def validate_company_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        name = entity_or_text(tracker, "company_name", value)
        if len(name) < 4 or len(name) > 100 or name.isdigit():
            return self.reject(
                dispatcher, "company_name", "企业名称看起来不完整，请输入营业执照上的企业全称。"
            )
        return self.accept("company_name", name)

    async def validate_uscc(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            checked = await backend.check_uscc(entity_or_text(tracker, "uscc", value)[:64])
        except BackendUnavailable:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return {"uscc": None}
        except BackendError as error:
            return self.reject(dispatcher, "uscc", error.message)
        if checked["is_individual_business"]:
            dispatcher.utter_message(text="代码以“92”开头，按个体工商户为您办理。")
        return self.accept("uscc", checked["uscc"])

    async def validate_person_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        name = entity_or_text(tracker, "person_name", value)
        if not _PERSON_NAME.match(name):
            return self.reject(dispatcher, "person_name", "请输入您的中文姓名，例如“张明华”。")
        return self.accept("person_name", name)

    async def validate_person_role(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        role = role_of(value)
        if role is None:
            return self.reject(dispatcher, "person_role", "请选择“法定代表人”或“经办人”。")
        return self.accept("person_role", role)

    async def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = self.phone_answer(dispatcher, "phone", entity_or_text(tracker, "phone", value))
        if answer["phone"] and not await self._send_code(dispatcher, tracker, answer["phone"]):
            return {"phone": None}
        return answer

    async def validate_sms_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        found = re.search(r"(?<!\d)\d{6}(?!\d)", digits(entity_or_text(tracker, "sms_code", value)))
        code = found.group() if found else ""
        if not code:
            return self.reject(dispatcher, "sms_code", "验证码是6位数字，请查看短信后输入。")
        return self.accept("sms_code", code)

    async def _send_code(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, phone: str
    ) -> bool:
        try:
            sent = await backend.send_sms_code(phone, channel_of(tracker), tracker.sender_id)
        except BackendUnavailable:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return False
        except BackendError as error:
            if error.code == "sms_cooldown":
                # A code went out less than a minute ago: that one is still good.
                dispatcher.utter_message(text="验证码刚刚已发送，请查看短信。")
                return True
            dispatcher.utter_message(text=error.message)
            return False
        minutes = int(sent["expires_in_seconds"]) // 60
        dispatcher.utter_message(text=f"验证码已发送到 {sent['phone']}，{minutes}分钟内有效。")
        return True

    async def submit(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        registration = {
            "enterprise_name": tracker.get_slot("company_name"),
            "uscc": tracker.get_slot("uscc"),
            "person_name": tracker.get_slot("person_name"),
            "role": tracker.get_slot("person_role"),
            "phone": tracker.get_slot("phone"),
            "sms_code": tracker.get_slot("sms_code"),
        }
        changes: dict[str, Any] = {}
        if tracker.get_slot("event_code"):
            registration["event_code"] = tracker.get_slot("event_code")
        try:
            try:
                result = await self._register(tracker, registration)
            except BackendError as error:
                if error.code != "event_not_found":
                    raise
                # A stale or mistyped event link must not stop the registration itself.
                del registration["event_code"]
                changes["event_code"] = None
                result = await self._register(tracker, registration)
        except BackendUnavailable:
            dispatcher.utter_message(
                text="抱歉，平台服务暂时不可用，注册还没有完成。请稍后再输入一次验证码重试，"
                "或说“转人工”。"
            )
            return {"sms_code": None}
        except BackendError as error:
            return {**changes, **await self._refused(dispatcher, tracker, error)}
        enterprise = result["enterprise"]
        if result["created"]:
            opening = f"注册成功！您已作为{enterprise['role']}绑定“{enterprise['name']}”。"
        else:
            opening = f"您此前已绑定“{enterprise['name']}”，无需重复注册。"
        if result.get("event"):
            opening += f"（来自活动：{result['event']['name']}）"
        dispatcher.utter_message(
            text=opening + "接下来可以免费信用自查、授权共享信息或匹配贷款产品。",
            buttons=[
                {"title": "信用自查", "payload": "/credit_check"},
                {"title": "授权共享", "payload": "/authorize"},
                {"title": "贷款产品", "payload": "/ask_products"},
            ],
        )
        return {**changes, "registered": True}

    async def _register(self, tracker: Tracker, registration: dict[str, Any]) -> dict[str, Any]:
        return await backend.register(
            registration,
            channel_of(tracker),
            tracker.sender_id,
            delivery_key(tracker, "registration"),
        )

    async def _refused(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, error: BackendError
    ) -> dict[str, Any]:
        dispatcher.utter_message(text=error.message)
        if error.code in ("sms_code_expired", "sms_code_locked", "sms_code_not_sent"):
            await self._send_code(dispatcher, tracker, tracker.get_slot("phone"))
            return {"sms_code": None}
        slot_of_field = {
            "enterprise_name": "company_name",
            "person_name": "person_name",
            "uscc": "uscc",
            "phone": "phone",
            "sms_code": "sms_code",
            "role": "person_role",
        }
        fields = error.body.get("fields") or []
        if error.code == "registry_not_found":
            fields = ["uscc"]
        emptied = {slot_of_field[f]: None for f in fields if f in slot_of_field}
        return emptied or {"sms_code": None}
