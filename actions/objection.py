"""异议申诉: the objection form, and finding the record a user means (shared with 信用修复).

The record comes either from a button under the self-check details (the record id travels in the
payload) or from the user's own words ("我那个罚款早就交了怎么还挂着"), which the backend's record
search turns into candidates for the user to confirm. Two slots hold that: `<flow>_record_query`
(the candidates found) and `<flow>_record` (the confirmed record's id).
"""

from __future__ import annotations

import re
import unicodedata
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendError, BackendUnavailable, backend
from actions.common import bound_enterprises, channel_of, date_text
from actions.credit_check import DISPUTED, category_of, record_line
from actions.forms import FlowFormValidation, delivery_key
from actions.registration import cleaned

MAX_CANDIDATES = 3
# The description sent to the backend holds the user's account and their evidence note.
MAX_DESCRIPTION_CHARS = 1000
_CANDIDATE_FIELDS = (
    "id",
    "category",
    "title",
    "decided_on",
    "document_no",
    "amount",
    "status",
    "repairable_after",
    "authority",
)
_YES = re.compile(
    r"^(是|是的|对|对的|没错|就是|就是它|就是这条|确认|嗯|好|好的|yes|ok)[。!！~]*$", re.I
)
_NONE_OF_THEM = ("都不是", "不是", "不对", "没有", "换一条", "重新")
_ORDINAL = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_NUMBER = re.compile(r"^(?:第)?\s*([1-9]|[一二两三四五])\s*(?:条|个|项)?$")

REASONS = ("信息错误", "已履行或已整改", "非本企业", "已修复未更新", "其他")
# How people put each reason; checked in order, so the narrower wording goes first.
_REASON_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("已修复未更新", ("已修复", "修复了", "未更新", "没更新", "没有更新", "还没撤", "没撤")),
    (
        "非本企业",
        (
            "非本企业",
            "不是我们",
            "不是本企业",
            "不是我的",
            "别的公司",
            "别人的",
            "其他企业",
            "搞混",
            "弄混",
        ),
    ),
    (
        "已履行或已整改",
        (
            "履行",
            "整改",
            "交了",
            "缴了",
            "缴清",
            "交清",
            "已缴",
            "已交",
            "付了",
            "还了",
            "改正",
        ),
    ),
    ("信息错误", ("错误", "错了", "有误", "不对", "写错", "不准确", "不实", "不属实", "信息错")),
    ("其他", ("其他", "其它", "别的原因")),
)
_NO_EVIDENCE = ("没有", "没", "无", "暂无", "不需要", "没什么")
# An image sent on WeChat while the form asks for evidence: the channel (bot/channels/wechat.py)
# has already stored it in the backend (WeChat's media expire in three days) and puts the evidence
# file's id in the message metadata; the evidence slot keeps it as "#file:<id>" so the submit can
# hand it to the backend as an upload reference without a slot of its own.
_FILE_MARK = "#file:"
_FILE_ID = re.compile(r"#file:([A-Za-z0-9_\-]{1,128})")
# Marks in the slot's text, also "#media:<id>" of conversations begun before the channel stored
# images: none belongs in the description staff read.
_ANY_MARK = re.compile(r"\s*#(?:file|media):[A-Za-z0-9_\-]+")
WECHAT_IMAGE_NOTE = "微信图片"
IMAGE_NOT_SAVED = (
    "抱歉，这张图片没能保存下来。请再发送一次，或用文字说明有哪些证明材料；没有可以回复“没有”。"
)
_LATER = ("稍后", "以后", "晚点", "后面", "回头", "待会", "之后", "再补", "稍候")


# A policy question asks; an answer tells. The NLU takes some free-text answers ("罚款已于6月1日
# 缴清") for faq: without these marks they are the answer to the form's question.
_QUESTION = re.compile(
    r"[?？]|吗|呢|么|多久|多长|怎么|怎样|什么|为什么|为啥|如何|能不能|可不可以|是否|哪|几天|多少|要不要"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")


def looks_like_question(text: str) -> bool:
    return bool(_QUESTION.search(unicodedata.normalize("NFKC", text)))


def answer_taken_for_faq(tracker: Tracker, slot: str) -> dict[str, Any]:
    """The latest message as the value of `slot` when the form asked for it and the NLU called
    it a policy question although it asks nothing (the slot's mapping skips faq)."""
    text = str(tracker.latest_message.get("text") or "").strip()
    if (
        tracker.get_slot("requested_slot") == slot
        and latest_intent(tracker) == "faq"
        and text
        and not looks_like_question(text)
    ):
        return {slot: text}
    return {}


def told_in_words(text: str, minimum: int = 4) -> bool:
    """A description or proof in words, not a number or a stray "好"."""
    return len(_CJK.findall(text)) >= minimum and not text.startswith("/")


def candidate(record: dict[str, Any]) -> dict[str, Any]:
    """The facts of a record the flows show and check, from a search hit or a details row."""
    return {field: record.get(field) for field in _CANDIDATE_FIELDS}


def candidates_text(candidates: list[dict[str, Any]]) -> str:
    if len(candidates) == 1:
        return f"我找到了这条记录，是它吗？\n{record_line(candidates[0])}"
    lines = [f"我找到了 {len(candidates)} 条可能的记录，请问是哪一条？"]
    lines += [f"{n}. {record_line(c)}" for n, c in enumerate(candidates, start=1)]
    return "\n".join(lines)


def candidates_buttons(candidates: list[dict[str, Any]]) -> list[dict[str, str]]:
    if len(candidates) == 1:
        return [
            {"title": "是这条", "payload": "/affirm"},
            {"title": "不是", "payload": "/deny"},
        ]
    return [
        *(
            {"title": f"第{n}条", "payload": f'/inform{{"record_id": "{c["id"]}"}}'}
            for n, c in enumerate(candidates, start=1)
        ),
        {"title": "都不是", "payload": "/deny"},
    ]


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


async def acting_enterprise(tracker: Tracker) -> dict[str, Any] | None:
    """The enterprise the user acts for (the flows start only for bound users)."""
    enterprises = await bound_enterprises(tracker)
    return enterprises[0] if enterprises else None


class RecordPicking(FlowFormValidation):
    """Finding and confirming the record a form is about; the form names its two slots."""

    query_slot: ClassVar[str]
    record_slot: ClassVar[str]
    # The intent that starts the form: its message may already describe or pick the record.
    trigger_intent: ClassVar[str]

    async def picked_at_start(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        """On activation: the record picked by a button, or found from the first message."""
        if tracker.get_slot(self.query_slot) is not None or tracker.get_slot("requested_slot"):
            return {}
        if latest_intent(tracker) != self.trigger_intent:
            return {}
        try:
            if next(tracker.get_latest_entity_values("record_id"), None):
                return await self._picked_by_button(dispatcher, tracker)
            text = str(tracker.latest_message.get("text") or "")
            if not text or text.startswith("/"):
                return {}
            found = await self._search(tracker, text)
        except (BackendUnavailable, BackendError):
            return {}  # the form asks for the record as usual
        # Only a message that names a kind of record ("罚款", "欠费") is a description; "我要申诉"
        # is not, and the form asks which record.
        if found and found["categories"] and found["items"]:
            return {self.query_slot: found["items"]}
        return {}

    async def _picked_by_button(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        record_id = str(next(tracker.get_latest_entity_values("record_id")))
        category = category_of(next(tracker.get_latest_entity_values("data_category"), None))
        enterprise = await acting_enterprise(tracker)
        if enterprise is None or category is None:
            return {}
        listing = await backend.credit_records(
            enterprise["id"], category, channel_of(tracker), tracker.sender_id
        )
        for record in listing["items"]:
            if str(record["id"]) == record_id:
                return {self.query_slot: [candidate(record)], self.record_slot: record_id}
        return {}

    async def _search(self, tracker: Tracker, text: str) -> dict[str, Any] | None:
        enterprise = await acting_enterprise(tracker)
        if enterprise is None:
            return None
        found = await backend.search_records(
            enterprise["id"],
            cleaned(text)[:500],
            channel_of(tracker),
            tracker.sender_id,
            limit=MAX_CANDIDATES,
        )
        return {
            "categories": found["categories"],
            "items": [candidate(item) for item in found["items"]],
        }

    async def check_query(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        if isinstance(value, list) and value:
            return self.accept(self.query_slot, value)
        if next(tracker.get_latest_entity_values("record_id"), None):
            try:
                picked = await self._picked_by_button(dispatcher, tracker)
            except BackendUnavailable:
                dispatcher.utter_message(response="utter_backend_unavailable")
                return {self.query_slot: None}
            if picked:
                return picked
        text = cleaned(value or "")
        if len(text) < 2 or text.startswith("/"):
            return self.reject(
                dispatcher,
                self.query_slot,
                "请用一句话描述是哪条记录，例如“去年环保局的罚款”“燃气费欠费”。",
            )
        try:
            found = await self._search(tracker, text)
        except BackendUnavailable:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return {self.query_slot: None}
        except BackendError as error:
            return self.reject(dispatcher, self.query_slot, error.message)
        if not found or not found["items"]:
            return self.reject(
                dispatcher,
                self.query_slot,
                "没有找到和描述相符的记录。可以说说记录的类别（如行政处罚、欠费）、决定单位、"
                "日期或金额；也可以先说“信用自查”查看明细，再点选那条记录。",
            )
        return self.accept(self.query_slot, found["items"])

    async def check_record(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        candidates: list[dict[str, Any]] = tracker.get_slot(self.query_slot) or []
        if not candidates:
            return {self.record_slot: None, self.query_slot: None}
        picked_by_button = next(tracker.get_latest_entity_values("record_id"), None) is not None
        if not picked_by_button and str(value) in {str(c["id"]) for c in candidates}:
            # Confirmed before: the form checks its filled slots again when it is resumed.
            return self.accept(self.record_slot, str(value))
        picked = self._picked(value, tracker, candidates)
        if picked is None:
            text = unicodedata.normalize("NFKC", str(value or "")).strip()
            if latest_intent(tracker) == "deny" or any(w in text for w in _NONE_OF_THEM):
                dispatcher.utter_message(
                    text="好的。请换个说法描述那条记录，例如类别、决定单位、日期或金额。"
                )
                return {self.record_slot: None, self.query_slot: None}
            hint = "请回复“是”或“不是”。" if len(candidates) == 1 else "请点选，或回复序号。"
            return self.reject(dispatcher, self.record_slot, hint)
        return await self.record_confirmed(dispatcher, tracker, picked)

    def _picked(
        self, value: Any, tracker: Tracker, candidates: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        by_id = {str(c["id"]): c for c in candidates}
        record_id = next(tracker.get_latest_entity_values("record_id"), None)
        if record_id is not None:
            return by_id.get(str(record_id))
        text = unicodedata.normalize("NFKC", str(value or "")).strip()
        if len(candidates) == 1 and (latest_intent(tracker) == "affirm" or _YES.match(text)):
            return candidates[0]
        if match := _NUMBER.match(text):
            number = match.group(1)
            index = int(number) if number.isdigit() else _ORDINAL[number]
            if 1 <= index <= len(candidates):
                return candidates[index - 1]
        return None

    async def record_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, record: dict[str, Any]
    ) -> dict[str, Any]:
        """The user confirmed this record; a flow may refuse it (repair: not yet repairable)."""
        return self.accept(self.record_slot, str(record["id"]))

    def confirmed_record(self, tracker: Tracker) -> dict[str, Any] | None:
        record_id = str(tracker.get_slot(self.record_slot))
        candidates = tracker.get_slot(self.query_slot) or []
        return next((c for c in candidates if str(c["id"]) == record_id), None)


class AskRecord(Action, ABC):
    """Shows the candidates found for the user's description, to confirm one."""

    query_slot: ClassVar[str]

    @abstractmethod
    def name(self) -> str:
        """action_ask_<flow>_record; abstract so that rasa-sdk does not register this base."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        candidates = tracker.get_slot(self.query_slot) or []
        if candidates:
            dispatcher.utter_message(
                text=candidates_text(candidates), buttons=candidates_buttons(candidates)
            )
        return []


class ActionAskObjectionRecord(AskRecord):
    query_slot = "objection_record_query"

    def name(self) -> str:
        return "action_ask_objection_record"


def reason_of(text: str) -> str | None:
    text = unicodedata.normalize("NFKC", str(text)).strip()
    if text in REASONS:
        return text
    return next((reason for reason, words in _REASON_WORDS if any(w in text for w in words)), None)


@dataclass(frozen=True)
class WeChatImage:
    """The image the user has just sent on WeChat: the evidence file the channel stored it as,
    or None when the channel could not keep it (``evidence_error``: the media had expired, the
    backend was unreachable)."""

    file_id: str | None


def wechat_image(tracker: Tracker) -> WeChatImage | None:
    """The image of the user's last message, if it was one."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        wechat = (event.get("metadata") or {}).get("wechat") or {}
        if wechat.get("msg_type") != "image":
            return None
        file_id = str(wechat.get("evidence_file_id") or "")
        if wechat.get("evidence_error") or not _FILE_ID.fullmatch(_FILE_MARK + file_id):
            return WeChatImage(None)
        return WeChatImage(file_id)
    return None


def evidence_refs(evidence: str) -> tuple[str, list[dict[str, str]]]:
    """The evidence note without file marks, and the evidence files it names for the backend."""
    ids = _FILE_ID.findall(evidence)
    note = _ANY_MARK.sub("", evidence).strip()
    return note, [{"type": "upload", "id": file_id} for file_id in ids]


def evidence_note(text: str) -> str:
    """What the user says of their evidence; "没有" and "稍后补充" are answers too."""
    text = cleaned(text)
    if any(word in text for word in _LATER):
        return "稍后补充"
    if text in _NO_EVIDENCE or re.fullmatch(r"(没有|无|暂无|没)(证明|材料|证据)?.{0,4}", text):
        return "暂无"
    return text


class ValidateObjectionForm(RecordPicking):
    query_slot = "objection_record_query"
    record_slot = "objection_record"
    trigger_intent = "file_objection"
    slot_hints: ClassVar[dict[str, str]] = {
        "objection_record_query": "请描述有问题的那条记录，如“环保局的罚款”，或先做信用自查再点选",
        "objection_record": "请确认找到的记录是不是您说的那条",
        "objection_reason": (
            "异议理由请从“信息错误、已履行或已整改、非本企业、已修复未更新、其他”中选择"
        ),
        "objection_description": "请用几句话说明情况，例如罚款何时已缴清",
        "objection_evidence": "请说明有哪些证明材料；没有可以回复“没有”或“稍后补充”",
        "objection_phone": "请输入11位手机号，例如 13812345678",
    }

    def name(self) -> str:
        return "validate_objection_form"

    async def extract_objection_record_query(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self.picked_at_start(dispatcher, tracker) or answer_taken_for_faq(
            tracker, self.query_slot
        )

    async def extract_objection_description(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return answer_taken_for_faq(tracker, "objection_description")

    async def extract_objection_evidence(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") == "objection_evidence" and wechat_image(tracker):
            # Whatever the NLU made of "[图片]", an image is the answer to "which evidence".
            return {"objection_evidence": WECHAT_IMAGE_NOTE}
        return answer_taken_for_faq(tracker, "objection_evidence")

    async def validate_objection_record_query(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self.check_query(value, dispatcher, tracker)

    async def validate_objection_record(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self.check_record(value, dispatcher, tracker)

    async def record_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, record: dict[str, Any]
    ) -> dict[str, Any]:
        if record.get("status") == DISPUTED:
            dispatcher.utter_message(
                text="这条记录已在异议处理中。继续提交的话，我会告诉您原来那张工单的编号；"
                "也可以说“算了”，改说“查进度”。"
            )
        else:
            dispatcher.utter_message(text=f"好的，对这条记录提出异议：\n{record_line(record)}")
        return self.accept(self.record_slot, str(record["id"]))

    async def validate_objection_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        reason = reason_of(value)
        if reason is None:
            return self.reject(dispatcher, "objection_reason", "请点选一个异议理由。")
        return self.accept("objection_reason", reason)

    async def validate_objection_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = unicodedata.normalize("NFKC", str(value or "")).strip()
        if not told_in_words(text):
            return self.reject(
                dispatcher,
                "objection_description",
                "情况说明太简短了，请多说几句，例如“罚款已于6月1日缴清，有缴款凭证”。",
            )
        return self.accept("objection_description", text[:800])

    async def validate_objection_evidence(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        image = wechat_image(tracker)
        if image is not None and image.file_id is None:
            return self.reject(dispatcher, "objection_evidence", IMAGE_NOT_SAVED)
        if image is not None:
            dispatcher.utter_message(text="图片已收到，会作为证明材料随异议一起提交。")
            return self.accept(
                "objection_evidence", f"{WECHAT_IMAGE_NOTE} {_FILE_MARK}{image.file_id}"
            )
        note = evidence_note(value or "")
        if not note or note.startswith("/"):
            return self.reject(
                dispatcher, "objection_evidence", "请说明证明材料，没有可以回复“没有”。"
            )
        return self.accept("objection_evidence", note[:300])

    async def validate_objection_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.phone_answer(dispatcher, "objection_phone", value)

    async def submit(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        evidence, media = evidence_refs(str(tracker.get_slot("objection_evidence") or ""))
        description = f"{tracker.get_slot('objection_description')}\n证明材料：{evidence}"
        objection = {
            "record_id": int(tracker.get_slot("objection_record")),
            "reason": tracker.get_slot("objection_reason"),
            "description": description[:MAX_DESCRIPTION_CHARS],
            "evidence": media,
            "contact_phone": tracker.get_slot("objection_phone"),
        }
        try:
            enterprise = await acting_enterprise(tracker)
            if enterprise is None:
                dispatcher.utter_message(response="utter_registration_required")
                return {"objection_phone": None}
            result = await backend.file_objection(
                enterprise["id"],
                objection,
                channel_of(tracker),
                tracker.sender_id,
                delivery_key(tracker, "objection"),
            )
        except BackendUnavailable:
            dispatcher.utter_message(
                text="抱歉，平台服务暂时不可用，异议还没有提交。请稍后再输入一次联系电话重试，"
                "或说“转人工”。"
            )
            return {"objection_phone": None}
        except BackendError as error:
            dispatcher.utter_message(text=error.message)
            if error.code == "record_not_found":
                return {"objection_record": None, "objection_record_query": None}
            fields = error.body.get("fields") or []
            if "description" in fields:
                return {"objection_description": None}
            if error.code == "evidence_not_found":
                # The stored image is not this user's or is gone: ask for the evidence again.
                return {"objection_evidence": None}
            return {"objection_phone": None}
        dispatcher.utter_message(text=objection_told(result))
        return {}


def objection_told(result: dict[str, Any]) -> str:
    ticket = result["ticket"]
    record = ticket.get("record") or {}
    if not result["created"]:
        return (
            f"这条记录已有一件办理中的异议申诉，工单号 {ticket['number']}，"
            f"当前状态：{ticket['status']}。"
            "无需重复提交，办理结果会通过这里通知您；也可以随时说“查进度”。"
        )
    text = (
        f"异议申诉已提交，工单号 {ticket['number']}。"
        f"“{record.get('title', '该记录')}”现在显示“{record.get('status', DISPUTED)}”。"
    )
    if ticket.get("forward_deadline"):
        text += f"平台将在 {date_text(ticket['forward_deadline'])} 前转交省级信用平台核查，"
    text += "处理结果会通过这里通知您，也可以随时说“查进度”。"
    return text
