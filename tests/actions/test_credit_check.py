"""信用自查 actions against the real backend."""

from __future__ import annotations

import uuid

from rasa_sdk.executor import CollectingDispatcher

from actions.backend_client import backend
from actions.credit_check import ActionCreditCheck
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
