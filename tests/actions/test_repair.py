"""信用修复 form against the real backend: a record inside its minimum publicity period is told its
date and the form ends; otherwise commitment, proof in words, contact → one XF ticket."""

from __future__ import annotations

import uuid
from datetime import date

from rasa_sdk.executor import CollectingDispatcher

from actions.repair import ActionAskRepairCommitment, ValidateRepairForm, not_repairable_reason
from tests.actions.test_objection import my_tickets, texts, values
from tests.support import bind_demo_user

FORM = "repair_form"
GREEN, LIJI = 0, 1


async def found_penalty(form_turn, domain, sender: str) -> list[dict]:
    tracker = form_turn(sender, FORM, None, "那个罚款记录我想修复掉", {}, intent="credit_repair")
    events = await ValidateRepairForm().run(CollectingDispatcher(), tracker, domain)
    return values(events)["repair_record_query"]


async def test_a_penalty_inside_its_publicity_period_is_told_the_date_and_ends(
    form_turn, domain, backend_url
):
    sender = f"rep-early-{uuid.uuid4()}"
    bind_demo_user(backend_url, channel="rest", user_id=sender, index=LIJI)
    candidates = await found_penalty(form_turn, domain, sender)
    assert candidates[0]["category"] == "行政处罚"
    dispatcher = CollectingDispatcher()
    yes = form_turn(
        sender,
        FORM,
        "repair_record",
        "是的",
        {"repair_record": "是的"},
        slots={"repair_record_query": candidates[:1]},
        intent="affirm",
    )

    result = values(await ValidateRepairForm().run(dispatcher, yes, domain))

    repairable_after = date.fromisoformat(candidates[0]["repairable_after"])
    assert result["requested_slot"] is None  # the form ends here
    told = texts(dispatcher)
    assert f"{repairable_after.year}年{repairable_after.month}月{repairable_after.day}日" in told
    assert "才能申请" in told


async def test_repair_filed_with_the_commitment_shown_and_proof_in_words(
    form_turn, domain, backend_url
):
    sender = f"rep-file-{uuid.uuid4()}"
    bind_demo_user(backend_url, channel="rest", user_id=sender, index=GREEN)
    candidates = (await found_penalty(form_turn, domain, sender))[:1]

    dispatcher = CollectingDispatcher()
    yes = form_turn(
        sender,
        FORM,
        "repair_record",
        "对",
        {"repair_record": "对"},
        slots={"repair_record_query": candidates},
        intent="affirm",
    )
    confirmed = values(await ValidateRepairForm().run(dispatcher, yes, domain))
    assert confirmed["repair_record"] == str(candidates[0]["id"])

    dispatcher = CollectingDispatcher()
    shown = await ActionAskRepairCommitment().run(
        dispatcher, form_turn(sender, FORM, "repair_commitment", "", {}), domain
    )
    version = values(shown)["repair_commitment_shown"]
    assert "信用修复承诺书" in texts(dispatcher)
    assert all(len(m["text"].encode()) <= 2048 for m in dispatcher.messages)

    slots = {
        "repair_record_query": candidates,
        "repair_record": str(candidates[0]["id"]),
        "repair_commitment_shown": version,
    }
    dispatcher = CollectingDispatcher()
    refuse = form_turn(
        sender,
        FORM,
        "repair_commitment",
        "不同意",
        {"repair_commitment": "不同意"},
        slots=slots,
        intent="deny",
    )
    assert (
        values(await ValidateRepairForm().run(dispatcher, refuse, domain))["repair_commitment"]
        is None
    )

    agree = form_turn(
        sender,
        FORM,
        "repair_commitment",
        "同意",
        {"repair_commitment": "同意"},
        slots=slots,
        intent="affirm",
    )
    agreed = values(await ValidateRepairForm().run(CollectingDispatcher(), agree, domain))
    assert agreed["repair_commitment"] == version

    dispatcher = CollectingDispatcher()
    no_proof = form_turn(
        sender, FORM, "repair_proof", "没有", {"repair_proof": "没有"}, slots=slots
    )
    assert (
        values(await ValidateRepairForm().run(dispatcher, no_proof, domain))["repair_proof"] is None
    )
    assert "整改证明" in texts(dispatcher)

    complete = {
        **slots,
        "repair_commitment": version,
        "repair_proof": "罚款已于2026年6月1日缴清，危废标志已按要求设置",
    }
    message_id = uuid.uuid4().hex
    told = []
    for _ in range(2):  # a redelivered last answer
        dispatcher = CollectingDispatcher()
        last = form_turn(
            sender,
            FORM,
            "repair_phone",
            "13912345678",
            {"repair_phone": "13912345678"},
            slots=complete,
            message_id=message_id,
        )
        await ValidateRepairForm().run(dispatcher, last, domain)
        told.append(texts(dispatcher))
    assert "信用修复申请已提交，工单号 XF" in told[0]
    assert told[0] == told[1]
    tickets = my_tickets(backend_url, sender)
    assert len(tickets) == 1
    assert tickets[0]["number"] in told[0]

    # Another message, same record: the open repair is told, no second ticket.
    dispatcher = CollectingDispatcher()
    again = form_turn(
        sender,
        FORM,
        "repair_phone",
        "13912345678",
        {"repair_phone": "13912345678"},
        slots=complete,
    )
    await ValidateRepairForm().run(dispatcher, again, domain)
    assert "已有一件办理中的信用修复申请" in texts(dispatcher)
    assert len(my_tickets(backend_url, sender)) == 1


def test_only_penalties_and_dishonesty_records_can_be_repaired():
    today = date(2026, 11, 21)
    arrear = {"category": "水电气欠费", "repairable_after": None}
    assert "只适用于行政处罚和严重失信名单" in not_repairable_reason(arrear, today)
    early = {"category": "行政处罚", "repairable_after": "2027-01-12"}
    assert "2027年1月12日" in not_repairable_reason(early, today)
    due = {"category": "严重失信名单", "repairable_after": "2026-11-21"}
    assert not_repairable_reason(due, today) is None


async def test_a_phone_number_is_no_proof(form_turn, domain, backend_url):
    sender = f"rep-proof-{uuid.uuid4()}"
    bind_demo_user(backend_url, channel="rest", user_id=sender, index=GREEN)
    dispatcher = CollectingDispatcher()
    tracker = form_turn(
        sender,
        FORM,
        "repair_proof",
        "13912345678",
        {"repair_proof": "13912345678"},
        slots={"repair_record": "1", "repair_commitment": "v1"},
    )

    result = values(await ValidateRepairForm().run(dispatcher, tracker, domain))

    assert result["repair_proof"] is None
    assert "整改证明" in texts(dispatcher)
