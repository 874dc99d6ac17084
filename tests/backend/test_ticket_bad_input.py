"""Bad input never breaks the ticket endpoints: every invalid request gets a 4xx with a code and a
Chinese message, and leaves stored data as it was."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from support import bound_enterprise, chat
from ticket_helpers import (
    clock_fixture,  # noqa: F401 (fixture)
    objection_body,
    record_of,
    repair_body,
)

from app.enums import CreditCategory
from app.models import CreditRecord, IdempotencyRecord, Ticket

CHINESE = re.compile(r"[\u4e00-\u9fff]")

BAD_OBJECTIONS = [
    {"reason": "罚款不对"},
    {"reason": None},
    {"description": ""},
    {"description": "   "},
    {"description": "长" * 1001},
    {"evidence": "MEDIA_1"},
    {"evidence": [{"type": "email", "id": "x"}]},
    {"evidence": [{"type": "upload", "id": "../../etc/passwd"}]},
    {"evidence": [{"type": "upload", "id": ""}]},
    {"evidence": [{"type": "upload", "id": f"u{i}"} for i in range(21)]},
    {"contact_phone": "12812345678"},
    {"contact_phone": "1381234567"},
    {"contact_phone": "电话"},
    {"contact_phone": None},
    {"record_id": 0},
    {"record_id": -1},
    {"record_id": "第一条"},
    {"record_id": 2**40},
    {"record_id": 1.5},
]


@pytest.fixture
def diner(bind, demo_city, session: Session) -> tuple[int, CreditRecord]:
    enterprise_id = bound_enterprise(bind, demo_city[1], "oLi")
    return enterprise_id, record_of(
        session, demo_city[1].uscc, CreditCategory.ADMINISTRATIVE_PENALTY
    )


def _assert_refused(response, status: int = 422, code: str = "invalid_input") -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert CHINESE.search(body["message"]), body


def _assert_untouched(session: Session, record: CreditRecord) -> None:
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Ticket)) == 0
    assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0
    assert session.get(CreditRecord, record.id).status == "正常"


@pytest.mark.parametrize("overrides", BAD_OBJECTIONS, ids=range(len(BAD_OBJECTIONS)))
def test_bad_objection_bodies(
    client: TestClient, diner, session: Session, clock, overrides: dict
) -> None:
    enterprise_id, penalty = diner
    response = client.post(
        f"/api/v1/enterprises/{enterprise_id}/objections",
        json={**objection_body(penalty.id), **overrides},
        headers={**chat(), "Idempotency-Key": "bad-input-0001"},
    )
    _assert_refused(response)
    _assert_untouched(session, penalty)


def test_bad_requests_around_the_body(client: TestClient, diner, session: Session, clock) -> None:
    enterprise_id, penalty = diner
    url = f"/api/v1/enterprises/{enterprise_id}/objections"
    body = objection_body(penalty.id)

    _assert_refused(client.post(url, content=b"{not json", headers=chat()))
    _assert_refused(client.post(url, content="罚款交了".encode(), headers=chat()))
    _assert_refused(client.post(url, json=[body], headers=chat()))
    _assert_refused(client.post(url, json=body))  # no chat user headers
    _assert_refused(client.post(url, json=body, headers=chat(channel="WeChat!")))
    _assert_refused(client.post(url, json=body, headers={**chat(), "Idempotency-Key": "short"}))
    for bad_id in ("abc", "0", str(2**40)):
        _assert_refused(
            client.post(f"/api/v1/enterprises/{bad_id}/objections", json=body, headers=chat())
        )
    _assert_refused(
        client.post("/api/v1/enterprises/999999/objections", json=body, headers=chat()),
        403,
        "not_bound",
    )
    _assert_untouched(session, penalty)


def test_bad_repair_and_hand_off_bodies(client: TestClient, diner, session: Session, clock) -> None:
    enterprise_id, penalty = diner
    repairs = f"/api/v1/enterprises/{enterprise_id}/repairs"
    for overrides in (
        {"commitment_version": ""},
        {"commitment_version": "v" * 21},
        {"commitment_accepted": None},
        {"proof": "凭证"},
        {"record_id": "x"},
    ):
        _assert_refused(
            client.post(repairs, json={**repair_body(penalty.id), **overrides}, headers=chat())
        )
    for body in (
        {"summary": None},
        {"summary": 123},
        {"summary": "转人工", "enterprise_id": "我家"},
    ):
        _assert_refused(client.post("/api/v1/handoffs", json=body, headers=chat()))
    _assert_untouched(session, penalty)


def test_phone_numbers_as_people_type_them_are_accepted(
    client: TestClient, diner, session: Session, clock
) -> None:
    enterprise_id, penalty = diner
    response = client.post(
        f"/api/v1/enterprises/{enterprise_id}/objections",
        json=objection_body(penalty.id, contact_phone="+86 138-1234-5678"),
        headers=chat(),
    )
    assert response.status_code == 201, response.text
    assert session.scalars(select(Ticket.contact_phone)).one() == "13812345678"

    handoff = client.post(
        "/api/v1/handoffs",
        json={"summary": "转人工", "contact_phone": "１３９ ００００ １１１１"},
        headers=chat(),
    )
    assert handoff.status_code == 201, handoff.text
    assert handoff.json()["ticket"]["contact_phone"] == "139****1111"


@pytest.mark.parametrize(
    "reason", ["信息错误", "已履行或已整改", "非本企业", "已修复未更新", "其他"]
)
def test_every_reason_is_accepted(client: TestClient, diner, clock, reason: str) -> None:
    enterprise_id, penalty = diner
    response = client.post(
        f"/api/v1/enterprises/{enterprise_id}/objections",
        json=objection_body(penalty.id, reason=reason),
        headers=chat(),
    )
    assert response.status_code == 201
    assert response.json()["ticket"]["reason"] == reason


def test_field_names_in_messages_are_chinese(client: TestClient, diner, clock) -> None:
    enterprise_id, penalty = diner
    response = client.post(
        f"/api/v1/enterprises/{enterprise_id}/objections",
        json={"record_id": penalty.id},
        headers=chat(),
    )
    _assert_refused(response)
    message = response.json()["message"]
    for label in ("异议理由", "情况说明", "联系电话"):
        assert label in message
    assert set(response.json()["fields"]) == {"reason", "description", "contact_phone"}
