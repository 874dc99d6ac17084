"""Helpers for the tests of authorizations, the self-check, the institution view and product
applications: grant an authorization, act as an institution (shared helpers: support.py)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from support import chat


def grant(client: TestClient, enterprise_id: int, user_id: str, **overrides: Any) -> httpx.Response:
    body: dict[str, Any] = {
        "consent": "同意",
        "notice_version": "v1",
        "data_categories": ["纳税", "社保"],
        "institutions": "all",
        "period_months": 12,
    }
    body.update(overrides)
    headers = chat(user_id)
    if key := body.pop("idempotency_key", None):
        headers["Idempotency-Key"] = key
    return client.post(
        f"/api/v1/enterprises/{enterprise_id}/authorizations", json=body, headers=headers
    )


def institution_headers(session: Session, code: str) -> dict[str, str]:
    """The institution's development token (the demo seed gives every institution one)."""
    from app.services.institution_view import ensure_development_credentials

    tokens = {i.code: t for i, t in ensure_development_credentials(session)}
    session.commit()
    return {"Authorization": f"Bearer {tokens[code]}"}
