"""信用自查 actions against the real backend."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import httpx
from rasa_sdk.executor import CollectingDispatcher

from actions.backend_client import BackendUnavailable, backend
from actions.credit_check import (
    ActionCreditCheck,
    category_of,
    details_buttons,
    details_messages,
    wechat_messages,
)
from tests.support import bind_demo_user, free_port


async def test_unregistered_user_is_led_to_registration(make_tracker, dispatcher):
    tracker = make_tracker(f"new-{uuid.uuid4()}", "credit_check", "我想查一下我们公司的信用")

    events = await ActionCreditCheck().run(dispatcher, tracker, {})

    assert events == []
    assert [message["response"] for message in dispatcher.messages] == [
        "utter_registration_required"
    ]


async def test_bound_user_gets_the_summary_of_their_enterprise(
    make_tracker, dispatcher: CollectingDispatcher, backend_url: str
):
    sender = f"bound-{uuid.uuid4()}"
    enterprise = bind_demo_user(backend_url, channel="rest", user_id=sender)
    tracker = make_tracker(sender, "credit_check", "查信用")

    await ActionCreditCheck().run(dispatcher, tracker, {})

    (message,) = dispatcher.messages
    assert enterprise["name"] in message["text"]
    assert "行政处罚" in message["text"]
    assert "白名单" in message["text"]
    # The last line links the full report; the backend serves it to a browser without a token.
    link = message["text"].splitlines()[-1]
    assert link.startswith("完整信用报告（") and "前有效" in link
    url = link.split("：", 1)[1]
    assert sender not in url
    page = httpx.get(f"{backend_url}{urlsplit(url).path}")
    assert page.status_code == 200
    assert enterprise["name"] in page.text


async def test_the_summary_goes_out_without_a_link_when_none_can_be_made(
    make_tracker, dispatcher: CollectingDispatcher, backend_url: str, monkeypatch
):
    sender = f"bound-nolink-{uuid.uuid4()}"
    enterprise = bind_demo_user(backend_url, channel="rest", user_id=sender)
    tracker = make_tracker(sender, "credit_check", "查信用")

    async def refused(*args, **kwargs):
        raise BackendUnavailable("the backend is down")

    monkeypatch.setattr(backend, "report_link", refused)
    await ActionCreditCheck().run(dispatcher, tracker, {})

    (message,) = dispatcher.messages
    assert enterprise["name"] in message["text"]
    assert "完整信用报告" not in message["text"]


async def test_a_binding_on_another_channel_does_not_count(make_tracker, dispatcher, backend_url):
    sender = f"wechat-only-{uuid.uuid4()}"
    bind_demo_user(backend_url, channel="wechat", user_id=sender)
    tracker = make_tracker(sender, "credit_check", "查信用", channel="rest")

    await ActionCreditCheck().run(dispatcher, tracker, {})

    assert dispatcher.messages[0]["response"] == "utter_registration_required"


async def test_backend_down_says_so_and_offers_the_hotline(make_tracker, dispatcher, monkeypatch):
    monkeypatch.setattr(backend, "base_url", f"http://127.0.0.1:{free_port()}")
    backend._clients.clear()
    tracker = make_tracker(f"u-{uuid.uuid4()}", "credit_check", "查信用")

    await ActionCreditCheck().run(dispatcher, tracker, {})

    assert [message["response"] for message in dispatcher.messages] == ["utter_backend_unavailable"]


def _tracker_asking_for(make_tracker, sender: str, text: str, category: str):
    tracker = make_tracker(sender, "credit_check", text)
    tracker.latest_message["entities"] = [{"entity": "data_category", "value": category}]
    return tracker


async def test_one_categorys_details_on_request(make_tracker, dispatcher, backend_url):
    sender = f"details-{uuid.uuid4()}"
    bind_demo_user(backend_url, channel="rest", user_id=sender, index=1)
    # The NLU's synonym for 水电气 serves authorization scopes too; it means the arrears here.
    tracker = _tracker_asking_for(make_tracker, sender, "看看水电气欠费", "水电气")

    await ActionCreditCheck().run(dispatcher, tracker, {})

    text = "\n".join(m["text"] for m in dispatcher.messages)
    assert "【水电气欠费】共 1 条" in text
    assert "燃气费欠费" in text
    assert "李秀兰" not in text
    buttons = dispatcher.messages[-1]["buttons"]
    assert buttons[0]["payload"].startswith('/file_objection{"record_id": "')
    assert all(len(m["text"].encode()) <= 2048 for m in dispatcher.messages)


async def test_penalty_details_offer_objection_and_repair(make_tracker, dispatcher, backend_url):
    sender = f"details-penalty-{uuid.uuid4()}"
    bind_demo_user(backend_url, channel="rest", user_id=sender, index=0)
    tracker = _tracker_asking_for(make_tracker, sender, "看看罚款", "行政处罚")

    await ActionCreditCheck().run(dispatcher, tracker, {})

    assert "可申请信用修复日期" in dispatcher.messages[0]["text"]
    payloads = [b["payload"] for b in dispatcher.messages[-1]["buttons"]]
    assert any(p.startswith("/file_objection") for p in payloads)
    assert any(p.startswith("/credit_repair") for p in payloads)


async def test_the_summary_offers_the_categories_with_records(
    make_tracker, dispatcher, backend_url
):
    sender = f"summary-buttons-{uuid.uuid4()}"
    bind_demo_user(backend_url, channel="rest", user_id=sender, index=1)

    await ActionCreditCheck().run(dispatcher, make_tracker(sender, "credit_check", "查信用"), {})

    titles = [b["title"] for b in dispatcher.messages[-1]["buttons"]]
    assert "看行政处罚" in titles
    assert "看水电气欠费" in titles
    assert "看严重失信名单" not in titles  # no records there


def test_records_under_dispute_are_marked():
    listing = {
        "category": "行政处罚",
        "public": True,
        "items": [
            {
                "id": 7,
                "category": "行政处罚",
                "title": "示范市市场监督管理局行政处罚决定书",
                "content": "罚款3,000元。",
                "document_no": "示市监罚〔2026〕1号",
                "amount": 3000.0,
                "value": None,
                "authority": "示范市市场监督管理局",
                "decided_on": "2026-10-12",
                "publicity_end_on": "2027-10-12",
                "repairable_after": "2027-01-12",
                "status": "异议处理中",
            }
        ],
    }
    (text,) = details_messages(listing)
    assert "其中 1 条异议处理中" in text
    assert "示范市市场监督管理局行政处罚决定书〔异议处理中〕" in text
    # No second objection offered on a record already under dispute.
    assert not any(b["payload"].startswith("/file_objection") for b in details_buttons(listing))


def test_long_details_are_split_under_wechats_limit():
    record = {
        "id": 1,
        "category": "行政许可",
        "title": "食品经营许可证" * 3,
        "content": "许可内容" * 80,
        "document_no": "JY1329902000001",
        "amount": None,
        "value": None,
        "authority": "示范市城西区市场监督管理局",
        "decided_on": "2026-01-01",
        "publicity_end_on": None,
        "repairable_after": None,
        "status": "正常",
    }
    listing = {"category": "行政许可", "public": True, "items": [record] * 30}

    messages = details_messages(listing)

    assert len(messages) > 1
    assert all(len(m.encode()) <= 2048 for m in messages)
    assert "另有 22 条未逐条列出" in messages[-1]
    assert wechat_messages(["很长" * 2000])[0].endswith("…")


def test_category_words_mean_the_backends_categories():
    assert category_of("罚款") == "行政处罚"
    assert category_of("水电气") == "水电气欠费"
    assert category_of("社保") == "社保欠缴"
    assert category_of("纳税") == "纳税信用等级"
    assert category_of("失信") == "严重失信名单"
    assert category_of("行政许可") == "行政许可"
    assert category_of("天气") is None
