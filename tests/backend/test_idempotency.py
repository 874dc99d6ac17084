"""Idempotent creates: repeats replay the first reply, concurrent repeats create one row."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from app.errors import AppError
from app.models import ChatUser, IdempotencyRecord
from app.services.idempotency import run_once


def create_chat_user(session: Session, channel: str):
    """A create with no natural unique key: only idempotency keeps repeats from adding rows."""

    def create() -> tuple[int, dict]:
        user = ChatUser(channel=channel, external_user_id=uuid.uuid4().hex)
        session.add(user)
        session.flush()
        return 201, {"id": user.id}

    return create


def test_a_repeat_replays_the_first_reply(session: Session):
    first = run_once(
        session,
        scope="test.create",
        key="k-1",
        payload={"a": 1},
        create=create_chat_user(session, "t1"),
    )
    second = run_once(
        session,
        scope="test.create",
        key="k-1",
        payload={"a": 1},
        create=create_chat_user(session, "t1"),
    )

    assert first == second
    assert session.scalar(select(func.count()).where(ChatUser.channel == "t1")) == 1


def test_the_same_key_for_a_different_request_is_refused(session: Session):
    run_once(
        session,
        scope="test.create",
        key="k-2",
        payload={"a": 1},
        create=create_chat_user(session, "t2"),
    )

    with pytest.raises(AppError) as refused:
        run_once(
            session,
            scope="test.create",
            key="k-2",
            payload={"a": 2},
            create=create_chat_user(session, "t2"),
        )

    assert refused.value.code == "idempotency_key_reused"
    assert refused.value.status_code == 422
    assert session.scalar(select(func.count()).where(ChatUser.channel == "t2")) == 1


def test_scopes_are_separate(session: Session):
    run_once(
        session, scope="a.create", key="k-3", payload={}, create=create_chat_user(session, "t3")
    )
    run_once(
        session, scope="b.create", key="k-3", payload={}, create=create_chat_user(session, "t3")
    )

    assert session.scalar(select(func.count()).where(ChatUser.channel == "t3")) == 2


@pytest.fixture
def committed_channel(engine: Engine) -> Iterator[str]:
    """A channel name for rows that really commit (concurrency needs separate transactions)."""
    channel = f"c{uuid.uuid4().hex[:10]}"
    yield channel
    with Session(engine) as cleanup:
        cleanup.execute(delete(ChatUser).where(ChatUser.channel == channel))
        cleanup.execute(delete(IdempotencyRecord).where(IdempotencyRecord.key == channel))
        cleanup.commit()


def test_concurrent_deliveries_create_one_row_and_get_one_reply(engine: Engine, committed_channel):
    deliveries = 8
    barrier = threading.Barrier(deliveries)
    replies: list[tuple[int, dict]] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        with Session(engine) as session:
            try:
                barrier.wait()
                replies.append(
                    run_once(
                        session,
                        scope="test.concurrent",
                        key=committed_channel,
                        payload={"same": True},
                        create=create_chat_user(session, committed_channel),
                    )
                )
            except BaseException as error:  # collected and asserted below
                errors.append(error)

    threads = [threading.Thread(target=deliver) for _ in range(deliveries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(replies) == deliveries
    assert len(set(map(repr, replies))) == 1
    with Session(engine) as check:
        count = check.scalar(select(func.count()).where(ChatUser.channel == committed_channel))
    assert count == 1
