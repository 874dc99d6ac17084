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
    """Registers a chat user for a demo enterprise through the backend's API, as the bot does: an
    SMS code to a phone number of the user's own (read back from the development outbox), then
    POST /api/v1/registrations with it. Registering again answers the existing binding."""
    import hashlib
    import uuid

    import httpx

    enterprise = demo_enterprises()[index]
    # One phone per user and enterprise, so the 60 s resend cool-down never holds a test up.
    digest = hashlib.sha256(f"{channel}:{user_id}:{index}".encode()).hexdigest()
    phone = f"139{int(digest, 16) % 10**8:08d}"
    headers = {
        "Authorization": "Bearer dev-service-token",
        "X-Chat-Channel": channel,
        "X-Chat-User-Id": user_id,
    }
    with httpx.Client(base_url=f"{backend_url}/api/v1", headers=headers, timeout=10) as client:
        client.post("/registrations/sms-codes", json={"phone": phone}).raise_for_status()
        outbox = client.get("/dev/sms-outbox", params={"phone": phone})
        outbox.raise_for_status()
        response = client.post(
            "/registrations",
            headers={"Idempotency-Key": uuid.uuid4().hex},
            json={
                "uscc": enterprise["uscc"],
                "enterprise_name": enterprise["name"],
                "person_name": enterprise["legal_representative"],
                "role": "法定代表人",
                "phone": phone,
                "sms_code": outbox.json()["items"][0]["code"],
            },
        )
    response.raise_for_status()
    return response.json()["enterprise"]
