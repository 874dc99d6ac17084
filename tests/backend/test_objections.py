"""异议申诉: a bound user files an objection; the record shows 异议处理中, the forwarding deadline
is 2 working days, one open objection per record, and staff move it 已提交 → 已转交 → 核查中 →
已更正 / 维持原记录 → 已告知 with a history, the record returning to 正常 when it closes."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from support import bound_enterprise, chat
from ticket_helpers import (
    NOW_DEADLINE,
    clock_fixture,  # noqa: F401 (fixture)
    objection_body,
    record_of,
    upload_evidence,
)

from app.enums import CreditCategory
from app.models import AuditEntry, CreditRecord, IdempotencyRecord, Ticket, TicketEvent
from app.services.working_days import CHINA_TZ


def _file(client: TestClient, enterprise_id: int, body: dict, user: str = "oLi", key=None):
    headers = chat(user)
    if key:
        headers["Idempotency-Key"] = key
    return client.post(
        f"/api/v1/enterprises/{enterprise_id}/objections", json=body, headers=headers
    )


def _move(client: TestClient, headers: dict, number: str, status: str, note: str | None = None):
    body = {"status": status} if note is None else {"status": status, "note": note}
    return client.post(f"/api/v1/staff/tickets/{number}/status", json=body, headers=headers)


def _diner(bind, demo_city, session: Session, user: str = "oLi"):
    diner = demo_city[1]
    enterprise_id = bound_enterprise(bind, diner, user)
    penalty = record_of(session, diner.uscc, CreditCategory.ADMINISTRATIVE_PENALTY)
    return enterprise_id, penalty


def test_an_objection_opens_a_ticket_and_marks_the_record(
    client: TestClient, bind, demo_city, session: Session, clock
) -> None:
    enterprise_id, penalty = _diner(bind, demo_city, session)
    receipt = upload_evidence(client, "oLi")

    response = _file(client, enterprise_id, objection_body(penalty.id, evidence=[receipt]))

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["created"] is True
    ticket = body["ticket"]
    assert re.fullmatch(r"YY20260630\d{4}", ticket["number"])
    assert ticket["kind"] == "异议申诉"
    assert ticket["status"] == "已提交"
    assert ticket["open"] is True
    assert ticket["enterprise_id"] == enterprise_id
    assert ticket["forward_deadline"] == NOW_DEADLINE.isoformat() == "2026-07-02"
    assert ticket["record"]["id"] == penalty.id
    assert ticket["record"]["status"] == "异议处理中"
    assert ticket["reason"] == "已履行或已整改"
    assert ticket["evidence"] == [receipt]
    assert ticket["contact_phone"] == "138****5678"
    assert [(h["from_status"], h["to_status"], h["by"]) for h in ticket["history"]] == [
        (None, "已提交", "本人")
    ]
    session.expire_all()
    assert session.get(CreditRecord, penalty.id).status == "异议处理中"
    stored = session.scalars(select(Ticket).where(Ticket.number == ticket["number"])).one()
    assert stored.contact_phone == "13812345678"  # kept for the call-back, masked on display


def test_evidence_must_be_files_the_user_uploaded(
    client: TestClient, bind, demo_city, session: Session, clock
) -> None:
    enterprise_id, penalty = _diner(bind, demo_city, session)
    own = upload_evidence(client, "oLi")
    theirs = upload_evidence(client, "oZhang")  # the same bytes, but not this user's upload
    assert theirs["id"] != own["id"]
    missing = {"type": "upload", "id": "ev_00000000000000000000000000000000"}
    app_user = upload_evidence(client, "oLi", channel="app")  # same person id, other channel

    answers = [
        _file(client, enterprise_id, objection_body(penalty.id, evidence=[own, ref]), key=key)
        for ref, key in ((theirs, "ev-ref-0001"), (missing, "ev-ref-0002"), (app_user, None))
    ]

    for refused in answers:
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "evidence_not_found"
        assert refused.json()["fields"] == ["evidence"]
        assert "\u4e00" <= refused.json()["message"][0] <= "\u9fff"
    assert answers[0].json() == answers[1].json()  # someone else's file is like a missing one
    session.expire_all()
    assert session.get(CreditRecord, penalty.id).status == "正常"
    assert session.scalar(select(func.count()).select_from(Ticket)) == 0
    assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0


def test_the_deadline_skips_the_national_day_holiday(
    client: TestClient, bind, demo_city, session: Session, clock
) -> None:
    clock(datetime(2025, 9, 30, 15, 0, tzinfo=CHINA_TZ))
    enterprise_id, penalty = _diner(bind, demo_city, session)

    ticket = _file(client, enterprise_id, objection_body(penalty.id)).json()["ticket"]

    assert ticket["number"].startswith("YY20250930")
    assert ticket["forward_deadline"] == "2025-10-10"


def test_the_day_is_the_china_day(
    client: TestClient, bind, demo_city, session: Session, clock
) -> None:
    # 16:30 UTC on Thursday 2025-10-09 is 00:30 on Friday 10-10 in China: count from Saturday
    # 10-11 (a make-up working day) and Monday 10-13.
    clock(datetime(2025, 10, 9, 16, 30, tzinfo=UTC))
    enterprise_id, penalty = _diner(bind, demo_city, session)

    ticket = _file(client, enterprise_id, objection_body(penalty.id)).json()["ticket"]

    assert ticket["number"].startswith("YY20251010")
    assert ticket["forward_deadline"] == "2025-10-13"


def test_a_second_objection_on_the_record_returns_the_open_one(
    client: TestClient, bind, demo_city, session: Session, clock
) -> None:
    enterprise_id, penalty = _diner(bind, demo_city, session)
    first = _file(client, enterprise_id, objection_body(penalty.id)).json()["ticket"]
    # Another user of the same enterprise, other words, no idempotency key.
    bound_enterprise(bind, demo_city[1], "oLiWife", role="经办人", person_name="王芳")
    second = _file(
        client,
        enterprise_id,
        objection_body(penalty.id, reason="信息错误", description="这个罚款不对"),
        user="oLiWife",
    )

    assert second.status_code == 200
    assert second.json()["created"] is False
    assert second.json()["ticket"]["number"] == first["number"]
    count = session.scalar(
        select(func.count()).select_from(Ticket).where(Ticket.record_id == penalty.id)
    )
    assert count == 1


def test_the_same_key_replays_and_a_reused_key_is_refused(
    client: TestClient, bind, demo_city, session: Session, clock
) -> None:
    enterprise_id, penalty = _diner(bind, demo_city, session)
    first = _file(client, enterprise_id, objection_body(penalty.id), key="wx-msg-000001")
    again = _file(client, enterprise_id, objection_body(penalty.id), key="wx-msg-000001")

    assert (
        (again.status_code, again.json())
        == (first.status_code, first.json())
        == (
            201,
            first.json(),
        )
    )
    changed = _file(
        client, enterprise_id, objection_body(penalty.id, description="改了"), key="wx-msg-000001"
    )
    assert changed.status_code == 422
    assert changed.json()["code"] == "idempotency_key_reused"


def test_only_a_bound_user_and_only_the_enterprises_own_records(
    client: TestClient, bind, demo_city, session: Session, clock
) -> None:
    enterprise_id, penalty = _diner(bind, demo_city, session)
    green = demo_city[0]
    bound_enterprise(bind, green, "oZhang")
    green_penalty = record_of(session, green.uscc, CreditCategory.ADMINISTRATIVE_PENALTY)

    stranger = _file(client, enterprise_id, objection_body(penalty.id), user="oStranger")
    assert stranger.status_code == 403
    assert stranger.json()["code"] == "not_bound"

    foreign = _file(client, enterprise_id, objection_body(green_penalty.id))
    missing = _file(client, enterprise_id, objection_body(2_000_000_000))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    assert foreign.json()["code"] == "record_not_found"
    session.expire_all()
    assert session.get(CreditRecord, green_penalty.id).status == "正常"
    assert session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_staff_move_it_to_corrected_and_the_record_returns_to_normal(
    client: TestClient, bind, demo_city, session: Session, clock, staff_headers
) -> None:
    enterprise_id, penalty = _diner(bind, demo_city, session)
    number = _file(client, enterprise_id, objection_body(penalty.id)).json()["ticket"]["number"]
    staff = staff_headers()

    for status in ("已转交", "核查中"):
        moved = _move(client, staff, number, status)
        assert moved.status_code == 200, moved.text
        assert moved.json()["status"] == status
        assert moved.json()["open"] is True
    session.expire_all()
    assert session.get(CreditRecord, penalty.id).status == "异议处理中"

    corrected = _move(client, staff, number, "已更正", note="经核实罚款已于5月缴清，已更正。")
    assert corrected.status_code == 200
    ticket = corrected.json()
    assert ticket["open"] is False
    assert ticket["closed_at"] is not None
    assert ticket["record"]["status"] == "正常"
    session.expire_all()
    record = session.get(CreditRecord, penalty.id)
    assert record.status == "正常"
    assert record.corrected_at is not None

    told = _move(client, staff, number, "已告知")
    assert told.status_code == 200
    history = told.json()["history"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "已提交"),
        ("已提交", "已转交"),
        ("已转交", "核查中"),
        ("核查中", "已更正"),
        ("已更正", "已告知"),
    ]
    assert [h["by"] for h in history] == ["本人"] + ["平台工作人员"] * 4
    audited = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "ticket_status_change", AuditEntry.subject_id == number
        )
    ).all()
    assert [(a.actor_type, a.details["to"]) for a in audited] == [
        ("staff", s) for s in ("已转交", "核查中", "已更正", "已告知")
    ]
    assert history[3]["note"] == "经核实罚款已于5月缴清，已更正。"
    assert all(h["at"] for h in history)
    events = session.scalar(
        select(func.count()).select_from(TicketEvent).join(Ticket).where(Ticket.number == number)
    )
    assert events == 5

    # Closed: the record can take a new objection.
    again = _file(client, enterprise_id, objection_body(penalty.id, reason="其他"))
    assert again.status_code == 201
    assert again.json()["ticket"]["number"] != number


def test_upheld_returns_the_record_to_normal_without_marking_it_corrected(
    client: TestClient, bind, demo_city, session: Session, clock, staff_headers
) -> None:
    enterprise_id, penalty = _diner(bind, demo_city, session)
    number = _file(client, enterprise_id, objection_body(penalty.id)).json()["ticket"]["number"]
    staff = staff_headers()
    for status in ("已转交", "核查中", "维持原记录"):
        assert _move(client, staff, number, status).status_code == 200

    session.expire_all()
    record = session.get(CreditRecord, penalty.id)
    assert record.status == "正常"
    assert record.corrected_at is None


def test_invalid_moves_are_refused_with_409(
    client: TestClient, bind, demo_city, session: Session, clock, staff_headers
) -> None:
    enterprise_id, penalty = _diner(bind, demo_city, session)
    number = _file(client, enterprise_id, objection_body(penalty.id)).json()["ticket"]["number"]
    staff = staff_headers()

    for status in ("核查中", "已更正", "已告知", "已提交", "处理中", "已办结"):
        refused = _move(client, staff, number, status)
        assert refused.status_code == 409, status
        assert refused.json()["code"] == "invalid_transition"
        assert "已提交" in refused.json()["message"]
        assert "已转交" in refused.json()["message"]  # what it could move to

    unknown = _move(client, staff, number, "完成")
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "invalid_input"
    assert "状态只能是" in unknown.json()["message"]

    for status in ("已转交", "核查中", "维持原记录", "已告知"):
        assert _move(client, staff, number, status).status_code == 200
    final = _move(client, staff, number, "已转交")
    assert final.status_code == 409
    assert "已办结" in final.json()["message"]

    missing = _move(client, staff, "YY209901010001", "已转交")
    assert missing.status_code == 404
    assert missing.json()["code"] == "ticket_not_found"


def test_status_moves_need_a_staff_token(
    client: TestClient, bind, demo_city, session: Session, clock
) -> None:
    enterprise_id, penalty = _diner(bind, demo_city, session)
    number = _file(client, enterprise_id, objection_body(penalty.id)).json()["ticket"]["number"]

    # The service token the action server holds is not a staff token.
    refused = client.post(f"/api/v1/staff/tickets/{number}/status", json={"status": "已转交"})
    assert refused.status_code == 401
    session.expire_all()
    assert session.scalars(select(Ticket.status).where(Ticket.number == number)).one() == "已提交"


def test_a_year_the_calendar_does_not_know_is_refused_cleanly(
    client: TestClient, bind, demo_city, session: Session, clock
) -> None:
    # Wednesday 2026-12-30: the second working day after it falls in 2027.
    clock(datetime(2026, 12, 30, 10, 0, tzinfo=CHINA_TZ))
    enterprise_id, penalty = _diner(bind, demo_city, session)

    response = _file(client, enterprise_id, objection_body(penalty.id))

    assert response.status_code == 503
    assert response.json()["code"] == "working_calendar_unavailable"
    assert "2027年" in response.json()["message"]
    session.expire_all()
    assert session.get(CreditRecord, penalty.id).status == "正常"
    assert session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_the_description_is_stored_masked(
    client: TestClient, bind, demo_city, session: Session, clock
) -> None:
    enterprise_id, penalty = _diner(bind, demo_city, session)
    description = "李秀兰已在5月交清罚款，有事打13900001111，身份证110101199003071234。"

    ticket = _file(client, enterprise_id, objection_body(penalty.id, description=description))

    stored = session.scalars(select(Ticket.description)).one()
    assert stored == "李*兰已在5月交清罚款，有事打139****1111，身份证110101********1234。"
    assert ticket.json()["ticket"]["description"] == stored
