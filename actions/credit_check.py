"""信用自查: the summary of what the platform holds about the user's enterprise, and the details
of one category on request ("看看行政处罚")."""

from __future__ import annotations

import unicodedata
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.backend_client import BackendError, BackendUnavailable, backend
from actions.common import WECHAT_MAX_BYTES, channel_of, china_time
from actions.registration import registered_enterprise

# More records than this in one category: the rest are counted, not listed (one screen each).
MAX_DETAIL_RECORDS = 8
MAX_CONTENT_CHARS = 160
DISPUTED = "异议处理中"
REPAIRABLE_CATEGORIES = ("行政处罚", "严重失信名单")

# The backend's category names (app.enums.CreditCategory).
CATEGORIES = (
    "行政许可",
    "行政处罚",
    "严重失信名单",
    "司法判决及执行",
    "荣誉表彰",
    "纳税信用等级",
    "社保欠缴",
    "公积金欠缴",
    "水电气欠费",
    "不动产",
    "进出口",
    "知识产权",
    "科技研发",
)
# What users (and the NLU's data_category synonyms, which also serve authorization scopes) call
# them. Checked in order: the first word found in the text names the category.
_CATEGORY_WORDS: tuple[tuple[str, str], ...] = (
    ("行政许可", "行政许可"),
    ("许可", "行政许可"),
    ("严重失信", "严重失信名单"),
    ("失信", "严重失信名单"),
    ("黑名单", "严重失信名单"),
    ("行政处罚", "行政处罚"),
    ("处罚", "行政处罚"),
    ("罚款", "行政处罚"),
    ("罚单", "行政处罚"),
    ("司法", "司法判决及执行"),
    ("判决", "司法判决及执行"),
    ("执行", "司法判决及执行"),
    ("法院", "司法判决及执行"),
    ("荣誉", "荣誉表彰"),
    ("表彰", "荣誉表彰"),
    ("纳税", "纳税信用等级"),
    ("税", "纳税信用等级"),
    ("社保", "社保欠缴"),
    ("社会保险", "社保欠缴"),
    ("公积金", "公积金欠缴"),
    ("水电气", "水电气欠费"),
    ("水费", "水电气欠费"),
    ("电费", "水电气欠费"),
    ("燃气", "水电气欠费"),
    ("煤气", "水电气欠费"),
    ("欠费", "水电气欠费"),
    ("不动产", "不动产"),
    ("房产", "不动产"),
    ("进出口", "进出口"),
    ("海关", "进出口"),
    ("知识产权", "知识产权"),
    ("专利", "知识产权"),
    ("商标", "知识产权"),
    ("科技研发", "科技研发"),
    ("研发", "科技研发"),
)


def category_of(text: str | None) -> str | None:
    """The backend category a user's word or the NLU's data_category value means."""
    if not text:
        return None
    text = unicodedata.normalize("NFKC", str(text)).strip()
    if text in CATEGORIES:
        return text
    return next((category for word, category in _CATEGORY_WORDS if word in text), None)


def requested_category(tracker: Tracker) -> str | None:
    """The category the latest message asks for: the data_category entity the NLU found."""
    for value in tracker.get_latest_entity_values("data_category"):
        if category := category_of(value):
            return category
    return None


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


def shorten(text: str, max_bytes: int) -> str:
    """Cuts text to max_bytes of UTF-8, marking the cut."""
    if utf8_size(text) <= max_bytes:
        return text
    while utf8_size(text + "…") > max_bytes:
        text = text[:-1]
    return text + "…"


def wechat_messages(blocks: list[str], max_bytes: int = WECHAT_MAX_BYTES) -> list[str]:
    """Joins blocks (lines, records) into as few messages as fit WeChat's limit; a block too
    long on its own is shortened rather than split in the middle of a record."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        block = shorten(block, max_bytes)
        candidate = f"{current}\n{block}" if current else block
        if utf8_size(candidate) <= max_bytes:
            current = candidate
            continue
        messages.append(current)
        current = block
    if current:
        messages.append(current)
    return messages


def amount_text(amount: Any) -> str | None:
    if amount in (None, ""):
        return None
    value = float(amount)
    return f"{value:,.0f}元" if value.is_integer() else f"{value:,.2f}元"


def record_line(record: dict[str, Any]) -> str:
    """One record in one line: category, title, date, document number, amount, dispute."""
    facts = [str(record["decided_on"])]
    if record.get("document_no"):
        facts.append(record["document_no"])
    if amount := amount_text(record.get("amount")):
        facts.append(f"金额{amount}")
    line = f"【{record['category']}】{record['title']}（{'，'.join(facts)}）"
    if record.get("status") == DISPUTED:
        line += f"〔{DISPUTED}〕"
    return line


def record_block(number: int, record: dict[str, Any]) -> str:
    lines = [f"{number}. {record['title']}" + (f"〔{DISPUTED}〕" if _disputed(record) else "")]
    facts = [f"日期：{record['decided_on']}", f"单位：{record['authority']}"]
    if record.get("document_no"):
        facts.append(f"文号：{record['document_no']}")
    if amount := amount_text(record.get("amount")):
        facts.append(f"金额：{amount}")
    if record.get("value"):
        facts.append(f"结果：{record['value']}")
    lines.append("   " + "；".join(facts))
    content = str(record.get("content") or "")
    if content:
        if len(content) > MAX_CONTENT_CHARS:
            content = content[:MAX_CONTENT_CHARS] + "…"
        lines.append(f"   {content}")
    if record.get("publicity_end_on"):
        lines.append(f"   公示截止：{record['publicity_end_on']}")
    if record.get("repairable_after"):
        lines.append(f"   可申请信用修复日期：{record['repairable_after']}")
    return "\n".join(lines)


def _disputed(record: dict[str, Any]) -> bool:
    return record.get("status") == DISPUTED


def details_messages(listing: dict[str, Any]) -> list[str]:
    category = listing["category"]
    items = listing["items"]
    if not items:
        return [f"【{category}】平台上没有贵企业的这类记录。"]
    shown = items[:MAX_DETAIL_RECORDS]
    disputed = sum(1 for item in items if _disputed(item))
    heading = f"【{category}】共 {len(items)} 条" + (
        f"，其中 {disputed} 条异议处理中" if disputed else ""
    )
    if not listing.get("public", True):
        heading += "（非公开信息，仅本企业可见）"
    blocks = [heading, *(record_block(n, r) for n, r in enumerate(shown, start=1))]
    if len(items) > len(shown):
        blocks.append(
            f"另有 {len(items) - len(shown)} 条未逐条列出，可登录平台网站查看完整信用报告。"
        )
    blocks.append("如果哪条记录有误，可以点下方按钮提出异议。")
    return wechat_messages(blocks)


def details_buttons(listing: dict[str, Any]) -> list[dict[str, str]]:
    """A button per shown record: dispute it, and repair it when repair applies."""
    buttons: list[dict[str, str]] = []
    category = listing["category"]
    for number, record in enumerate(listing["items"][:MAX_DETAIL_RECORDS], start=1):
        entities = f'{{"record_id": "{record["id"]}", "data_category": "{category}"}}'
        if not _disputed(record):
            buttons.append(
                {"title": f"第{number}条有误，提出异议", "payload": f"/file_objection{entities}"}
            )
        if category in REPAIRABLE_CATEGORIES:
            buttons.append(
                {"title": f"第{number}条申请信用修复", "payload": f"/credit_repair{entities}"}
            )
    return buttons


def summary_text(summary: dict[str, Any]) -> str:
    enterprise = summary["enterprise"]
    evaluation = summary.get("evaluation") or {}
    lines = [f"【{enterprise['name']}】信用自查摘要（免费）"]
    if evaluation.get("grade"):
        reasons = "；".join(evaluation.get("reasons") or [])
        lines.append(
            f"基础性信用评价：{evaluation['grade']}" + (f"（{reasons}）" if reasons else "")
        )
    lines.append("白名单：" + ("已列入" if summary.get("white_list") else "未列入"))
    lines.append("各类记录：")
    for item in summary["counts"]:
        line = f"· {item['category']}：{item['count']} 条"
        if item.get("disputed"):
            line += f"（{item['disputed']} 条{DISPUTED}）"
        lines.append(line)
    lines.append("想看某一类的明细，直接告诉我类别名称即可，如“看看行政处罚”。")
    return "\n".join(lines)


def summary_buttons(summary: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {
            "title": f"看{item['category']}",
            "payload": f'/credit_check{{"data_category": "{item["category"]}"}}',
        }
        for item in summary["counts"]
        if item["count"]
    ]


async def report_link_line(enterprise_id: int, tracker: Tracker) -> str | None:
    """The line with the full report's short-lived link; None when it cannot be made now (the
    summary is worth sending without it)."""
    try:
        link = await backend.report_link(enterprise_id, channel_of(tracker), tracker.sender_id)
    except (BackendUnavailable, BackendError):
        return None
    until = china_time(link["expires_at"]).strftime("%H:%M")
    return f"完整信用报告（{until} 前有效，请勿转发）：{link['url']}"


class ActionCreditCheck(Action):
    """The summary; or, when the message names a category, that category's records."""

    def name(self) -> str:
        return "action_credit_check"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        enterprise = await registered_enterprise(dispatcher, tracker)
        if enterprise is None:
            return []
        category = requested_category(tracker)
        try:
            if category:
                listing = await backend.credit_records(
                    enterprise["id"], category, channel_of(tracker), tracker.sender_id
                )
            else:
                summary = await backend.credit_summary(
                    enterprise["id"], channel_of(tracker), tracker.sender_id
                )
        except BackendUnavailable:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return []
        except BackendError as error:
            dispatcher.utter_message(text=error.message)
            return []
        if category:
            messages, buttons = details_messages(listing), details_buttons(listing)
        else:
            lines = summary_text(summary).split("\n")
            if link := await report_link_line(enterprise["id"], tracker):
                lines.append(link)
            messages = wechat_messages(lines)
            buttons = summary_buttons(summary)
        for message in messages[:-1]:
            dispatcher.utter_message(text=message)
        # The buttons go with the last part, where the user's eyes are.
        dispatcher.utter_message(text=messages[-1], buttons=buttons)
        return []
