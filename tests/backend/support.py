"""Helpers every backend test area shares: the fixed moment, acting as a chat user, binding one.

Area-specific helpers live beside it (authorization_support.py, ticket_helpers.py); fixtures live
in conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from app.api.deps import get_now
from app.seed import DemoEnterprise

BindFn = Callable[..., httpx.Response]

# Tuesday 2026-06-30, 10:00 in China: the seed's reference day (conftest.AS_OF). Two working days
# later is Thursday 2026-07-02.
NOW = datetime(2026, 6, 30, 2, 0, tzinfo=UTC)


def chat(user_id: str = "oLi", channel: str = "wechat") -> dict[str, str]:
    """The headers with which the action server acts for a chat user."""
    return {"X-Chat-Channel": channel, "X-Chat-User-Id": user_id}


def bound_enterprise(
    bind: BindFn, demo: DemoEnterprise, user_id: str, channel: str = "wechat", **overrides: Any
) -> int:
    """Registers `user_id` for the demo enterprise and returns the enterprise id."""
    response = bind(demo, user_id=user_id, channel=channel, **overrides)
    assert response.status_code in (200, 201), response.text
    return response.json()["enterprise"]["id"]


@contextmanager
def clock(app: FastAPI, moment: datetime) -> Iterator[None]:
    """Requests made inside see `moment` as now."""
    app.dependency_overrides[get_now] = lambda: moment
    try:
        yield
    finally:
        app.dependency_overrides.pop(get_now, None)
