"""Finding the disputed record from the user's own words: category keywords first, then words and
amounts in titles and contents; personal data masked; non-public records shown are audited."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from support import bound_enterprise, chat
from ticket_helpers import record_of

from app.enums import CreditCategory
from app.models import AuditEntry, CreditRecord, RegistryEntity
from app.services.record_search import infer_categories, rank_records


def _search(client: TestClient, enterprise_id: int, q: str, user: str = "oLi", **params):
    return client.get(
        f"/api/v1/enterprises/{enterprise_id}/records/search",
        params={"q": q, **params},
        headers=chat(user),
    )


def test_the_diner_gets_its_penalty_first_for_the_fine_sentence(
    client: TestClient, bind, demo_city, session: Session
) -> None:
    diner = demo_city[1]
    assert diner.name == "示范市城西区李记餐饮店"
    assert diner.uscc == "92329902MA1LJ0028T"
    enterprise_id = bound_enterprise(bind, diner, "oLi")
    penalty = record_of(session, diner.uscc, CreditCategory.ADMINISTRATIVE_PENALTY)

    response = _search(client, enterprise_id, "我那个罚款早就交了怎么还挂着")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["categories"][0] == "行政处罚"
    first = body["items"][0]
    assert first["id"] == penalty.id
    assert first["category"] == "行政处罚"
    assert "罚款" in first["matched"]
    assert first["status"] == "正常"
    assert first["repairable_after"] == penalty.repairable_after.isoformat()
    assert first["amount"] == "3000.00"
    assert all(item["score"] <= first["score"] for item in body["items"])


@pytest.mark.parametrize(
    ("query", "category"),
    [
        ("燃气费我上个月就交了还显示欠费", "水电气欠费"),
        ("那个水电的欠费是怎么回事", "水电气欠费"),
        ("行政处罚决定书那条", "行政处罚"),
        ("营业执照许可证那条信息不对", "行政许可"),
    ],
)
def test_other_descriptions_find_their_category(
    client: TestClient, bind, demo_city, query: str, category: str
) -> None:
    enterprise_id = bound_enterprise(bind, demo_city[1], "oLi")
    items = _search(client, enterprise_id, query).json()["items"]
    assert items
    assert items[0]["category"] == category


def test_keywords_map_to_categories() -> None:
    expected = {
        "罚款交了": "行政处罚",
        "被处罚了": "行政处罚",
        "罚了我": "行政处罚",
        "电费欠费": "水电气欠费",
        "水费": "水电气欠费",
        "社保没交": "社保欠缴",
        "上了失信名单": "严重失信名单",
        "黑名单": "严重失信名单",
        "法院判决": "司法判决及执行",
        "被执行了": "司法判决及执行",
    }
    for text, category in expected.items():
        found = infer_categories(text)
        best = max(found, key=lambda c: found[c][0])
        assert best.value == category, text


def test_an_amount_in_the_message_picks_the_record() -> None:
    records = [
        CreditRecord(
            id=i,
            registry_entity_id=1,
            category="行政处罚",
            data_class="public",
            title="行政处罚决定书",
            content=f"决定处罚款人民币{amount:,}元。",
            amount=Decimal(amount),
            authority="示范市城市管理局",
            decided_on=date(2026, 1, i),
            status="正常",
        )
        for i, amount in ((1, 500), (2, 2000), (3, 50000))
    ]
    outcome = rank_records("罚了2000那个", records)
    assert outcome.candidates[0].record.id == 2
    assert "2000" in outcome.candidates[0].matched


def test_personal_data_is_masked(client: TestClient, bind, demo_city, session: Session) -> None:
    diner = demo_city[1]
    enterprise_id = bound_enterprise(bind, diner, "oLi")
    entity = session.scalars(select(RegistryEntity).where(RegistryEntity.uscc == diner.uscc)).one()
    session.add(
        CreditRecord(
            registry_entity_id=entity.id,
            category="司法判决及执行",
            data_class="public",
            title="民事判决书（李秀兰与王建国借款合同纠纷）",
            content="被告李秀兰（身份证号110101199003071234，电话13812345678）应支付借款。",
            authority="示范市人民法院",
            decided_on=date(2026, 3, 1),
            status="正常",
        )
    )
    session.commit()

    item = _search(client, enterprise_id, "法院判决那个借款").json()["items"][0]

    assert item["category"] == "司法判决及执行"
    assert "李秀兰" not in item["title"] + item["content"]
    assert "李*兰" in item["content"]
    assert "110101199003071234" not in item["content"]
    assert "110101********1234" in item["content"]
    assert "138****5678" in item["content"]


def test_showing_non_public_records_is_audited(
    client: TestClient, bind, demo_city, session: Session
) -> None:
    diner = demo_city[1]
    enterprise_id = bound_enterprise(bind, diner, "oLi")
    utility = record_of(session, diner.uscc, CreditCategory.UTILITY_ARREARS)

    items = _search(client, enterprise_id, "燃气欠费").json()["items"]
    assert items[0]["id"] == utility.id

    entry = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "read_non_public",
            AuditEntry.subject_type == "enterprise",
            AuditEntry.subject_id == str(enterprise_id),
        )
    ).one()
    assert entry.actor_id == "wechat:oLi"
    assert utility.id in entry.details["record_ids"]
    assert "异议" in entry.purpose


def test_public_only_results_write_no_audit_and_nothing_matching_is_empty(
    client: TestClient, bind, demo_city, session: Session
) -> None:
    enterprise_id = bound_enterprise(bind, demo_city[1], "oLi")
    assert _search(client, enterprise_id, "罚款").status_code == 200
    nothing = _search(client, enterprise_id, "你好在吗")
    assert nothing.status_code == 200
    assert nothing.json() == {"categories": [], "items": []}
    assert session.scalars(select(AuditEntry)).first() is None


def test_only_a_bound_user_may_search_and_bad_input_is_refused(
    client: TestClient, bind, demo_city
) -> None:
    enterprise_id = bound_enterprise(bind, demo_city[1], "oLi")

    stranger = _search(client, enterprise_id, "罚款", user="oStranger")
    assert stranger.status_code == 403
    assert stranger.json()["code"] == "not_bound"

    for params in ({"q": ""}, {"q": "x" * 501}, {"q": "罚款", "limit": 0}):
        refused = client.get(
            f"/api/v1/enterprises/{enterprise_id}/records/search", params=params, headers=chat()
        )
        assert refused.status_code == 422
        assert refused.json()["code"] == "invalid_input"
        assert refused.json()["message"].startswith("输入有误")
    missing_q = client.get(f"/api/v1/enterprises/{enterprise_id}/records/search", headers=chat())
    assert missing_q.status_code == 422
    assert "记录描述" in missing_q.json()["message"]
