"""Action tests: real action code against a real backend process, with tracker fixtures."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.backend_client import backend
from stack import ROOT
from tests.support import ARTIFACTS, running_backend


@pytest.fixture(scope="session")
def backend_url(demo_database_url: str) -> Iterator[str]:
    with running_backend(demo_database_url, ARTIFACTS / "actions-logs") as url:
        yield url


@pytest.fixture(scope="session")
def staff_token(backend_url: str) -> str:
    """A signed-in demo admin (管理员) of the seeded demo city."""
    import httpx

    response = httpx.post(
        f"{backend_url}/api/v1/staff/sessions",
        json={"username": "demo-admin", "password": "demo-admin-2026"},
    )
    response.raise_for_status()
    return response.json()["token"]


@pytest.fixture(autouse=True)
def point_client_at_backend(backend_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backend, "base_url", backend_url)
    backend._clients.clear()


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The bot's real domain, as Rasa sends it to the action server."""
    from rasa.shared.core.domain import Domain

    return Domain.load(str(ROOT / "bot" / "domain")).as_dict()


@pytest.fixture
def form_turn() -> Callable[..., Tracker]:
    """A tracker as a form's validation action receives it: the user answered while `form` asked
    for `requested`, and Rasa extracted `extracted` (slot → value) from that answer."""

    def build(
        sender_id: str,
        form: str,
        requested: str | None,
        text: str,
        extracted: dict[str, Any],
        slots: dict[str, Any] | None = None,
        intent: str = "inform",
        entities: list[dict[str, Any]] | None = None,
        channel: str = "rest",
        message_id: str | None = None,
    ) -> Tracker:
        latest_message = {
            "text": text,
            "intent": {"name": intent, "confidence": 0.99},
            "entities": entities or [],
            "message_id": message_id or uuid.uuid4().hex,
        }
        all_slots = {
            "platform_name": "示范平台",
            "hotline": "12345",
            **(slots or {}),
            "requested_slot": requested,
            **extracted,
        }
        events = [
            {"event": "action", "name": "action_listen"},
            {"event": "user", "text": text, "parse_data": latest_message, "input_channel": channel},
            *({"event": "slot", "name": name, "value": value} for name, value in extracted.items()),
        ]
        return Tracker(
            sender_id=sender_id,
            slots=all_slots,
            latest_message=latest_message,
            events=events,
            paused=False,
            followup_action=None,
            active_loop={"name": form},
            latest_action_name="action_listen",
        )

    return build


@pytest.fixture
def make_tracker() -> Callable[..., Tracker]:
    """A tracker as Rasa sends it after the user said `text` on `channel`."""

    def build(
        sender_id: str,
        intent: str,
        text: str = "",
        channel: str = "rest",
        slots: dict[str, Any] | None = None,
    ) -> Tracker:
        latest_message = {
            "text": text,
            "intent": {"name": intent, "confidence": 0.99},
            "entities": [],
        }
        events = [
            {"event": "action", "name": "action_session_start"},
            {"event": "action", "name": "action_listen"},
            {"event": "user", "text": text, "parse_data": latest_message, "input_channel": channel},
        ]
        return Tracker(
            sender_id=sender_id,
            slots={"platform_name": "示范平台", "hotline": "12345", **(slots or {})},
            latest_message=latest_message,
            events=events,
            paused=False,
            followup_action=None,
            active_loop={},
            latest_action_name="action_listen",
        )

    return build
