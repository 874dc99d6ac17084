"""Ticket numbers: prefix (YY 异议, XF 修复, RG 人工) + China calendar day + a 4-digit sequence per
prefix and day; human readable, unique, and safe when created concurrently."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from app.models import TicketKind, TicketSequence
from app.services.tickets import next_number
from app.services.working_days import CHINA_TZ


def test_numbers_count_per_prefix_and_china_day(session: Session) -> None:
    morning = datetime(2025, 9, 30, 9, 0, tzinfo=CHINA_TZ)

    assert next_number(session, TicketKind.OBJECTION, morning) == "YY202509300001"
    assert next_number(session, TicketKind.OBJECTION, morning) == "YY202509300002"
    assert next_number(session, TicketKind.REPAIR, morning) == "XF202509300001"
    assert next_number(session, TicketKind.HANDOFF, morning) == "RG202509300001"
    # 16:30 UTC on 09-30 is already 10-01 in China: a new day starts at 0001.
    assert next_number(
        session, TicketKind.OBJECTION, datetime(2025, 9, 30, 16, 30, tzinfo=UTC)
    ) == ("YY202510010001")
    assert next_number(session, TicketKind.OBJECTION, morning + timedelta(hours=5)) == (
        "YY202509300003"
    )


def test_after_9999_the_number_grows_instead_of_repeating(session: Session) -> None:
    session.add(TicketSequence(prefix="RG", day=date(2025, 1, 6), last_value=9999))
    session.flush()
    day = datetime(2025, 1, 6, 10, 0, tzinfo=CHINA_TZ)
    assert next_number(session, TicketKind.HANDOFF, day) == "RG2025010610000"


@pytest.fixture
def race_day(engine: Engine) -> Iterator[date]:
    """A day of its own for committed sequence rows, removed afterwards."""
    day = date(2024, 2, 1) + timedelta(days=uuid.uuid4().int % 300)
    yield day
    with Session(engine) as cleanup:
        cleanup.execute(delete(TicketSequence).where(TicketSequence.day == day))
        cleanup.commit()


def test_concurrent_creates_get_different_numbers(engine: Engine, race_day: date) -> None:
    workers = 8
    barrier = threading.Barrier(workers)
    numbers: list[str] = []
    errors: list[BaseException] = []
    moment = datetime(race_day.year, race_day.month, race_day.day, 12, 0, tzinfo=CHINA_TZ)

    def take() -> None:
        with Session(engine) as session:
            try:
                barrier.wait(timeout=30)
                numbers.append(next_number(session, TicketKind.OBJECTION, moment))
                session.commit()
            except BaseException as error:  # collected and asserted below
                errors.append(error)

    threads = [threading.Thread(target=take) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    prefix = f"YY{race_day:%Y%m%d}"
    assert sorted(numbers) == [f"{prefix}{i:04d}" for i in range(1, workers + 1)]
