"""进度查询: where an objection (YY), repair (XF), hand-off (RG) or product application (SQ) stands.

With a number the user gets that one's status, history and deadline; without one, the list of
what is still under way, as buttons that ask again with the number.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendError, BackendUnavailable, backend
from actions.common import bound_enterprises, channel_of, china_time, date_text

# YY 异议 / XF 修复 / RG 转人工 / SQ 申请 + yyyymmdd + a 4-digit sequence (5 after 9999).
TICKET_NUMBER = re.compile(r"(?<![0-9A-Z])(YY|XF|RG|SQ)(20\d{6}\d{4,5})(?![0-9A-Z])")
# Typed with spaces or dashes inside (YY 2026 1210 0008) is still one number.
_NOISE = re.compile(r"[\s\-_－—]+")
MAX_BUTTONS = 5
MAX_HISTORY = 6
KINDS = {"YY": "异议申诉", "XF": "信用修复", "RG": "转人工", "SQ": "产品申请"}
NOT_FOUND = (
    "没有查到工单 {number}。请核对单号（YY、XF、RG 或 SQ 开头，加 8 位日期和序号）；"
    "为保护信息安全，只能查询您本人提交的工单。"
)


def normalise_number(text: str) -> str:
    """Full width, lower case and separators do not change a number: ｙｙ２０２６… is YY2026…"""
    return _NOISE.sub("", unicodedata.normalize("NFKC", str(text))).upper()


def ticket_number(tracker: Tracker) -> str | None:
    """The number the latest message names: the ticket_id entity, or one found in the text (the
    NLU may miss a number typed with spaces)."""
    candidates = [*tracker.get_latest_entity_values("ticket_id")]
    candidates.append(tracker.latest_message.get("text") or "")
    for candidate in candidates:
        found = TICKET_NUMBER.search(normalise_number(candidate))
        if found:
            return found.group(0)
    return None


def when(value: str) -> str:
    at = china_time(value)
    return f"{at.year}年{at.month}月{at.day}日 {at:%H:%M}"


def describe_ticket(ticket: dict[str, Any]) -> str:
    state = "办理中" if ticket["open"] else "已出结果"
    lines = [f"工单 {ticket['number']}（{ticket['kind']}）当前状态：{ticket['status']}，{state}。"]
    if ticket.get("record"):
        lines.append(f"所涉记录：{ticket['record']['title']}")
    history = ticket.get("history") or []
    if history:
        lines.append("办理记录：")
        for event in history[-MAX_HISTORY:]:
            note = f"：{event['note']}" if event.get("note") else ""
            lines.append(f"· {when(event['at'])} {event['to_status']}（{event['by']}）{note}")
    if ticket.get("forward_deadline") and ticket["open"]:
        lines.append(f"平台将在 {date_text(ticket['forward_deadline'])} 前转交核查单位。")
    if ticket["kind"] == "转人工" and ticket["open"]:
        lines.append("热线坐席会尽快联系您。")
    return "\n".join(lines)


def describe_application(application: dict[str, Any]) -> str:
    state = "办理中" if application["active"] else "已出结果"
    lines = [
        f"申请 {application['number']}（{application['product']['name']}，"
        f"{application['institution']['name']}）当前状态：{application['status']}，{state}。",
        f"申请金额 {application['amount']:g} 万元，期限 {application['term_months']} 个月。",
    ]
    history = application.get("history") or []
    if history:
        lines.append("办理记录：")
        for change in history[-MAX_HISTORY:]:
            note = f"：{change['note']}" if change.get("note") else ""
            lines.append(f"· {when(change['at'])} {change['status']}（{change['by']}）{note}")
    feedback = application.get("feedback")
    if feedback and feedback.get("approved_amount") is not None:
        terms = [f"审批金额 {feedback['approved_amount']:g} 万元"]
        if feedback.get("approved_rate") is not None:
            terms.append(f"年化利率 {feedback['approved_rate']:g}%")
        if feedback.get("approved_term_months"):
            terms.append(f"期限 {feedback['approved_term_months']} 个月")
        lines.append("机构反馈：" + "，".join(terms) + "。")
    return "\n".join(lines)


def progress_button(number: str, title: str) -> dict[str, str]:
    entities = json.dumps({"ticket_id": number}, ensure_ascii=False)
    return {"title": title, "payload": f"/query_progress{entities}"}


class ActionQueryProgress(Action):
    def name(self) -> str:
        return "action_query_progress"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            number = ticket_number(tracker)
            if number:
                await self._one(dispatcher, tracker, number)
            else:
                await self._open_ones(dispatcher, tracker)
        except BackendUnavailable:
            dispatcher.utter_message(response="utter_backend_unavailable")
        return []

    async def _one(self, dispatcher: CollectingDispatcher, tracker: Tracker, number: str) -> None:
        channel, user = channel_of(tracker), tracker.sender_id
        try:
            if number.startswith("SQ"):
                text = describe_application(await backend.application(number, channel, user))
            else:
                text = describe_ticket(await backend.ticket(number, channel, user))
        except BackendError as error:
            missing = error.status in (404, 422)
            text = NOT_FOUND.format(number=number) if missing else error.message
        dispatcher.utter_message(text=text)

    async def _open_ones(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        channel, user = channel_of(tracker), tracker.sender_id
        tickets = await backend.my_tickets(channel, user)
        applications = await self._applications(tracker)
        under_way = [
            (t["number"], f"{t['kind']} · {t['status']}", t["created_at"])
            for t in tickets
            if t["open"]
        ] + [
            (a["number"], f"{a['product']['name']}申请 · {a['status']}", a["submitted_at"])
            for a in applications
            if a["active"]
        ]
        under_way.sort(key=lambda item: item[2], reverse=True)
        if under_way:
            lines = [f"您有 {len(under_way)} 项正在办理："]
            lines += [f"· {number}（{label}）" for number, label, _ in under_way]
            lines.append("点选一项查看详细进度，或直接发给我单号。")
            dispatcher.utter_message(
                text="\n".join(lines),
                buttons=[
                    progress_button(number, f"{number} {label}")
                    for number, label, _ in under_way[:MAX_BUTTONS]
                ],
            )
            return
        finished = [(t["number"], f"{t['kind']} · {t['status']}") for t in tickets] + [
            (a["number"], f"{a['product']['name']}申请 · {a['status']}") for a in applications
        ]
        if finished:
            dispatcher.utter_message(
                text="您目前没有正在办理的事项。最近已出结果的如下，点选可查看详情：",
                buttons=[progress_button(n, f"{n} {label}") for n, label in finished[:3]],
            )
            return
        dispatcher.utter_message(
            text=(
                "没有查到您提交的异议申诉、信用修复、产品申请或转人工工单。"
                "如果您有单号（如 YY202601050001），直接发给我就可以查询。"
            )
        )

    @staticmethod
    async def _applications(tracker: Tracker) -> list[dict[str, Any]]:
        """Applications of every enterprise the user is bound to (none when not registered)."""
        channel, user = channel_of(tracker), tracker.sender_id
        found: list[dict[str, Any]] = []
        for enterprise in await bound_enterprises(tracker):
            try:
                found += await backend.enterprise_applications(enterprise["id"], channel, user)
            except BackendError:
                # A binding revoked between the two calls: that enterprise has nothing to show.
                continue
        return found
