"""信用修复: the repair form — the record (picked or described, as for an objection), whether
it can be repaired yet, the credit commitment (信用承诺书) confirmed, proof of rectification,
contact."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendError, BackendUnavailable, backend
from actions.common import CHINA, channel_of, date_text
from actions.credit_check import REPAIRABLE_CATEGORIES, record_line, wechat_messages
from actions.forms import delivery_key
from actions.objection import (
    AskRecord,
    RecordPicking,
    acting_enterprise,
    answer_taken_for_faq,
    latest_intent,
    told_in_words,
)
from actions.registration import cleaned

COMMITMENT_SHOWN_SLOT = "repair_commitment_shown"
_AGREE = re.compile(r"(同意|确认|承诺|接受|签)")
_REFUSE = re.compile(r"(不同意|不确认|不承诺|不接受|不签|拒绝)")
_NO_PROOF = re.compile(r"^(没有|没|无|暂无|稍后|以后|晚点|回头|待会|之后|再补).{0,6}$")


def china_today() -> date:
    return datetime.now(CHINA).date()


def not_repairable_reason(record: dict[str, Any], today: date) -> str | None:
    """Why this record cannot be repaired now, in the user's terms; None when it can.

    The backend holds each record's repairable-after date and checks it again on submission."""
    if record.get("category") not in REPAIRABLE_CATEGORIES:
        return (
            f"信用修复只适用于行政处罚和严重失信名单记录，这条“{record.get('category')}”记录"
            "不能申请修复。如果记录有误，可以说“我要申诉”提出异议。"
        )
    repairable_after = record.get("repairable_after")
    if not repairable_after:
        return "这条记录没有可修复日期信息，暂不能在线申请信用修复，请拨打服务热线咨询。"
    if today < date.fromisoformat(str(repairable_after)[:10]):
        return (
            f"这条记录的最短公示期还没有届满，{date_text(repairable_after)}（含当天）起才能申请"
            "信用修复。到时候再来找我办理就可以，祝您经营顺利！"
        )
    return None


class ActionAskRepairRecord(AskRecord):
    query_slot = "repair_record_query"

    def name(self) -> str:
        return "action_ask_repair_record"


class ActionAskRepairCommitment(Action):
    """Shows the current credit commitment and remembers which version the user was shown."""

    def name(self) -> str:
        return "action_ask_repair_commitment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            commitment = await backend.repair_commitment()
        except BackendUnavailable:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return []
        text = commitment["text"].replace("# ", "")
        blocks = ["请阅读以下信用承诺书：", *text.split("\n\n")]
        messages = wechat_messages(blocks)
        for message in messages:
            dispatcher.utter_message(text=message)
        dispatcher.utter_message(
            text="您是否同意以上承诺？同意请回复“同意”。",
            buttons=[
                {"title": "同意", "payload": "同意"},
                {"title": "不同意", "payload": "不同意"},
            ],
        )
        return [SlotSet(COMMITMENT_SHOWN_SLOT, commitment["version"])]


class ValidateRepairForm(RecordPicking):
    query_slot = "repair_record_query"
    record_slot = "repair_record"
    trigger_intent = "credit_repair"
    slot_hints: ClassVar[dict[str, str]] = {
        "repair_record_query": "请描述要修复的行政处罚或失信记录，如“环保局的罚款”",
        "repair_record": "请确认找到的记录是不是您说的那条",
        "repair_commitment": "申请信用修复须同意信用承诺书，同意请回复“同意”",
        "repair_proof": "请用文字说明整改情况，如罚款缴纳日期和凭证号、整改措施",
        "repair_phone": "请输入11位手机号，例如 13812345678",
    }

    def name(self) -> str:
        return "validate_repair_form"

    async def extract_repair_record_query(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self.picked_at_start(dispatcher, tracker) or answer_taken_for_faq(
            tracker, self.query_slot
        )

    async def extract_repair_proof(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return answer_taken_for_faq(tracker, "repair_proof")

    async def validate_repair_record_query(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self.check_query(value, dispatcher, tracker)

    async def validate_repair_record(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self.check_record(value, dispatcher, tracker)

    async def record_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, record: dict[str, Any]
    ) -> dict[str, Any]:
        reason = not_repairable_reason(record, china_today())
        if reason:
            # Nothing more to ask: the form ends here (requested_slot None) and its slots are
            # cleared by action_end_form like after a completed form.
            dispatcher.utter_message(text=reason)
            return {self.record_slot: str(record["id"]), REQUESTED_SLOT: None}
        dispatcher.utter_message(text=f"好的，为这条记录申请信用修复：\n{record_line(record)}")
        return self.accept(self.record_slot, str(record["id"]))

    async def validate_repair_commitment(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = unicodedata.normalize("NFKC", str(value or "")).strip()
        shown = tracker.get_slot(COMMITMENT_SHOWN_SLOT)
        agreed = (_AGREE.search(text) or latest_intent(tracker) == "affirm") and not (
            _REFUSE.search(text) or latest_intent(tracker) == "deny"
        )
        if not agreed or not shown:
            return self.reject(
                dispatcher,
                "repair_commitment",
                "申请信用修复需要您同意信用承诺书。同意请回复“同意”；暂不办理可以说“算了”。",
            )
        return self.accept("repair_commitment", shown)

    async def validate_repair_proof(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = cleaned(value or "")
        if _NO_PROOF.match(text) or not told_in_words(text):
            return self.reject(
                dispatcher,
                "repair_proof",
                "信用修复需要整改证明。请用文字说明整改情况，例如“罚款已于6月1日缴清，缴款书号"
                "×××，已完成整改”；材料不在手边可以说“算了”，准备好再来。",
            )
        return self.accept("repair_proof", text[:1000])

    async def validate_repair_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.phone_answer(dispatcher, "repair_phone", value)

    async def submit(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        repair = {
            "record_id": int(tracker.get_slot("repair_record")),
            "commitment_version": tracker.get_slot("repair_commitment"),
            "commitment_accepted": True,
            "proof": [],
            "proof_description": tracker.get_slot("repair_proof"),
            "contact_phone": tracker.get_slot("repair_phone"),
        }
        try:
            enterprise = await acting_enterprise(tracker)
            if enterprise is None:
                dispatcher.utter_message(response="utter_registration_required")
                return {"repair_phone": None}
            result = await backend.apply_repair(
                enterprise["id"],
                repair,
                channel_of(tracker),
                tracker.sender_id,
                delivery_key(tracker, "repair"),
            )
        except BackendUnavailable:
            dispatcher.utter_message(
                text="抱歉，平台服务暂时不可用，修复申请还没有提交。请稍后再输入一次联系电话重试，"
                "或说“转人工”。"
            )
            return {"repair_phone": None}
        except BackendError as error:
            dispatcher.utter_message(text=error.message)
            if error.code in ("repair_not_yet", "not_repairable", "already_repaired"):
                return {}  # told why; the form ends
            if error.code == "record_not_found":
                return {"repair_record": None, "repair_record_query": None}
            if error.code in (
                "commitment_outdated",
                "commitment_version_unknown",
                "commitment_not_accepted",
            ):
                return {"repair_commitment": None}
            if error.code == "proof_required" or "proof_description" in (
                error.body.get("fields") or []
            ):
                return {"repair_proof": None}
            return {"repair_phone": None}
        dispatcher.utter_message(text=repair_told(result))
        return {}


def repair_told(result: dict[str, Any]) -> str:
    ticket = result["ticket"]
    if not result["created"]:
        return (
            f"这条记录已有一件办理中的信用修复申请，工单号 {ticket['number']}，"
            f"当前状态：{ticket['status']}。无需重复提交，结果会通过这里通知您。"
        )
    return (
        f"信用修复申请已提交，工单号 {ticket['number']}。平台将转交信息认定单位审核，"
        "办理进度和结果会通过这里通知您，也可以随时说“查进度”。"
    )
