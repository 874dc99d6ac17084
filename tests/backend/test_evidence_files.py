"""证明材料: a channel uploads the file a user sent; the kind comes from the bytes, the size is
limited, bad input is refused in Chinese with nothing stored, and a repeated delivery of the same
bytes by the same user (at once or later) is the same record."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator

import httpx
import pytest
from conftest import TEST_TOKEN
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session
from support import bound_enterprise, chat
from ticket_helpers import (
    JPEG,
    clock_fixture,  # noqa: F401 (fixture)
    objection_body,
    record_of,
    upload_evidence,
)

from app.core.config import Settings
from app.core.db import create_session_factory
from app.enums import CreditCategory
from app.main import create_app
from app.models import EvidenceFile, Ticket
from app.services import evidence as evidence_service
from app.services.evidence import sniff_content_type, store_evidence

URL = "/api/v1/evidence-files"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
ID_PATTERN = re.compile(r"^[A-Za-z0-9_\-]+$")  # EvidenceRef.id

KINDS = {
    "image/jpeg": JPEG,
    "image/png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR receipt",
    "image/gif": b"GIF89a\x01\x00\x01\x00 receipt",
    "image/webp": b"RIFF\x24\x00\x00\x00WEBPVP8 receipt",
    "application/pdf": b"%PDF-1.7\n% rectification report",
}


def _count(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(EvidenceFile))


@pytest.mark.parametrize("content_type", list(KINDS))
def test_an_upload_is_stored_with_its_kind_from_the_bytes(
    client: TestClient, session: Session, content_type: str
) -> None:
    data = KINDS[content_type]
    # The header is what the channel guessed; the stored kind is what the bytes are.
    response = client.post(URL, content=data, headers={**chat("oLi"), "Content-Type": "text/plain"})

    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "sha256", "size", "content_type"}
    assert body["id"].startswith("ev_") and ID_PATTERN.fullmatch(body["id"])
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert (body["size"], body["content_type"]) == (len(data), content_type)
    stored = session.get(EvidenceFile, body["id"])
    assert stored.content == data
    assert (stored.uploader_channel, stored.uploader_user_id) == ("wechat", "oLi")
    assert stored.created_at is not None


def test_the_same_bytes_from_the_same_user_are_the_same_record(
    client: TestClient, session: Session
) -> None:
    first = client.post(URL, content=JPEG, headers=chat("oLi"))
    again = client.post(URL, content=JPEG, headers=chat("oLi"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()

    # Another user, another channel or other bytes are files of their own.
    other_user = client.post(URL, content=JPEG, headers=chat("oZhang"))
    other_channel = client.post(URL, content=JPEG, headers=chat("oLi", channel="app"))
    other_bytes = client.post(URL, content=JPEG + b"!", headers=chat("oLi"))
    assert {r.status_code for r in (other_user, other_channel, other_bytes)} == {201}
    ids = {r.json()["id"] for r in (first, other_user, other_channel, other_bytes)}
    assert len(ids) == 4
    assert _count(session) == 4


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "evidence_empty"),
        (b"hello, this is text", "evidence_type_unsupported"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "evidence_type_unsupported"),
        (b"MZ\x90\x00 a windows program", "evidence_type_unsupported"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt a sound", "evidence_type_unsupported"),
        (b"\xff\xd8", "evidence_type_unsupported"),  # too short to be a JPEG
        (b'{"image": "base64..."}', "evidence_type_unsupported"),
    ],
)
def test_empty_or_unknown_content_is_refused_and_nothing_stored(
    client: TestClient, session: Session, content: bytes, code: str
) -> None:
    response = client.post(
        URL, content=content, headers={**chat("oLi"), "Content-Type": "image/jpeg"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert CHINESE.search(response.json()["message"])
    assert _count(session) == 0


def test_the_size_limit(app: FastAPI, client: TestClient, session: Session) -> None:
    assert Settings(_env_file=None).evidence_max_bytes == 5 * 1024 * 1024  # type: ignore[call-arg]
    app.state.settings.evidence_max_bytes = 2048
    at_limit = JPEG + b"\x00" * (2048 - len(JPEG))

    assert client.post(URL, content=at_limit, headers=chat("oLi")).status_code == 201
    over = client.post(URL, content=at_limit + b"\x00", headers=chat("oLi"))
    assert over.status_code == 413
    assert over.json()["code"] == "evidence_too_large"
    assert "2 KB" in over.json()["message"] and CHINESE.search(over.json()["message"])

    # Without a Content-Length (chunked), the body is cut off as it grows past the limit.
    def chunks() -> Iterator[bytes]:
        yield JPEG
        for _ in range(10):
            yield b"\x00" * 1024

    streamed = client.post(URL, content=chunks(), headers=chat("oLi"))
    assert streamed.status_code == 413
    assert streamed.json()["code"] == "evidence_too_large"
    assert _count(session) == 1


def test_callers_without_the_token_or_a_chat_user_are_refused(
    client: TestClient, anon_client: TestClient, session: Session
) -> None:
    no_token = anon_client.post(URL, content=JPEG, headers=chat("oLi"))
    assert no_token.status_code == 401
    no_user = client.post(URL, content=JPEG)
    assert no_user.status_code == 422 and no_user.json()["code"] == "invalid_input"
    bad_channel = client.post(URL, content=JPEG, headers=chat("oLi", channel="WeChat!"))
    assert bad_channel.status_code == 422
    assert _count(session) == 0


def test_sniffing_reads_only_the_magic_bytes() -> None:
    assert {kind: sniff_content_type(data) for kind, data in KINDS.items()} == {
        kind: kind for kind in KINDS
    }
    assert sniff_content_type(b"GIF87a old gif") == "image/gif"
    assert sniff_content_type(b"RIFF\x00\x00\x00\x00WEB") is None
    assert sniff_content_type(b" %PDF-1.7") is None  # not at the start


def test_a_lost_insert_race_returns_the_winners_record(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the unique key is for: the loser's insert fails and it answers the winner's row."""
    from app.api.deps import ChatUserRef
    from app.models import utcnow

    uploader = ChatUserRef("wechat", "oRace")
    winner, created = store_evidence(session, uploader, JPEG, max_bytes=10_000, now=utcnow())
    assert created
    real_find = evidence_service._find
    looks: list[bool] = []

    def find_late(*args: object) -> EvidenceFile | None:
        # The loser's first look came before the winner committed: it saw nothing.
        looks.append(True)
        return None if len(looks) == 1 else real_find(*args)

    monkeypatch.setattr(evidence_service, "_find", find_late)

    loser, created = store_evidence(session, uploader, JPEG, max_bytes=10_000, now=utcnow())

    assert (loser.id, created) == (winner.id, False)
    assert len(looks) == 2  # the insert failed on the unique key, and it looked again
    assert _count(session) == 1


# ----------------------------------------------------------------- staff open it


@pytest.mark.parametrize("role", ["坐席", "管理员"])
def test_staff_open_the_file_as_it_was_sent(
    client: TestClient, anon_client: TestClient, staff_headers, session: Session, role: str
) -> None:
    data = KINDS["image/png"]
    file_id = client.post(URL, content=data, headers=chat("oLi")).json()["id"]

    opened = anon_client.get(f"/api/v1/staff/evidence-files/{file_id}", headers=staff_headers(role))

    assert opened.status_code == 200
    assert opened.content == data
    assert opened.headers["content-type"] == "image/png"
    assert opened.headers["x-content-type-options"] == "nosniff"
    assert opened.headers["cache-control"] == "no-store"


def test_staff_download_refusals(
    client: TestClient, anon_client: TestClient, staff_headers, session: Session
) -> None:
    file_id = client.post(URL, content=JPEG, headers=chat("oLi")).json()["id"]
    agent = staff_headers("坐席")
    missing = anon_client.get("/api/v1/staff/evidence-files/ev_nothing", headers=agent)
    assert missing.status_code == 404 and missing.json()["code"] == "evidence_not_found"
    assert CHINESE.search(missing.json()["message"])
    bad = anon_client.get("/api/v1/staff/evidence-files/..%2Fetc", headers=agent)
    assert bad.status_code in (404, 422)
    # The service token is not a staff token: the action server cannot read files back.
    assert client.get(f"/api/v1/staff/evidence-files/{file_id}").status_code == 401
    assert anon_client.get(f"/api/v1/staff/evidence-files/{file_id}").status_code == 401


# ----------------------------------------------------------------- real commits, at once


@pytest.fixture
def committed_app(engine: Engine, settings: Settings) -> Iterator[tuple[FastAPI, str]]:
    application = create_app(settings)
    # The app's own engine would miss the test schema's search_path on PostgreSQL.
    application.state.session_factory = create_session_factory(engine)
    user_id = f"oRaceEvidence{threading.get_ident()}"
    yield application, user_id
    with Session(engine) as cleanup:
        cleanup.execute(delete(EvidenceFile).where(EvidenceFile.uploader_user_id == user_id))
        cleanup.commit()


def test_the_same_image_delivered_at_once_is_one_record(
    engine: Engine, committed_app: tuple[FastAPI, str]
) -> None:
    application, user_id = committed_app
    deliveries = 4
    headers = {"Authorization": f"Bearer {TEST_TOKEN}", **chat(user_id)}
    barrier = threading.Barrier(deliveries)
    replies: list[httpx.Response] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            client = TestClient(application, headers=headers)
            barrier.wait(timeout=30)
            replies.append(client.post(URL, content=JPEG))
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=deliver) for _ in range(deliveries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sorted(r.status_code for r in replies) == [200] * (deliveries - 1) + [201]
    assert len({r.json()["id"] for r in replies}) == 1
    with Session(engine) as check:
        rows = check.scalars(
            select(EvidenceFile).where(EvidenceFile.uploader_user_id == user_id)
        ).all()
    assert [row.id for row in rows] == [replies[0].json()["id"]]
    assert rows[0].content == JPEG


# ----------------------------------------------------------------- tickets filed before 0007


def test_a_ticket_with_an_old_wechat_media_reference_still_shows(
    client: TestClient, bind, demo_city, session: Session, clock
) -> None:
    enterprise_id = bound_enterprise(bind, demo_city[1], "oLi")
    penalty = record_of(session, demo_city[1].uscc, CreditCategory.ADMINISTRATIVE_PENALTY)
    receipt = upload_evidence(client, "oLi")
    filed = client.post(
        f"/api/v1/enterprises/{enterprise_id}/objections",
        json=objection_body(penalty.id, evidence=[receipt]),
        headers=chat("oLi"),
    )
    number = filed.json()["ticket"]["number"]
    # What a ticket filed before evidence files holds: a WeChat media id, long expired.
    session.execute(
        update(Ticket)
        .where(Ticket.number == number)
        .values(evidence=[{"type": "wechat_media", "id": "MEDIA_old"}, receipt])
    )
    session.commit()

    shown = client.get(f"/api/v1/tickets/{number}", headers=chat("oLi"))

    assert shown.status_code == 200, shown.text
    assert shown.json()["evidence"] == [receipt]
