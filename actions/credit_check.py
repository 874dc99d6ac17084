"""信用自查: the summary of what the platform holds about the user's enterprise."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.backend_client import BackendUnavailable, backend
from actions.common import channel_of
from actions.registration import registered_enterprise


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
    lines += [f"· {item['category']}：{item['count']} 条" for item in summary["counts"]]
    lines.append("想看某一类的明细，直接告诉我类别名称即可。")
    return "\n".join(lines)


class ActionCreditCheck(Action):
    def name(self) -> str:
        return "action_credit_check"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        enterprise = await registered_enterprise(dispatcher, tracker)
        if enterprise is None:
            return []
        try:
            summary = await backend.credit_summary(
                enterprise["id"], channel_of(tracker), tracker.sender_id
            )
        except BackendUnavailable:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return []
        dispatcher.utter_message(text=summary_text(summary))
        return []
