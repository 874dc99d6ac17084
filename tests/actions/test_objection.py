"""异议申诉 form against the real backend: the record found from free text or picked by a button,
confirmed, the objection filed once with its ticket number and deadline told back."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from rasa_sdk.executor import CollectingDispatcher

from actions.objection import (
    ActionAskObjectionRecord,
    ValidateObjectionForm,
    evidence_note,
    reason_of,
)
from tests.fake_wechat import MEDIA_BYTES
from tests.support import bind_demo_user

FORM = "objection_form"
GREEN, LIJI = (
    0,
    1,
)  # demo enterprises: 绿源科技 (penalty past publicity), 李记餐饮店 (recent penalty)


def values(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def records(backend_url: str, sender: str, enterprise_id: int, category: str) -> list[dict]:
    response = httpx.get(
        f"{backend_url}/api/v1/enterprises/{enterprise_id}/records",
        params={"category": category},
        headers={
            "Authorization": "Bearer dev-service-token",
            "X-Chat-Channel": "rest",
            "X-Chat-User-Id": sender,
        },
    )
    response.raise_for_status()
    return response.json()["items"]


def my_tickets(backend_url: str, sender: str, channel: str = "rest") -> list[dict]:
    response = httpx.get(
        f"{backend_url}/api/v1/me/tickets",
        headers={
            "Authorization": "Bearer dev-service-token",
            "X-Chat-Channel": channel,
            "X-Chat-User-Id": sender,
        },
    )
    response.raise_for_status()
    return response.json()["items"]


def filled(record_id: int, candidates: list[dict], **overrides: Any) -> dict[str, Any]:
    return {
        "objection_record_query": candidates,
        "objection_record": str(record_id),
        "objection_reason": "已履行或已整改",
        "objection_description": "罚款早就交清了，整改也做完了",
        "objection_evidence": "稍后补充",
        **overrides,
    }


async def start(form_turn, domain, sender: str, text: str, **kwargs: Any):
    """The form's first validation run, on the message that started it."""
    dispatcher = CollectingDispatcher()
    tracker = form_turn(sender, FORM, None, text, {}, intent="file_objection", **kwargs)
    events = await ValidateObjectionForm().run(dispatcher, tracker, domain)
    return values(events), dispatcher


async def test_the_penalty_is_found_from_the_users_own_words(form_turn, domain, backend_url):
    for index in (GREEN, LIJI):
        sender = f"obj-words-{index}-{uuid.uuid4()}"
        bind_demo_user(backend_url, channel="rest", user_id=sender, index=index)

        found, _ = await start(form_turn, domain, sender, "我那个罚款早就交了怎么还挂着")

        candidates = found["objection_record_query"]
        assert candidates, "the description must find a record"
        assert candidates[0]["category"] == "行政处罚"
        assert "objection_record" not in found  # still to be confirmed by the user


async def test_a_message_that_describes_nothing_asks_which_record(form_turn, domain, backend_url):
    sender = f"obj-plain-{uuid.uuid4()}"
    bind_demo_user(backend_url, channel="rest", user_id=sender, index=LIJI)

    found, dispatcher = await start(form_turn, domain, sender, "我要申诉")

    assert found.get("objection_record_query") is None
    assert dispatcher.messages == []


async def test_the_candidates_are_shown_to_confirm(form_turn, domain, backend_url):
    sender = f"obj-ask-{uuid.uuid4()}"
    bind_demo_user(backend_url, channel="rest", user_id=sender, index=LIJI)
    found, _ = await start(form_turn, domain, sender, "罚款交了还挂着")
    tracker = form_turn(
        sender,
        FORM,
        "objection_record",
        "",
        {},
        slots={"objection_record_query": found["objection_record_query"]},
    )
    dispatcher = CollectingDispatcher()

    await ActionAskObjectionRecord().run(dispatcher, tracker, domain)

    (message,) = dispatcher.messages
    assert "【行政处罚】" in message["text"]
    assert message["buttons"]


async def test_confirm_or_refuse_the_candidate(form_turn, domain, backend_url):
    sender = f"obj-confirm-{uuid.uuid4()}"
    bind_demo_user(backend_url, channel="rest", user_id=sender, index=LIJI)
    found, _ = await start(form_turn, domain, sender, "我那个罚款早就交了怎么还挂着")
    candidates = found["objection_record_query"][:1]
    slots = {"objection_record_query": candidates}

    dispatcher = CollectingDispatcher()
    yes = form_turn(
        sender,
        FORM,
        "objection_record",
        "是的",
        {"objection_record": "是的"},
        slots=slots,
        intent="affirm",
    )
    confirmed = values(await ValidateObjectionForm().run(dispatcher, yes, domain))
    assert confirmed["objection_record"] == str(candidates[0]["id"])

    dispatcher = CollectingDispatcher()
    no = form_turn(
        sender,
        FORM,
        "objection_record",
        "不是这条",
        {"objection_record": "不是这条"},
        slots=slots,
        intent="deny",
    )
    refused = values(await ValidateObjectionForm().run(dispatcher, no, domain))
    assert refused["objection_record"] is None
    assert refused["objection_record_query"] is None  # the description is asked again
    assert "换个说法" in texts(dispatcher)


async def test_a_record_picked_by_its_button_skips_the_search(form_turn, domain, backend_url):
    sender = f"obj-button-{uuid.uuid4()}"
    enterprise = bind_demo_user(backend_url, channel="rest", user_id=sender, index=LIJI)
    arrear = records(backend_url, sender, enterprise["id"], "水电气欠费")[0]

    found, _ = await start(
        form_turn,
        domain,
        sender,
        f'/file_objection{{"record_id": "{arrear["id"]}", "data_category": "水电气欠费"}}',
        entities=[
            {"entity": "record_id", "value": str(arrear["id"])},
            {"entity": "data_category", "value": "水电气欠费"},
        ],
    )

    assert found["objection_record"] == str(arrear["id"])
    assert found["objection_record_query"][0]["category"] == "水电气欠费"


async def test_filed_once_told_back_and_the_record_shows_under_dispute(
    form_turn, domain, backend_url
):
    sender = f"obj-file-{uuid.uuid4()}"
    enterprise = bind_demo_user(backend_url, channel="rest", user_id=sender, index=LIJI)
    found, _ = await start(form_turn, domain, sender, "我那个罚款早就交了怎么还挂着")
    candidates = found["objection_record_query"]
    penalty = candidates[0]

    dispatcher = CollectingDispatcher()
    last_answer = form_turn(
        sender,
        FORM,
        "objection_phone",
        "13912345678",
        {"objection_phone": "139 1234 5678"},
        slots=filled(penalty["id"], candidates),
    )
    submitted = values(await ValidateObjectionForm().run(dispatcher, last_answer, domain))

    told = texts(dispatcher)
    assert submitted["objection_phone"] == "13912345678"
    assert "工单号 YY" in told
    assert "异议处理中" in told
    assert "前转交省级信用平台核查" in told
    (shown,) = [
        r
        for r in records(backend_url, sender, enterprise["id"], "行政处罚")
        if r["id"] == penalty["id"]
    ]
    assert shown["status"] == "异议处理中"
    number = next(t["number"] for t in my_tickets(backend_url, sender))

    # A second objection on the same record, another message: the open ticket is told.
    dispatcher = CollectingDispatcher()
    again = form_turn(
        sender,
        FORM,
        "objection_phone",
        "13912345678",
        {"objection_phone": "13912345678"},
        slots=filled(penalty["id"], candidates, objection_reason="信息错误"),
    )
    await ValidateObjectionForm().run(dispatcher, again, domain)
    assert "已有一件办理中的异议申诉" in texts(dispatcher)
    assert number in texts(dispatcher)
    assert len(my_tickets(backend_url, sender)) == 1


async def test_a_redelivered_last_answer_creates_one_ticket(form_turn, domain, backend_url):
    sender = f"obj-redeliver-{uuid.uuid4()}"
    enterprise = bind_demo_user(backend_url, channel="rest", user_id=sender, index=GREEN)
    licence = records(backend_url, sender, enterprise["id"], "行政许可")[0]
    candidates = [{**licence}]
    message_id = uuid.uuid4().hex
    told = []
    for _ in range(2):  # WeChat retries the same message (same message id)
        dispatcher = CollectingDispatcher()
        tracker = form_turn(
            sender,
            FORM,
            "objection_phone",
            "13912345678",
            {"objection_phone": "13912345678"},
            slots=filled(licence["id"], candidates, objection_reason="信息错误"),
            message_id=message_id,
        )
        await ValidateObjectionForm().run(dispatcher, tracker, domain)
        told.append(texts(dispatcher))

    assert "工单号 YY" in told[0]
    assert told[0] == told[1]
    assert len([t for t in my_tickets(backend_url, sender) if t["number"] in told[0]]) == 1
    assert len(my_tickets(backend_url, sender)) == 1


async def test_a_wrong_phone_is_asked_again(form_turn, domain, backend_url):
    sender = f"obj-phone-{uuid.uuid4()}"
    bind_demo_user(backend_url, channel="rest", user_id=sender, index=LIJI)
    dispatcher = CollectingDispatcher()
    tracker = form_turn(
        sender,
        FORM,
        "objection_phone",
        "12345",
        {"objection_phone": "12345"},
        slots=filled(1, []),
    )

    result = values(await ValidateObjectionForm().run(dispatcher, tracker, domain))

    assert result["objection_phone"] is None
    assert "11位" in texts(dispatcher)
    assert my_tickets(backend_url, sender, channel="wechat") == []


def test_reasons_and_evidence_in_the_users_words():
    assert reason_of("已履行或已整改") == "已履行或已整改"
    assert reason_of("罚款早就交了") == "已履行或已整改"
    assert reason_of("这不是我们公司的") == "非本企业"
    assert reason_of("金额写错了") == "信息错误"
    assert reason_of("已经修复了但是没更新") == "已修复未更新"
    assert reason_of("随便") is None
    assert evidence_note("没有") == "暂无"
    assert evidence_note("稍后补充") == "稍后补充"
    assert evidence_note("收据在家，晚点发给你") == "稍后补充"
    assert evidence_note("有缴款收据和整改报告") == "有缴款收据和整改报告"


async def test_an_answer_the_nlu_took_for_a_policy_question_is_still_the_answer(
    form_turn, domain, backend_url
):
    sender = f"obj-faq-{uuid.uuid4()}"
    bind_demo_user(backend_url, channel="rest", user_id=sender, index=LIJI)
    slots = filled(8, [], objection_evidence=None, objection_phone=None)

    answer = form_turn(
        sender, FORM, "objection_evidence", "有缴款收据，稍后补充", {}, slots=slots, intent="faq"
    )
    taken = values(await ValidateObjectionForm().run(CollectingDispatcher(), answer, domain))
    assert taken["objection_evidence"] == "稍后补充"

    question = form_turn(
        sender, FORM, "objection_evidence", "异议要多久处理完", {}, slots=slots, intent="faq"
    )
    # Nothing for the form: Rasa rejects the form's turn and the faq rule answers the question.
    assert await ValidateObjectionForm().run(CollectingDispatcher(), question, domain) == []


async def test_a_resumed_form_does_not_confirm_the_record_again(form_turn, domain, backend_url):
    sender = f"obj-resume-{uuid.uuid4()}"
    bind_demo_user(backend_url, channel="rest", user_id=sender, index=LIJI)
    found, _ = await start(form_turn, domain, sender, "我那个罚款早就交了怎么还挂着")
    candidates = found["objection_record_query"][:1]
    record_id = str(candidates[0]["id"])
    dispatcher = CollectingDispatcher()
    # On resume the form validates the slots it already holds.
    resumed = form_turn(
        sender,
        FORM,
        None,
        "继续",
        {"objection_record_query": candidates, "objection_record": record_id},
        intent="resume",
    )

    result = values(await ValidateObjectionForm().run(dispatcher, resumed, domain))

    assert result["objection_record"] == record_id
    assert dispatcher.messages == []


def upload_image(backend_url: str, sender: str) -> str:
    """What bot/channels/wechat.py does with an image before the bot sees it: the bytes it
    downloaded from WeChat, stored in the backend as the user's evidence file."""
    response = httpx.post(
        f"{backend_url}/api/v1/evidence-files",
        content=MEDIA_BYTES,
        headers={
            "Authorization": "Bearer dev-service-token",
            "X-Chat-Channel": "wechat",
            "X-Chat-User-Id": sender,
        },
    )
    assert response.status_code in (200, 201), response.text
    return response.json()["id"]


def image_turn(form_turn, sender: str, wechat: dict[str, Any]):
    """The user sent an image while the form asked for evidence; `wechat` is what the channel
    added to the message metadata (evidence_file_id, or evidence_error)."""
    slots = filled(8, [], objection_evidence=None, objection_phone=None)
    # The NLU's intent for "[图片]" is whatever it is (here one the slot mapping skips), the
    # image is still the answer.
    image = form_turn(
        sender,
        FORM,
        "objection_evidence",
        "[图片]",
        {},
        slots=slots,
        intent="help",
        channel="wechat",
    )
    image.events[1]["metadata"] = {
        "wechat": {"msg_type": "image", "media_id": "MEDIA_abc-123", "pic_url": "http://x/1.jpg"}
        | wechat
    }
    return image


async def test_an_image_sent_on_wechat_is_filed_as_evidence(form_turn, domain, backend_url):
    sender = f"obj-image-{uuid.uuid4()}"
    # 绿源科技's penalty: the other tests dispute 李记's (a second objection gets their ticket).
    bind_demo_user(backend_url, channel="wechat", user_id=sender, index=GREEN)
    file_id = upload_image(backend_url, sender)
    slots = filled(8, [], objection_evidence=None, objection_phone=None)
    image = image_turn(form_turn, sender, {"evidence_file_id": file_id})
    dispatcher = CollectingDispatcher()
    taken = values(await ValidateObjectionForm().run(dispatcher, image, domain))
    assert taken["objection_evidence"] == f"微信图片 #file:{file_id}"
    assert "图片已收到" in texts(dispatcher)
    # Resumed later (继续): the form validates the evidence it holds again, and keeps the image.
    resumed = form_turn(
        sender,
        FORM,
        None,
        "继续",
        {"objection_evidence": taken["objection_evidence"]},
        slots=slots,
        intent="resume",
        channel="wechat",
    )
    again = values(await ValidateObjectionForm().run(CollectingDispatcher(), resumed, domain))
    assert again["objection_evidence"] == f"微信图片 #file:{file_id}"

    found, _ = await start(
        form_turn, domain, sender, "我那个罚款早就交了怎么还挂着", channel="wechat"
    )
    candidates = found["objection_record_query"]
    last_answer = form_turn(
        sender,
        FORM,
        "objection_phone",
        "13912345678",
        {"objection_phone": "13912345678"},
        slots=filled(
            candidates[0]["id"], candidates, objection_evidence=taken["objection_evidence"]
        ),
        channel="wechat",
    )
    dispatcher = CollectingDispatcher()
    await ValidateObjectionForm().run(dispatcher, last_answer, domain)
    number = re.search(r"YY\d+", texts(dispatcher)).group(0)
    ticket = httpx.get(
        f"{backend_url}/api/v1/tickets/{number}",
        headers={
            "Authorization": "Bearer dev-service-token",
            "X-Chat-Channel": "wechat",
            "X-Chat-User-Id": sender,
        },
    ).json()
    assert ticket.get("evidence") == [{"type": "upload", "id": file_id}], ticket
    assert "#file" not in ticket["description"] and "微信图片" in ticket["description"]


async def test_an_image_the_channel_could_not_keep_is_asked_for_again(form_turn, domain):
    sender = f"obj-image-lost-{uuid.uuid4()}"
    image = image_turn(form_turn, sender, {"evidence_error": True})
    dispatcher = CollectingDispatcher()

    taken = values(await ValidateObjectionForm().run(dispatcher, image, domain))

    assert taken["objection_evidence"] is None  # asked again
    said = texts(dispatcher)
    assert "没能保存" in said and "再发送一次" in said and "文字说明" in said
    assert "图片已收到" not in said


async def test_an_evidence_file_the_backend_does_not_know_is_asked_for_again(
    form_turn, domain, backend_url
):
    sender = f"obj-image-foreign-{uuid.uuid4()}"
    bind_demo_user(backend_url, channel="wechat", user_id=sender, index=GREEN)
    someone_elses = upload_image(backend_url, f"someone-else-{uuid.uuid4()}")
    found, _ = await start(
        form_turn, domain, sender, "我那个罚款早就交了怎么还挂着", channel="wechat"
    )
    candidates = found["objection_record_query"]
    last_answer = form_turn(
        sender,
        FORM,
        "objection_phone",
        "13912345678",
        {"objection_phone": "13912345678"},
        slots=filled(
            candidates[0]["id"], candidates, objection_evidence=f"微信图片 #file:{someone_elses}"
        ),
        channel="wechat",
    )
    dispatcher = CollectingDispatcher()

    changed = values(await ValidateObjectionForm().run(dispatcher, last_answer, domain))

    assert changed["objection_evidence"] is None
    assert "证明材料" in texts(dispatcher) and "YY" not in texts(dispatcher)
    assert my_tickets(backend_url, sender, channel="wechat") == []
