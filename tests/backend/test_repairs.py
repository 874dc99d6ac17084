"""信用修复: only 行政处罚 and 严重失信名单 records, only from the record's repairable_after date,
with the current credit commitment accepted and proof supplied; an XF ticket tracked like an
objection; one open repair per record."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from support import bound_enterprise, chat
from ticket_helpers import (
    clock_fixture,  # noqa: F401 (fixture)
    record_of,
    repair_body,
    upload_evidence,
)

from app.enums import CreditCategory
from app.errors import AppError
from app.models import CreditRecord, IdempotencyRecord, RegistryEntity, Ticket
from app.services import repairs
from app.services.repairs import check_repairable, current_commitment
from app.services.working_days import CHINA_TZ


def _apply(client: TestClient, enterprise_id: int, body: dict, user: str = "oZhang", key=None):
    headers = chat(user)
    if key:
        headers["Idempotency-Key"] = key
    return client.post(f"/api/v1/enterprises/{enterprise_id}/repairs", json=body, headers=headers)


def _green(bind, demo_city, session: Session):
    green = demo_city[0]
    enterprise_id = bound_enterprise(bind, green, "oZhang")
    return enterprise_id, record_of(session, green.uscc, CreditCategory.ADMINISTRATIVE_PENALTY)


def test_the_commitment_text_is_versioned_and_filled_in(client: TestClient, city) -> None:
    response = client.get("/api/v1/repairs/commitment")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == "v1"
    assert body["text"].startswith("# 信用修复承诺书")
    assert city.platform_name in body["text"]
    assert city.hotline in body["text"]
    assert "{" not in body["text"]
    assert (Path(repairs.NOTICES_DIR) / "credit_commitment.v1.md").is_file()


def test_a_penalty_past_its_minimum_publicity_can_be_repaired(
    client: TestClient, bind, demo_city, session: Session, clock
) -> None:
    enterprise_id, penalty = _green(bind, demo_city, session)
    assert penalty.repairable_after < date(2026, 6, 30)
    receipt = upload_evidence(client, "oZhang")

    response = _apply(client, enterprise_id, repair_body(penalty.id, proof=[receipt]))

    assert response.status_code == 201, response.text
    ticket = response.json()["ticket"]
    assert response.json()["created"] is True
    assert re.fullmatch(r"XF20260630\d{4}", ticket["number"])
    assert ticket["kind"] == "信用修复"
    assert ticket["status"] == "已提交"
    assert ticket["commitment_version"] == "v1"
    assert ticket["evidence"] == [receipt]
    assert ticket["contact_phone"] == "139****5678"
    assert ticket["forward_deadline"] is None
    assert ticket["record"]["status"] == "正常"  # repair does not put the record under dispute
    stored = session.scalars(select(Ticket).where(Ticket.number == ticket["number"])).one()
    assert stored.commitment_version == "v1"
    assert stored.commitment_accepted_at is not None

    again = _apply(client, enterprise_id, repair_body(penalty.id))
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["ticket"]["number"] == ticket["number"]


def test_before_the_date_the_answer_says_when(
    client: TestClient, bind, demo_city, session: Session, clock
) -> None:
    diner = demo_city[1]
    enterprise_id = bound_enterprise(bind, diner, "oLi")
    penalty = record_of(session, diner.uscc, CreditCategory.ADMINISTRATIVE_PENALTY)
    day = penalty.repairable_after
    assert day > date(2026, 6, 30)

    refused = _apply(client, enterprise_id, repair_body(penalty.id), user="oLi")
    assert refused.status_code == 409
    assert refused.json()["code"] == "repair_not_yet"
    assert f"{day.year}年{day.month}月{day.day}日" in refused.json()["message"]
    assert session.scalar(select(func.count()).select_from(Ticket)) == 0

    clock(datetime(day.year, day.month, day.day, 0, 5, tzinfo=CHINA_TZ))  # on the day itself
    accepted = _apply(client, enterprise_id, repair_body(penalty.id), user="oLi")
    assert accepted.status_code == 201


def test_the_rule_on_dates() -> None:
    day = date(2026, 8, 21)
    check_repairable("行政处罚", day, day)
    check_repairable("严重失信名单", day, date(2027, 1, 1))
    with pytest.raises(AppError) as early:
        check_repairable("严重失信名单", day, date(2026, 8, 20))
    assert early.value.code == "repair_not_yet"
    with pytest.raises(AppError) as undated:
        check_repairable("行政处罚", None, day)
    assert undated.value.code == "not_repairable"


@pytest.mark.parametrize(
    "category", [CreditCategory.UTILITY_ARREARS, CreditCategory.TAX_CREDIT_GRADE]
)
def test_other_categories_are_not_repairable(
    client: TestClient, bind, demo_city, session: Session, clock, category
) -> None:
    diner = demo_city[1]
    enterprise_id = bound_enterprise(bind, diner, "oLi")
    record = record_of(session, diner.uscc, category)

    refused = _apply(client, enterprise_id, repair_body(record.id), user="oLi")

    assert refused.status_code == 422
    assert refused.json()["code"] == "not_repairable"
    assert "行政处罚" in refused.json()["message"]


def test_a_dishonesty_list_record_can_be_repaired(
    client: TestClient, bind, demo_city, session: Session, clock
) -> None:
    green = demo_city[0]
    enterprise_id = bound_enterprise(bind, green, "oZhang")
    entity = session.scalars(select(RegistryEntity).where(RegistryEntity.uscc == green.uscc)).one()
    listing = CreditRecord(
        registry_entity_id=entity.id,
        category="严重失信名单",
        data_class="public",
        title="列入拖欠农民工工资失信联合惩戒对象名单",
        content="经认定，当事人被列入拖欠农民工工资失信联合惩戒对象名单。",
        authority="示范市人力资源和社会保障局",
        decided_on=date(2025, 1, 10),
        publicity_end_on=date(2028, 1, 10),
        repairable_after=date(2026, 1, 10),
        status="正常",
    )
    session.add(listing)
    session.commit()

    assert _apply(client, enterprise_id, repair_body(listing.id)).status_code == 201


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"commitment_accepted": False}, 422, "commitment_not_accepted"),
        ({"commitment_version": "v0"}, 422, "commitment_version_unknown"),
        ({"proof": [], "proof_description": ""}, 422, "proof_required"),
        ({"commitment_accepted": "maybe"}, 422, "invalid_input"),
        ({"proof": [{"type": "ftp", "id": "x"}]}, 422, "invalid_input"),
        ({"contact_phone": "12345"}, 422, "invalid_input"),
    ],
)
def test_the_commitment_and_proof_are_required(
    client: TestClient, bind, demo_city, session: Session, clock, overrides, status, code
) -> None:
    enterprise_id, penalty = _green(bind, demo_city, session)

    refused = _apply(client, enterprise_id, repair_body(penalty.id, **overrides))

    assert refused.status_code == status
    assert refused.json()["code"] == code
    assert refused.json()["message"]
    assert session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_a_written_account_of_the_rectification_is_proof_enough(
    client: TestClient, bind, demo_city, session: Session, clock
) -> None:
    """A user with no picture of the proof describes the rectification in words."""
    enterprise_id, penalty = _green(bind, demo_city, session)
    legal_representative = demo_city[0].legal_representative
    account = f"罚款已于2026年6月1日缴清，经办人{legal_representative}，电话13812345678"

    created = _apply(
        client, enterprise_id, repair_body(penalty.id, proof=[], proof_description=account)
    )

    assert created.status_code == 201
    ticket = created.json()["ticket"]
    assert ticket["number"].startswith("XF")
    assert ticket["evidence"] == []
    assert "罚款已于2026年6月1日缴清" in ticket["description"]
    assert legal_representative not in ticket["description"]
    assert "13812345678" not in ticket["description"]


def test_a_superseded_commitment_is_refused(
    client: TestClient, bind, demo_city, session: Session, clock, tmp_path, monkeypatch
) -> None:
    (tmp_path / "credit_commitment.v1.md").write_text("# 旧版 {platform_name}", encoding="utf-8")
    (tmp_path / "credit_commitment.v2.md").write_text("# 新版 {hotline}", encoding="utf-8")
    (tmp_path / "credit_commitment.v10.md.bak").write_text("不是承诺书", encoding="utf-8")
    monkeypatch.setattr(repairs, "NOTICES_DIR", tmp_path)
    assert current_commitment().version == "v2"
    assert client.get("/api/v1/repairs/commitment").json()["version"] == "v2"
    enterprise_id, penalty = _green(bind, demo_city, session)

    outdated = _apply(client, enterprise_id, repair_body(penalty.id, commitment_version="v1"))
    assert outdated.status_code == 409
    assert outdated.json()["code"] == "commitment_outdated"

    current = _apply(client, enterprise_id, repair_body(penalty.id, commitment_version="v2"))
    assert current.status_code == 201
    assert current.json()["ticket"]["commitment_version"] == "v2"


def test_a_granted_repair_marks_the_record_repaired(
    client: TestClient, bind, demo_city, session: Session, clock, staff_headers
) -> None:
    enterprise_id, penalty = _green(bind, demo_city, session)
    number = _apply(client, enterprise_id, repair_body(penalty.id)).json()["ticket"]["number"]
    staff = staff_headers()

    for status in ("已转交", "核查中", "已更正", "已告知"):
        moved = client.post(
            f"/api/v1/staff/tickets/{number}/status", json={"status": status}, headers=staff
        )
        assert moved.status_code == 200, moved.text
    assert moved.json()["history"][-1]["to_status"] == "已告知"

    session.expire_all()
    record = session.get(CreditRecord, penalty.id)
    assert record.repaired_at is not None
    assert record.corrected_at is None
    assert record.status == "正常"

    again = _apply(client, enterprise_id, repair_body(penalty.id))
    assert again.status_code == 409
    assert again.json()["code"] == "already_repaired"


def test_a_refused_repair_leaves_the_record_and_allows_a_new_application(
    client: TestClient, bind, demo_city, session: Session, clock, staff_headers
) -> None:
    enterprise_id, penalty = _green(bind, demo_city, session)
    number = _apply(client, enterprise_id, repair_body(penalty.id)).json()["ticket"]["number"]
    staff = staff_headers()
    for status in ("已转交", "核查中", "维持原记录"):
        client.post(
            f"/api/v1/staff/tickets/{number}/status", json={"status": status}, headers=staff
        )

    session.expire_all()
    assert session.get(CreditRecord, penalty.id).repaired_at is None
    assert _apply(client, enterprise_id, repair_body(penalty.id)).status_code == 201


def test_only_a_bound_user_and_the_enterprises_own_record(
    client: TestClient, bind, demo_city, session: Session, clock
) -> None:
    enterprise_id, penalty = _green(bind, demo_city, session)
    diner = demo_city[1]
    bound_enterprise(bind, diner, "oLi")
    diner_penalty = record_of(session, diner.uscc, CreditCategory.ADMINISTRATIVE_PENALTY)

    assert _apply(client, enterprise_id, repair_body(penalty.id), user="oLi").status_code == 403
    foreign = _apply(client, enterprise_id, repair_body(diner_penalty.id))
    assert foreign.status_code == 404
    assert foreign.json()["code"] == "record_not_found"


@pytest.mark.parametrize("whose", ["another user's", "missing"])
def test_proof_must_be_a_file_the_user_uploaded(
    client: TestClient, bind, demo_city, session: Session, clock, whose: str
) -> None:
    enterprise_id, penalty = _green(bind, demo_city, session)
    own = upload_evidence(client, "oZhang")
    if whose == "missing":
        other = {"type": "upload", "id": "ev_00000000000000000000000000000000"}
    else:
        other = upload_evidence(client, "oSomeoneElse", content=b"%PDF-1.7 someone else's")

    refused = _apply(
        client, enterprise_id, repair_body(penalty.id, proof=[own, other]), key="repair-ev-0001"
    )

    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "evidence_not_found"
    assert refused.json()["fields"] == ["proof"]
    assert "证明材料" in refused.json()["message"]
    assert session.scalar(select(func.count()).select_from(Ticket)) == 0
    assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0
