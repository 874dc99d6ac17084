"""授权: the versioned risk notice, explicit consent to the current version, scope, listing with
status, idempotent revocation, and who/when/channel/version/scope/expiry on record."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from authorization_support import grant
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from support import NOW, BindFn, bound_enterprise, chat, clock

from app.enums import DataCategory
from app.models import Authorization, ChatUser
from app.seed import DemoEnterprise
from app.services import authorizations as service
from app.services._clock import as_utc


def test_notice_has_version_text_categories_institutions_and_default_period(
    client: TestClient, demo_city: tuple[DemoEnterprise, ...]
) -> None:
    response = client.get("/api/v1/authorizations/notice")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == "v1"
    assert "充分告知" in body["text"] and "可用不可见" in body["text"]
    assert "分级分类" in body["text"] and "同意" in body["text"]
    assert "{platform_name}" not in body["text"]
    assert "示范市融资信用服务平台" in body["text"]
    assert [c["category"] for c in body["data_categories"]] == [
        "纳税",
        "社保",
        "公积金",
        "水电气",
        "不动产",
        "进出口",
        "知识产权",
        "科技研发",
    ]
    assert {"category": "纳税", "record_categories": ["纳税信用等级"]} in body["data_categories"]
    codes = {i["code"] for i in body["institutions"]}
    assert {"sf_rcb", "icbc_sf", "ccb_sf", "sf_guarantee"} <= codes
    assert body["default_period_months"] == 12
    assert (body["min_period_months"], body["max_period_months"]) == (1, 36)


def test_grant_records_who_when_channel_version_scope_and_expiry(
    client: TestClient, app: FastAPI, bind: BindFn, demo_city, session: Session
) -> None:
    enterprise_id = bound_enterprise(bind, demo_city[0], "oAuth1")
    with clock(app, NOW):
        response = grant(
            client,
            enterprise_id,
            "oAuth1",
            data_categories=["纳税", "不动产", "纳税"],
            institutions=["sf_rcb", "ccb_sf"],
            period_months=6,
        )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "有效"
    assert body["notice_version"] == "v1"
    assert body["data_categories"] == ["纳税", "不动产"]
    assert body["all_institutions"] is False
    assert [i["code"] for i in body["institutions"]] == ["sf_rcb", "ccb_sf"]
    assert body["period_months"] == 6
    assert body["channel"] == "wechat"
    assert body["granted_at"] == "2026-06-30T02:00:00Z"
    assert body["expires_at"] == "2026-12-30T02:00:00Z"
    assert body["revoked_at"] is None

    stored = session.get_one(Authorization, body["id"])
    who = session.get_one(ChatUser, stored.chat_user_id)
    assert (who.channel, who.external_user_id) == ("wechat", "oAuth1")
    assert stored.enterprise_id == enterprise_id
    assert stored.institution_codes == ["sf_rcb", "ccb_sf"]


def test_default_period_is_twelve_months_and_all_institutions(
    client: TestClient, app: FastAPI, bind: BindFn, demo_city
) -> None:
    enterprise_id = bound_enterprise(bind, demo_city[0], "oAuth2")
    body = {"consent": "同意", "notice_version": "v1", "data_categories": ["社保"]}
    with clock(app, NOW):
        response = client.post(
            f"/api/v1/enterprises/{enterprise_id}/authorizations",
            json={**body, "institutions": "all"},
            headers=chat("oAuth2"),
        )
    assert response.status_code == 201, response.text
    reply = response.json()
    assert reply["period_months"] == 12
    assert reply["expires_at"] == "2027-06-30T02:00:00Z"
    assert reply["all_institutions"] is True
    assert len(reply["institutions"]) == 6


@pytest.mark.parametrize("consent", ["同 意", "好的", "agree", "同意。", "不同意"])
def test_consent_must_be_exactly_tongyi(
    client: TestClient, bind: BindFn, demo_city, session: Session, consent: str
) -> None:
    enterprise_id = bound_enterprise(bind, demo_city[0], "oAuth3")
    response = grant(client, enterprise_id, "oAuth3", consent=consent)
    assert response.status_code == 422
    assert response.json()["code"] == "consent_required"
    assert "同意" in response.json()["message"]
    assert session.scalar(select(func.count()).select_from(Authorization)) == 0


def test_an_old_notice_version_is_refused(
    client: TestClient,
    bind: BindFn,
    demo_city,
    session: Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "authorization_risk_notice.v1.md").write_text("# 旧版\n旧的告知书", "utf-8")
    (tmp_path / "authorization_risk_notice.v2.md").write_text("# 新版\n新的告知书", "utf-8")
    monkeypatch.setattr(service, "NOTICES_DIR", tmp_path)
    enterprise_id = bound_enterprise(bind, demo_city[0], "oAuth4")

    assert client.get("/api/v1/authorizations/notice").json()["version"] == "v2"
    outdated = grant(client, enterprise_id, "oAuth4", notice_version="v1")
    assert outdated.status_code == 409
    assert outdated.json()["code"] == "notice_outdated"
    assert "v2" in outdated.json()["message"]
    unknown = grant(client, enterprise_id, "oAuth4", notice_version="v9")
    assert unknown.status_code == 409
    assert session.scalar(select(func.count()).select_from(Authorization)) == 0

    assert grant(client, enterprise_id, "oAuth4", notice_version="v2").status_code == 201


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"data_categories": []}, "invalid_input", "data_categories"),
        ({"data_categories": ["行政处罚"]}, "invalid_input", "data_categories"),
        ({"data_categories": "纳税"}, "invalid_input", "data_categories"),
        ({"institutions": "some"}, "institutions_invalid", "institutions"),
        ({"institutions": []}, "institutions_invalid", "institutions"),
        ({"institutions": ["no_such_bank"]}, "institution_unknown", "institutions"),
        ({"period_months": 0}, "invalid_input", "period_months"),
        ({"period_months": 37}, "invalid_input", "period_months"),
        ({"period_months": "一年"}, "invalid_input", "period_months"),
        ({"notice_version": ""}, "invalid_input", "notice_version"),
        ({"unexpected": 1}, "invalid_input", "unexpected"),
    ],
)
def test_bad_scope_is_refused_in_chinese_and_nothing_is_stored(
    client: TestClient, bind: BindFn, demo_city, session: Session, overrides, code, field
) -> None:
    enterprise_id = bound_enterprise(bind, demo_city[0], "oAuth5")
    response = grant(client, enterprise_id, "oAuth5", **overrides)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == code
    assert field in body["fields"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])
    assert session.scalar(select(func.count()).select_from(Authorization)) == 0


def test_list_shows_live_revoked_and_expired(
    client: TestClient, app: FastAPI, bind: BindFn, demo_city
) -> None:
    enterprise_id = bound_enterprise(bind, demo_city[0], "oAuth6")
    with clock(app, datetime(2025, 1, 10, tzinfo=UTC)):
        expired = grant(client, enterprise_id, "oAuth6", period_months=1).json()
    with clock(app, NOW):
        revoked = grant(client, enterprise_id, "oAuth6", data_categories=["公积金"]).json()
        live = grant(client, enterprise_id, "oAuth6", data_categories=["水电气"]).json()
        assert (
            client.post(
                f"/api/v1/enterprises/{enterprise_id}/authorizations/{revoked['id']}/revoke",
                headers=chat("oAuth6"),
            ).status_code
            == 200
        )
        listing = client.get(
            f"/api/v1/enterprises/{enterprise_id}/authorizations", headers=chat("oAuth6")
        )
    assert listing.status_code == 200
    statuses = {item["id"]: item["status"] for item in listing.json()["items"]}
    assert statuses == {expired["id"]: "已过期", revoked["id"]: "已撤回", live["id"]: "有效"}
    assert listing.json()["items"][-1]["id"] == expired["id"]  # newest first


def test_revoke_is_idempotent_and_records_when(
    client: TestClient, app: FastAPI, bind: BindFn, demo_city, session: Session
) -> None:
    enterprise_id = bound_enterprise(bind, demo_city[0], "oAuth7")
    with clock(app, NOW):
        auth_id = grant(client, enterprise_id, "oAuth7").json()["id"]
    url = f"/api/v1/enterprises/{enterprise_id}/authorizations/{auth_id}/revoke"
    later = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    with clock(app, later):
        first = client.post(url, headers=chat("oAuth7"))
    with clock(app, datetime(2026, 7, 2, tzinfo=UTC)):
        second = client.post(url, headers=chat("oAuth7"))
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert first.json()["status"] == "已撤回"
    assert first.json()["revoked_at"] == "2026-07-01T08:00:00Z"
    stored = session.get_one(Authorization, auth_id)
    assert stored.revoked_by_chat_user_id is not None


def test_a_foreign_authorization_cannot_be_revoked(
    client: TestClient, app: FastAPI, bind: BindFn, demo_city, session: Session
) -> None:
    green_id = bound_enterprise(bind, demo_city[0], "oAuthGreen")
    diner_id = bound_enterprise(bind, demo_city[1], "oAuthDiner")
    with clock(app, NOW):
        green_auth = grant(client, green_id, "oAuthGreen").json()["id"]

        # The diner's user, through their own enterprise: like an id that does not exist.
        foreign = client.post(
            f"/api/v1/enterprises/{diner_id}/authorizations/{green_auth}/revoke",
            headers=chat("oAuthDiner"),
        )
        missing = client.post(
            f"/api/v1/enterprises/{diner_id}/authorizations/999999/revoke",
            headers=chat("oAuthDiner"),
        )
        # … and through the green enterprise's id: not bound.
        not_bound = client.post(
            f"/api/v1/enterprises/{green_id}/authorizations/{green_auth}/revoke",
            headers=chat("oAuthDiner"),
        )
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    assert foreign.json()["code"] == "authorization_not_found"
    assert not_bound.status_code == 403
    assert not_bound.json()["code"] == "not_bound"
    assert session.get_one(Authorization, green_auth).revoked_at is None


def test_only_a_bound_user_grants_or_lists(
    client: TestClient, bind: BindFn, demo_city, session: Session
) -> None:
    green_id = bound_enterprise(bind, demo_city[0], "oAuthOwner")
    bound_enterprise(bind, demo_city[1], "oAuthOther")
    for enterprise_id in (green_id, 999_999):
        refused = grant(client, enterprise_id, "oAuthOther")
        assert refused.status_code == 403
        assert refused.json()["code"] == "not_bound"
        listing = client.get(
            f"/api/v1/enterprises/{enterprise_id}/authorizations", headers=chat("oAuthOther")
        )
        assert listing.status_code == 403
    assert session.scalar(select(func.count()).select_from(Authorization)) == 0


def test_a_repeated_delivery_grants_once(
    client: TestClient, bind: BindFn, demo_city, session: Session
) -> None:
    enterprise_id = bound_enterprise(bind, demo_city[0], "oAuth8")
    first = grant(client, enterprise_id, "oAuth8", idempotency_key="wx-msg-000000001")
    second = grant(client, enterprise_id, "oAuth8", idempotency_key="wx-msg-000000001")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert session.scalar(select(func.count()).select_from(Authorization)) == 1

    reused = grant(
        client,
        enterprise_id,
        "oAuth8",
        idempotency_key="wx-msg-000000001",
        data_categories=["科技研发"],
    )
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"


def test_live_authorizations_follow_scope_revocation_and_expiry(
    session: Session, client: TestClient, bind: BindFn, demo_city
) -> None:
    """The service every other area asks: which categories may this institution see now?"""
    enterprise_id = bound_enterprise(bind, demo_city[0], "oAuth9")
    with_bank = grant(
        client, enterprise_id, "oAuth9", institutions=["sf_rcb"], data_categories=["纳税"]
    ).json()
    stored = session.get_one(Authorization, with_bank["id"])
    granted = as_utc(stored.granted_at)

    def categories(code: str, at: datetime) -> set[DataCategory]:
        return service.authorized_categories(session, enterprise_id, code, now=at)

    assert categories("sf_rcb", granted) == {DataCategory.TAX}
    assert categories("ccb_sf", granted) == set()
    assert categories("sf_rcb", as_utc(stored.expires_at)) == set()
    stored.revoked_at = granted
    session.flush()
    assert categories("sf_rcb", granted) == set()


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (datetime(2026, 1, 31, tzinfo=UTC), 1, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2026, 6, 30, tzinfo=UTC), 12, datetime(2027, 6, 30, tzinfo=UTC)),
        (datetime(2026, 11, 15, tzinfo=UTC), 36, datetime(2029, 11, 15, tzinfo=UTC)),
        (datetime(2027, 12, 31, tzinfo=UTC), 2, datetime(2028, 2, 29, tzinfo=UTC)),
    ],
)
def test_expiry_is_calendar_months_later(start, months, end) -> None:
    assert service.add_months(start, months) == end
