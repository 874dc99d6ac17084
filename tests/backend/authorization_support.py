"""Helpers shared by the tests of authorizations, the self-check, the institution view and
product applications: act as a bound chat user, grant an authorization, act as an institution."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.api.deps import get_now
from app.seed import DemoEnterprise

BindFn = Callable[..., httpx.Response]
# A fixed moment on the seed's reference day (conftest.AS_OF), 10:00 in China.
NOW = datetime(2026, 6, 30, 2, 0, tzinfo=UTC)


def chat(user_id: str, channel: str = "wechat") -> dict[str, str]:
    return {"X-Chat-Channel": channel, "X-Chat-User-Id": user_id}


def bound_enterprise(bind: BindFn, demo: DemoEnterprise, user_id: str) -> int:
    response = bind(demo, user_id=user_id)
    assert response.status_code in (200, 201), response.text
    return response.json()["enterprise"]["id"]


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


@contextmanager
def clock(app: FastAPI, moment: datetime) -> Iterator[None]:
    """Requests made inside see `moment` as now."""
    app.dependency_overrides[get_now] = lambda: moment
    try:
        yield
    finally:
        app.dependency_overrides.pop(get_now, None)
