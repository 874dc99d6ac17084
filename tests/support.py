"""Helpers for the test suites (not fixtures: those live in conftest.py files)."""

from __future__ import annotations

import socket

from stack import ROOT

ARTIFACTS = ROOT / "tests" / "artifacts"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def demo_enterprises() -> list[dict[str, str]]:
    """The fixed showcase enterprises of the demo city (name, uscc, legal representative)."""
    import yaml

    path = ROOT / "backend" / "app" / "seed" / "demo_enterprises.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def bind_demo_user(backend_url: str, channel: str, user_id: str, index: int = 0) -> dict:
    """Binds a chat user to a demo enterprise through the backend's API, as registration does."""
    import httpx

    enterprise = demo_enterprises()[index]
    response = httpx.post(
        f"{backend_url}/api/v1/bindings",
        headers={"Authorization": "Bearer dev-service-token"},
        json={
            "channel": channel,
            "user_id": user_id,
            "uscc": enterprise["uscc"],
            "enterprise_name": enterprise["name"],
            "person_name": enterprise["legal_representative"],
            "role": "法定代表人",
        },
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["enterprise"]
