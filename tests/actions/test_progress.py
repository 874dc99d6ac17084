"""进度查询 against the real backend: one ticket or application by its number (however typed), the
list of what is under way, and numbers the user may not see."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.progress import ActionQueryProgress, normalise_number
from tests.support import bind_demo_user

SERVICE = {"Authorization": "Bearer dev-service-token"}


def chat(sender: str) -> dict[str, str]:
    return {**SERVICE, "X-Chat-Channel": "rest", "X-Chat-User-Id": sender}


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(message.get("text") or "" for message in dispatcher.messages)


def asking(make_tracker, sender: str, text: str, ticket_id: str | None = None) -> Tracker:
    tracker = make_tracker(sender, "query_progress", text)
    if ticket_id:
        start = text.find(ticket_id)
        tracker.latest_message["entities"] = [
            {
                "entity": "ticket_id",
                "value": ticket_id,
                "start": start,
                "end": start + len(ticket_id),
            }
        ]
    return tracker


# Public categories whose records may be disputed; the demo enterprises hold several of them.
DISPUTABLE = ("行政许可", "荣誉表彰", "行政处罚", "司法判决及执行", "严重失信名单")


def file_objection(backend_url: str, sender: str) -> dict[str, Any]:
    """A new objection (YY…) of the user's demo enterprise. One open objection per record, and
    other tests dispute the same demo records, so it takes a record nobody disputes yet."""
    with httpx.Client(base_url=f"{backend_url}/api/v1", headers=chat(sender)) as client:
        for index in (2, 0, 1):
            enterprise = bind_demo_user(backend_url, "rest", sender, index=index)
            free = [
                record
                for category in DISPUTABLE
                for record in client.get(
                    f"/enterprises/{enterprise['id']}/records", params={"category": category}
                ).json()["items"]
                if record["status"] == "正常"
            ]
            if free:
                break
        assert free, "every record of the demo enterprises is disputed already"
        response = client.post(
            f"/enterprises/{enterprise['id']}/objections",
            headers={"Idempotency-Key": uuid.uuid4().hex},
            json={
                "record_id": free[0]["id"],
                "reason": "信息错误",
                "description": "这条记录的内容与实际不符",
                "contact_phone": "13812345678",
            },
        )
    response.raise_for_status()
    assert response.json()["created"] is True
    return response.json()["ticket"]


def request_handoff(backend_url: str, sender: str) -> dict[str, Any]:
    response = httpx.post(
        f"{backend_url}/api/v1/handoffs",
        json={"summary": "用户想咨询贷款"},
        headers=chat(sender),
    )
    response.raise_for_status()
    return response.json()["ticket"]


@pytest.fixture(scope="module")
def objection(backend_url: str) -> tuple[str, dict[str, Any]]:
    """One objection for the module: the demo enterprises have only a few records to dispute."""
    sender = f"progress-{uuid.uuid4()}"
    return sender, file_objection(backend_url, sender)


def apply_for_product(
    backend_url: str, sender: str, enterprise: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A real product application (SQ…): authorization for every institution, then a product."""
    enterprise = enterprise or bind_demo_user(backend_url, "rest", sender, index=2)
    with httpx.Client(base_url=f"{backend_url}/api/v1", headers=chat(sender)) as client:
        client.post(
            f"/enterprises/{enterprise['id']}/authorizations",
            headers={"Idempotency-Key": uuid.uuid4().hex},
            json={
                "consent": "同意",
                "notice_version": client.get("/authorizations/notice").json()["version"],
                "data_categories": ["纳税", "社保"],
                "institutions": "all",
                "period_months": 12,
            },
        ).raise_for_status()
        product = client.get("/products").json()["items"][0]
        response = client.post(
            f"/enterprises/{enterprise['id']}/applications",
            headers={"Idempotency-Key": uuid.uuid4().hex},
            json={
                "product_code": product["code"],
                "amount": product["amount_min"],
                "term_months": product["term_months_min"],
                "purpose": "购买原材料",
                "contact_phone": "13812345678",
            },
        )
    response.raise_for_status()
    return response.json()["application"]


def test_numbers_are_read_however_they_are_typed():
    assert normalise_number("ｙｙ２０２６１２１０ ０００８") == "YY202612100008"
    assert normalise_number("xf-2026-1210-0008") == "XF202612100008"


async def test_a_ticket_by_number_tells_status_history_and_deadline(make_tracker, objection):
    sender, ticket = objection
    dispatcher = CollectingDispatcher()

    text = f"帮我查下{ticket['number']}的进度"
    await ActionQueryProgress().run(
        dispatcher, asking(make_tracker, sender, text, ticket["number"]), {}
    )

    reply = texts(dispatcher)
    assert ticket["number"] in reply
    assert "异议申诉" in reply and "已提交" in reply and "办理中" in reply
    assert "办理记录" in reply
    deadline = ticket["forward_deadline"]
    assert f"{int(deadline[5:7])}月{int(deadline[8:10])}日 前转交" in reply


async def test_lower_case_full_width_number_without_entity_is_found(make_tracker, backend_url):
    sender = f"progress-{uuid.uuid4()}"
    ticket = request_handoff(backend_url, sender)
    typed = ticket["number"].lower().translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    dispatcher = CollectingDispatcher()

    await ActionQueryProgress().run(dispatcher, asking(make_tracker, sender, f"{typed}到哪了"), {})

    assert f"工单 {ticket['number']}" in texts(dispatcher)


async def test_someone_elses_number_is_answered_like_a_missing_one(make_tracker, objection):
    _, ticket = objection
    stranger = f"progress-{uuid.uuid4()}"
    foreign, missing = CollectingDispatcher(), CollectingDispatcher()

    await ActionQueryProgress().run(
        foreign, asking(make_tracker, stranger, ticket["number"], ticket["number"]), {}
    )
    await ActionQueryProgress().run(
        missing, asking(make_tracker, stranger, "YY209901010001", "YY209901010001"), {}
    )

    assert texts(foreign).startswith(f"没有查到工单 {ticket['number']}")
    assert "只能查询您本人提交的工单" in texts(foreign)
    assert ticket["record"]["title"] not in texts(foreign)
    assert texts(missing).startswith("没有查到工单 YY209901010001")


async def test_staff_status_changes_show_in_the_history(
    make_tracker, backend_url, staff_token, objection
):
    sender, ticket = objection
    httpx.post(
        f"{backend_url}/api/v1/staff/tickets/{ticket['number']}/status",
        json={"status": "已转交", "note": "已转交市市场监管局核查"},
        headers={"Authorization": f"Bearer {staff_token}"},
    ).raise_for_status()
    dispatcher = CollectingDispatcher()

    await ActionQueryProgress().run(
        dispatcher, asking(make_tracker, sender, ticket["number"], ticket["number"]), {}
    )

    reply = texts(dispatcher)
    assert "当前状态：已转交" in reply
    assert "已转交市市场监管局核查" in reply
    assert "平台工作人员" in reply


async def test_an_application_by_its_sq_number(make_tracker, backend_url):
    sender = f"progress-{uuid.uuid4()}"
    application = apply_for_product(backend_url, sender)
    dispatcher = CollectingDispatcher()

    await ActionQueryProgress().run(
        dispatcher,
        asking(make_tracker, sender, f"{application['number']}批了没", application["number"]),
        {},
    )

    reply = texts(dispatcher)
    assert f"申请 {application['number']}" in reply
    assert application["product"]["name"] in reply and "已提交" in reply


async def test_without_a_number_the_open_ones_come_as_buttons(make_tracker, backend_url):
    sender = f"progress-{uuid.uuid4()}"
    ticket = request_handoff(backend_url, sender)
    application = apply_for_product(backend_url, sender)
    dispatcher = CollectingDispatcher()

    await ActionQueryProgress().run(dispatcher, asking(make_tracker, sender, "我的申请到哪了"), {})

    (message,) = dispatcher.messages
    assert message["text"].startswith("您有 2 项正在办理")
    payloads = [button["payload"] for button in message["buttons"]]
    assert f'/query_progress{{"ticket_id": "{ticket["number"]}"}}' in payloads
    assert f'/query_progress{{"ticket_id": "{application["number"]}"}}' in payloads


async def test_nothing_filed_says_so_and_how_to_ask(make_tracker, backend_url):
    dispatcher = CollectingDispatcher()

    await ActionQueryProgress().run(
        dispatcher, asking(make_tracker, f"progress-{uuid.uuid4()}", "查进度"), {}
    )

    assert texts(dispatcher).startswith("没有查到您提交的")
    assert "buttons" not in dispatcher.messages[0] or not dispatcher.messages[0]["buttons"]


async def test_backend_down_is_said_plainly(make_tracker, monkeypatch):
    from actions.backend_client import backend

    monkeypatch.setattr(backend, "base_url", "http://127.0.0.1:9")
    backend._clients.clear()
    dispatcher = CollectingDispatcher()

    await ActionQueryProgress().run(
        dispatcher, asking(make_tracker, "progress-down", "YY202612100008", "YY202612100008"), {}
    )

    assert dispatcher.messages[0]["response"] == "utter_backend_unavailable"
