"""Helpers for the test suites (not fixtures: those live in conftest.py files)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
    return bind_user(backend_url, channel, user_id, demo_enterprises()[index])


def bind_user(
    backend_url: str,
    channel: str,
    user_id: str,
    enterprise: dict[str, str],
    event_code: str | None = None,
) -> dict:
    """bind_demo_user for any registry enterprise: `name`, `uscc` and `legal_representative`;
    with `event_code`, the registration counts for that promotion event."""
    import hashlib
    import uuid

    import httpx

    # One phone per user and enterprise, so the 60 s resend cool-down never holds a test up.
    digest = hashlib.sha256(f"{channel}:{user_id}:{enterprise['uscc']}".encode()).hexdigest()
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
                **({"event_code": event_code} if event_code else {}),
            },
        )
    response.raise_for_status()
    return response.json()["enterprise"]


@contextmanager
def running_backend(database_url: str, log_dir: Path) -> Iterator[str]:
    """The real backend (uvicorn, as `make run` starts it) on a free port with `database_url`;
    yields its base URL and stops it on exit. tests/actions and tests/bot use it."""
    from stack import Ports, Stack, services

    ports = Ports(backend=free_port(), actions=free_port(), rasa=free_port())
    backend = [
        service
        for service in services(ports, database_url, model_path=ARTIFACTS)
        if service.name == "backend"
    ]
    with Stack(backend, log_dir) as stack:
        stack.wait_healthy(timeout=60)
        yield f"http://127.0.0.1:{ports.backend}"


def enterprise_with_penalties(database_url: str, count: int) -> tuple[dict[str, str], list[int]]:
    """A registry enterprise outside the demo three without a penalty yet (picked at random, so
    tests sharing a database do not meet), given `count` new 行政处罚 records written straight
    into the database the live stack's backend uses: its registry facts (for bind_user) and the
    new records' ids."""
    import random
    from datetime import date

    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from app.enums import CreditCategory, DataClass
    from app.models import CreditRecord, RegistryEntity

    demo = [enterprise["uscc"] for enterprise in demo_enterprises()]
    engine = create_engine(database_url)
    with Session(engine) as session:
        # One with no penalty of its own yet, so the new records are all its penalties.
        penalised = select(CreditRecord.registry_entity_id).where(
            CreditRecord.category == CreditCategory.ADMINISTRATIVE_PENALTY.value
        )
        candidates = session.scalars(
            select(RegistryEntity).where(
                RegistryEntity.uscc.not_in(demo),
                RegistryEntity.status.in_(["存续", "在业"]),
                RegistryEntity.id.not_in(penalised),
            )
        ).all()
        entity = random.choice(candidates)
        records = [
            CreditRecord(
                registry_entity_id=entity.id,
                category=CreditCategory.ADMINISTRATIVE_PENALTY.value,
                data_class=DataClass.PUBLIC.value,
                title=f"示范市生态环境局行政处罚决定书（第{number}号）",
                content=(
                    "当事人在生产过程中未按规定落实扬尘污染防治措施，违反《大气污染防治法》"
                    "第六十九条规定，责令改正，并处罚款人民币两万元整。当事人已于规定期限内"
                    "完成整改并缴清罚款，现场复查合格。"
                ),
                document_no=f"示环罚〔2026〕{100 + number}号",
                amount=20000,
                authority="示范市生态环境局",
                decided_on=date(2026, 3, number),
                publicity_end_on=date(2027, 3, number),
                repairable_after=date(2026, 6, number),
            )
            for number in range(1, count + 1)
        ]
        session.add_all(records)
        session.commit()
        found = {
            "name": entity.name,
            "uscc": entity.uscc,
            "legal_representative": entity.legal_representative,
        }
        ids = [record.id for record in records]
    engine.dispose()
    return found, ids


# The demo city's staff accounts (app/seed/staff.py): development passwords.
DEMO_AGENT = ("demo-agent", "demo-agent-2026")
DEMO_ADMIN = ("demo-admin", "demo-admin-2026")


def staff_sign_in(backend_url: str, account: tuple[str, str] = DEMO_ADMIN) -> dict[str, str]:
    """Signs a demo staff account in (POST /api/v1/staff/sessions): the headers acting as it."""
    import httpx

    username, password = account
    response = httpx.post(
        f"{backend_url}/api/v1/staff/sessions", json={"username": username, "password": password}
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def sms_code(backend_url: str, phone: str) -> str:
    """The latest code sent to `phone`, from the development SMS outbox (what the phone shows)."""
    import httpx

    outbox = httpx.get(
        f"{backend_url}/api/v1/dev/sms-outbox",
        params={"phone": phone},
        headers={"Authorization": "Bearer dev-service-token"},
    )
    outbox.raise_for_status()
    return outbox.json()["items"][0]["code"]


def create_running_event(backend_url: str, staff: dict[str, str], name: str, place: str) -> dict:
    """A promotion event that started an hour ago and runs for three more, created by `staff`."""
    from datetime import UTC, datetime, timedelta

    import httpx

    now = datetime.now(UTC)
    created = httpx.post(
        f"{backend_url}/api/v1/events",
        headers=staff,
        json={
            "name": name,
            "place": place,
            "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(hours=3)).isoformat(),
        },
    )
    assert created.status_code == 201, created.text
    return created.json()


def qr_codes(png: bytes) -> list[str]:
    """What a phone's camera reads from a QR-code image (zxing-cpp)."""
    import io

    import zxingcpp
    from PIL import Image

    return [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
