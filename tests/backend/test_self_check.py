"""信用自查: the summary with registration facts, grade and reasons, white list and counts (with
how many are under objection); one category's records with "异议处理中"; personal data masked
everywhere; non-public reads by the bound user audited with purpose 信用自查."""

from __future__ import annotations

import json
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from support import BindFn, bound_enterprise, chat

from app.enums import CreditCategory, RecordStatus
from app.models import AuditEntry, CreditRecord, Enterprise
from app.seed import DemoEnterprise

ID_NUMBER = "110101199003071234"
PHONE = "13812345678"


def _summary(client: TestClient, enterprise_id: int, user_id: str):
    return client.get(f"/api/v1/enterprises/{enterprise_id}/credit-summary", headers=chat(user_id))


def _records(client: TestClient, enterprise_id: int, user_id: str, category: str):
    return client.get(
        f"/api/v1/enterprises/{enterprise_id}/records",
        params={"category": category},
        headers=chat(user_id),
    )


def _audits(session: Session) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _dispute(session: Session, enterprise_id: int, category: CreditCategory) -> CreditRecord:
    enterprise = session.get_one(Enterprise, enterprise_id)
    record = session.scalars(
        select(CreditRecord).where(
            CreditRecord.registry_entity_id == enterprise.registry_entity_id,
            CreditRecord.category == category.value,
        )
    ).first()
    assert record is not None
    record.status = RecordStatus.DISPUTED.value
    session.commit()
    return record


def test_summary_has_registration_grade_white_list_and_counts_with_disputes(
    client: TestClient, bind: BindFn, demo_city: tuple[DemoEnterprise, ...], session: Session
) -> None:
    green = demo_city[0]
    enterprise_id = bound_enterprise(bind, green, "oSelf1")
    _dispute(session, enterprise_id, CreditCategory.ADMINISTRATIVE_PENALTY)

    response = _summary(client, enterprise_id, "oSelf1")
    assert response.status_code == 200
    body = response.json()
    assert body["registration"] == {
        "name": green.name,
        "uscc": green.uscc,
        "entity_type": "有限责任公司（自然人投资或控股）",
        "industry": "制造业",
        "established_on": "2016-04-12",
        "legal_representative": "张*华",
        "address": "示范市城东区创新大道88号",
        "registration_authority": "示范市城东区市场监督管理局",
        "status": "存续",
    }
    assert body["evaluation"]["grade"] in {"A", "B", "C", "D"}
    assert body["evaluation"]["reasons"]
    assert body["white_list"] is False
    counts = {c["category"]: c for c in body["counts"]}
    assert [c["category"] for c in body["counts"]] == [c.value for c in CreditCategory]
    assert counts["行政处罚"] == {
        "category": "行政处罚",
        "public": True,
        "count": 1,
        "disputed": 1,
    }
    assert counts["纳税信用等级"] == {
        "category": "纳税信用等级",
        "public": False,
        "count": 1,
        "disputed": 0,
    }
    assert counts["严重失信名单"]["count"] == 0
    # The earlier shape is kept for existing callers.
    assert set(body["enterprise"]) == {"id", "name", "uscc", "is_individual_business"}


def test_white_listed_enterprise_shows_it(client: TestClient, bind: BindFn, demo_city) -> None:
    enterprise_id = bound_enterprise(bind, demo_city[2], "oSelf2")
    body = _summary(client, enterprise_id, "oSelf2").json()
    assert body["white_list"] is True
    assert body["registration"]["legal_representative"] == "陈*强"


def test_category_details_show_disputed_records(
    client: TestClient, bind: BindFn, demo_city, session: Session
) -> None:
    enterprise_id = bound_enterprise(bind, demo_city[1], "oSelf3")
    disputed = _dispute(session, enterprise_id, CreditCategory.ADMINISTRATIVE_PENALTY)

    response = _records(client, enterprise_id, "oSelf3", "行政处罚")
    assert response.status_code == 200
    body = response.json()
    assert (body["category"], body["public"]) == ("行政处罚", True)
    assert len(body["items"]) == 1
    item = body["items"][0]
    assert item["id"] == disputed.id
    assert item["status"] == "异议处理中"
    assert item["amount"] == 3000.0
    assert item["document_no"].startswith("示西市监罚")
    assert item["repairable_after"] is not None

    licences = _records(client, enterprise_id, "oSelf3", "行政许可").json()["items"]
    assert [i["status"] for i in licences] == ["正常"]
    assert _records(client, enterprise_id, "oSelf3", "荣誉表彰").json()["items"] == []


def test_reading_a_non_public_category_is_audited_a_public_one_is_not(
    client: TestClient, bind: BindFn, demo_city, session: Session
) -> None:
    enterprise_id = bound_enterprise(bind, demo_city[0], "oSelf4")
    before = len(_audits(session))

    assert _records(client, enterprise_id, "oSelf4", "行政处罚").status_code == 200
    assert len(_audits(session)) == before

    tax = _records(client, enterprise_id, "oSelf4", "纳税信用等级")
    assert tax.status_code == 200
    assert tax.json()["public"] is False
    assert tax.json()["items"][0]["value"] == "A"
    audits = _audits(session)
    assert len(audits) == before + 1
    entry = audits[-1]
    assert (entry.actor_type, entry.actor_id) == ("chat_user", "wechat:oSelf4")
    assert (entry.action, entry.subject_type, entry.subject_id) == (
        "read_non_public",
        "enterprise",
        str(enterprise_id),
    )
    assert entry.purpose == "信用自查"
    assert entry.details["categories"] == ["纳税信用等级"]
    assert entry.occurred_at is not None


def test_the_summary_read_is_audited(
    client: TestClient, bind: BindFn, demo_city, session: Session
) -> None:
    enterprise_id = bound_enterprise(bind, demo_city[0], "oSelf5")
    before = len(_audits(session))
    assert _summary(client, enterprise_id, "oSelf5").status_code == 200
    audits = _audits(session)
    assert len(audits) == before + 1
    assert audits[-1].purpose == "信用自查"
    assert audits[-1].details["view"] == "credit_summary"
    assert "纳税信用等级" in audits[-1].details["categories"]


def test_only_a_bound_user_sees_details_and_a_refusal_is_not_audited(
    client: TestClient, bind: BindFn, demo_city, session: Session
) -> None:
    green_id = bound_enterprise(bind, demo_city[0], "oSelfOwner")
    bound_enterprise(bind, demo_city[1], "oSelfOther")
    before = len(_audits(session))
    for enterprise_id in (green_id, 999_999):
        for response in (
            _records(client, enterprise_id, "oSelfOther", "纳税信用等级"),
            _summary(client, enterprise_id, "oSelfOther"),
        ):
            assert response.status_code == 403
            assert response.json()["code"] == "not_bound"
    assert len(_audits(session)) == before


@pytest.mark.parametrize("params", [{}, {"category": "税务"}, {"category": ""}])
def test_a_bad_category_is_refused_in_chinese(
    client: TestClient, bind: BindFn, demo_city, params
) -> None:
    enterprise_id = bound_enterprise(bind, demo_city[0], "oSelf6")
    response = client.get(
        f"/api/v1/enterprises/{enterprise_id}/records", params=params, headers=chat("oSelf6")
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert response.json()["fields"] == ["category"]
    assert "信息类别" in response.json()["message"]


def test_no_personal_data_leaks_from_the_self_check(
    client: TestClient, bind: BindFn, demo_city, session: Session
) -> None:
    """The legal representative's name, an agent's name, an ID number and a phone written into
    records of every category never come back unmasked."""
    green = demo_city[0]
    enterprise_id = bound_enterprise(bind, green, "oSelf7")
    agent = bind(green, user_id="oSelf7Agent", role="经办人", person_name="欧阳娜娜")
    assert agent.status_code == 201
    enterprise = session.get_one(Enterprise, enterprise_id)
    for category in CreditCategory:
        session.add(
            CreditRecord(
                registry_entity_id=enterprise.registry_entity_id,
                category=category.value,
                data_class=category.data_class.value,
                title=f"{green.legal_representative}相关记录",
                content=(
                    f"法定代表人{green.legal_representative}（身份证号{ID_NUMBER}，"
                    f"电话{PHONE}）与经办人欧阳娜娜（{ID_NUMBER[:6]}19851231002X）确认。"
                ),
                document_no=f"示备〔2026〕{PHONE}号",
                authority="示范市某局",
                decided_on=date(2026, 5, 1),
                status=RecordStatus.NORMAL.value,
            )
        )
    session.commit()

    replies = [_summary(client, enterprise_id, "oSelf7")]
    replies += [_records(client, enterprise_id, "oSelf7", c.value) for c in CreditCategory]
    for response in replies:
        assert response.status_code == 200
        text = json.dumps(response.json(), ensure_ascii=False)
        for secret in (green.legal_representative, "欧阳娜娜", ID_NUMBER, PHONE, "19851231002X"):
            assert secret not in text, f"{secret} leaked from {response.url}"

    masked = _records(client, enterprise_id, "oSelf7", "行政处罚").json()["items"]
    mine = next(i for i in masked if i["title"].endswith("相关记录"))
    assert mine["title"] == "张*华相关记录"
    assert "张*华" in mine["content"] and "欧**娜" in mine["content"]
    assert "110101********1234" in mine["content"] and "138****5678" in mine["content"]
