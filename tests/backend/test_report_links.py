"""The full self-check report behind a short-lived signed link, and the H5 chat page.

A link is made for a bound chat user only, names no user id, shows every category with records
(personal data masked), is audited like the chat's reads, and stops working when it expires, is
tampered with, or the binding is gone."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import jwt
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from support import NOW, BindFn, bound_enterprise, chat, clock

from app.core.config import Settings
from app.models import AuditEntry, Binding, CreditRecord, Enterprise


def _link(client: TestClient, enterprise_id: int, user_id: str) -> dict:
    response = client.post(
        f"/api/v1/enterprises/{enterprise_id}/report-links", headers=chat(user_id)
    )
    assert response.status_code == 201, response.text
    return response.json()


def _path(url: str) -> str:
    return urlsplit(url).path


def _audits(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def test_link_opens_the_whole_report_masked_and_audited(
    app: FastAPI,
    client: TestClient,
    anon_client: TestClient,
    bind: BindFn,
    demo_city,
    session: Session,
    settings: Settings,
) -> None:
    green = demo_city[0]
    enterprise_id = bound_enterprise(bind, green, "oReport1")
    with clock(app, NOW):
        link = _link(client, enterprise_id, "oReport1")
    assert link["url"].startswith(f"{settings.public_base_url}/chat/report/")
    assert "oReport1" not in link["url"]
    token = _path(link["url"]).rsplit("/", 1)[1]
    assert "oReport1" not in str(jwt.decode(token, options={"verify_signature": False}))

    before = _audits(session)
    with clock(app, NOW + timedelta(minutes=5)):
        page = anon_client.get(_path(link["url"]))  # a browser: no service token
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    html = page.text
    assert green.name in html and green.uscc in html
    assert "张*华" in html and green.legal_representative not in html
    enterprise = session.get_one(Enterprise, enterprise_id)
    for record in session.scalars(
        select(CreditRecord).where(CreditRecord.registry_entity_id == enterprise.registry_entity_id)
    ):
        assert record.category in html
    assert "纳税信用等级" in html and "非公开" in html
    # The summary read and the non-public category read, as the chat user themselves.
    rows = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))[before:]
    assert rows and all(row.actor_id.endswith("oReport1") for row in rows)
    assert any("纳税信用等级" in str(row.details) for row in rows)


def test_expired_link_is_refused_and_reads_nothing(
    app: FastAPI, client: TestClient, anon_client: TestClient, bind: BindFn, demo_city, session
) -> None:
    enterprise_id = bound_enterprise(bind, demo_city[1], "oReport2")
    with clock(app, NOW):
        link = _link(client, enterprise_id, "oReport2")
    before = _audits(session)
    with clock(app, NOW + timedelta(minutes=settings_minutes(app))):
        page = anon_client.get(_path(link["url"]))
    assert page.status_code == 410
    assert "已过期" in page.text and demo_city[1].name not in page.text
    assert _audits(session) == before


def settings_minutes(app: FastAPI) -> int:
    return app.state.settings.report_link_minutes


def test_tampered_or_foreign_signed_link_is_refused(
    app: FastAPI, client: TestClient, anon_client: TestClient, bind: BindFn, demo_city, session
) -> None:
    own = bound_enterprise(bind, demo_city[0], "oReport3")
    other = bound_enterprise(bind, demo_city[2], "oReport4")
    with clock(app, NOW):
        link = _link(client, own, "oReport3")
    token = _path(link["url"]).rsplit("/", 1)[1]
    claims = jwt.decode(token, options={"verify_signature": False})
    # Pointing the link at another enterprise needs the secret; a guessed one does not do.
    forged = jwt.encode(
        {**claims, "e": other}, "not-the-secret-but-long-enough-0123456789", "HS256"
    )
    before = _audits(session)
    with clock(app, NOW):
        for bad in (forged, token[:-3] + "abc", "not-a-token", token + "."):
            page = anon_client.get(f"/chat/report/{bad}")
            assert page.status_code == 403, bad
            assert "无效" in page.text
            assert demo_city[2].name not in page.text
    assert _audits(session) == before


def test_link_only_for_the_bound_user(
    app: FastAPI, client: TestClient, anon_client: TestClient, bind: BindFn, demo_city, session
) -> None:
    enterprise_id = bound_enterprise(bind, demo_city[0], "oReport5")
    other = bound_enterprise(bind, demo_city[2], "oReport7")
    refused = client.post(
        f"/api/v1/enterprises/{enterprise_id}/report-links", headers=chat("oStranger")
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_bound"
    # Even signed with the right secret, a binding and an enterprise that do not belong together
    # read nothing.
    binding_id = session.scalar(select(Binding.id).where(Binding.enterprise_id == enterprise_id))
    settings = app.state.settings
    exp = int((NOW + timedelta(minutes=5)).timestamp())
    mismatched = jwt.encode(
        {"p": "credit_report", "b": binding_id, "e": other, "exp": exp},
        settings.report_link_secret,
        "HS256",
    )
    with clock(app, NOW):
        page = anon_client.get(f"/chat/report/{mismatched}")
    assert page.status_code == 403
    assert demo_city[2].name not in page.text


def test_link_needs_the_service_token(anon_client: TestClient, bind: BindFn, demo_city) -> None:
    enterprise_id = bound_enterprise(bind, demo_city[0], "oReport6")
    response = anon_client.post(
        f"/api/v1/enterprises/{enterprise_id}/report-links", headers=chat("oReport6")
    )
    assert response.status_code == 401


def test_chat_page_points_at_the_h5_channel(anon_client: TestClient, settings: Settings) -> None:
    page = anon_client.get("/chat")
    assert page.status_code == 200
    assert settings.chat_webhook_url in page.text
    assert "信易贷助手" in page.text
    policy = page.headers["content-security-policy"]
    assert "connect-src 'self' http://127.0.0.1:5005" in policy
    script = anon_client.get("/static/chat.js")
    assert script.status_code == 200
    assert "Authorization" in script.text
