"""Shared by the ticket tests (objections, repairs, hand-offs, progress, notifications): a fixed
request clock, chat-user headers, record look-ups, and committed fixtures for concurrency tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session
from support import NOW, chat

from app.api.deps import get_now
from app.core.config import Settings
from app.core.db import create_session_factory
from app.enums import CreditCategory, DataClass, RecordStatus
from app.main import create_app
from app.models import (
    Binding,
    ChatUser,
    CreditRecord,
    Enterprise,
    IdempotencyRecord,
    Notification,
    RegistryEntity,
    Ticket,
    TicketEvent,
    TicketSequence,
)
from app.services.working_days import CHINA_TZ

# The first bytes of a JPEG (what WeChat's media download gives): enough for content sniffing.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00 receipt photo"
# Two working days after support.NOW.
NOW_DEADLINE = date(2026, 7, 2)

SetClock = Callable[[datetime], None]


@pytest.fixture(name="clock")
def clock_fixture(app: FastAPI) -> SetClock:
    """Fixes the request clock at NOW; call the fixture's value to move it."""

    def set_time(moment: datetime) -> None:
        app.dependency_overrides[get_now] = lambda: moment

    set_time(NOW)
    return set_time


def record_of(session: Session, uscc: str, category: CreditCategory) -> CreditRecord:
    return session.scalars(
        select(CreditRecord)
        .join(RegistryEntity, RegistryEntity.id == CreditRecord.registry_entity_id)
        .where(RegistryEntity.uscc == uscc, CreditRecord.category == category.value)
        .order_by(CreditRecord.id)
    ).first()


def objection_body(record_id: int, **overrides) -> dict:
    return {
        "record_id": record_id,
        "reason": "已履行或已整改",
        "description": "罚款3000元早就交了，缴款凭证在这里，麻烦更新一下。",
        # Evidence must name files the user uploaded (upload_evidence); none by default.
        "evidence": [],
        "contact_phone": "13812345678",
        **overrides,
    }


def upload_evidence(
    client: TestClient, user_id: str = "oLi", content: bytes = JPEG, channel: str = "wechat"
) -> dict[str, str]:
    """Uploads `content` as the chat user, as the channel does, and returns the reference a
    ticket's evidence takes."""
    response = client.post(
        "/api/v1/evidence-files", content=content, headers=chat(user_id, channel)
    )
    assert response.status_code in (200, 201), response.text
    return {"type": "upload", "id": response.json()["id"]}


def repair_body(record_id: int, **overrides) -> dict:
    return {
        "record_id": record_id,
        "commitment_version": "v1",
        "commitment_accepted": True,
        "proof": [],
        "proof_description": "罚款已于2026年6月1日缴清，缴款书号 3201260601001",
        "contact_phone": "13912345678",
        **overrides,
    }


# ----------------------------------------------------------------- committed data (threads)


@dataclass(frozen=True)
class Committed:
    """Rows that really commit, for requests racing in separate transactions."""

    enterprise_id: int
    registry_entity_id: int
    penalty_id: int
    channel: str
    user_id: str
    app: FastAPI


# A Monday no other test creates tickets on; its sequence rows are removed afterwards.
RACE_NOW = datetime(2026, 3, 16, 9, 0, tzinfo=CHINA_TZ).astimezone(UTC)


@pytest.fixture(name="committed")
def committed_fixture(engine: Engine, settings: Settings) -> Iterator[Committed]:
    tag = uuid.uuid4().hex[:10].upper()
    with Session(engine) as setup:
        entity = RegistryEntity(
            uscc=f"92RACE{tag}00"[:18],
            name=f"并发测试小吃店{tag}",
            legal_representative="赵小雨",
            entity_type="个体工商户",
            industry="住宿和餐饮业",
            scale="微型",
            registered_capital=Decimal("5.00"),
            established_on=date(2020, 1, 1),
            address="示范市测试路1号",
            registration_authority="示范市市场监督管理局",
            status="在业",
            tags=[],
            white_listed=False,
        )
        setup.add(entity)
        setup.flush()
        enterprise = Enterprise(
            registry_entity_id=entity.id,
            uscc=entity.uscc,
            name=entity.name,
            is_individual_business=True,
        )
        user = ChatUser(channel="wechat", external_user_id=f"oRace{tag}")
        setup.add_all([enterprise, user])
        setup.flush()
        setup.add(
            Binding(
                chat_user_id=user.id,
                enterprise_id=enterprise.id,
                role="法定代表人",
                person_name="赵小雨",
            )
        )
        penalty = CreditRecord(
            registry_entity_id=entity.id,
            category=CreditCategory.ADMINISTRATIVE_PENALTY.value,
            data_class=DataClass.PUBLIC.value,
            title="示范市市场监督管理局行政处罚决定书",
            content="当事人未按规定公示证照，决定处罚款人民币1,000元。",
            authority="示范市市场监督管理局",
            decided_on=date(2025, 6, 1),
            amount=Decimal("1000"),
            publicity_end_on=date(2026, 6, 1),
            repairable_after=date(2025, 9, 1),
            status=RecordStatus.NORMAL.value,
        )
        setup.add(penalty)
        setup.commit()
        ids = (enterprise.id, entity.id, penalty.id, user.id)

    application = create_app(settings)
    # The app's own engine would miss the test schema's search_path on PostgreSQL.
    application.state.session_factory = create_session_factory(engine)
    application.dependency_overrides[get_now] = lambda: RACE_NOW
    yield Committed(ids[0], ids[1], ids[2], "wechat", f"oRace{tag}", application)

    with Session(engine) as cleanup:
        enterprise_id, entity_id, penalty_id, user_id = ids
        ticket_ids = select(Ticket.id).where(Ticket.chat_user_id == user_id)
        cleanup.execute(delete(Notification).where(Notification.ticket_id.in_(ticket_ids)))
        cleanup.execute(delete(TicketEvent).where(TicketEvent.ticket_id.in_(ticket_ids)))
        cleanup.execute(delete(Ticket).where(Ticket.chat_user_id == user_id))
        cleanup.execute(
            delete(TicketSequence).where(TicketSequence.day == RACE_NOW.astimezone(CHINA_TZ).date())
        )
        cleanup.execute(delete(IdempotencyRecord).where(IdempotencyRecord.key.like(f"%{tag}%")))
        cleanup.execute(delete(Binding).where(Binding.chat_user_id == user_id))
        cleanup.execute(delete(ChatUser).where(ChatUser.id == user_id))
        cleanup.execute(delete(Enterprise).where(Enterprise.id == enterprise_id))
        cleanup.execute(delete(CreditRecord).where(CreditRecord.id == penalty_id))
        cleanup.execute(delete(RegistryEntity).where(RegistryEntity.id == entity_id))
        cleanup.commit()


def race_key(committed: Committed, name: str) -> str:
    """An idempotency key the cleanup finds (it contains the fixture's tag)."""
    return f"{name}-{committed.user_id}"


__all__ = [
    "JPEG",
    "NOW_DEADLINE",
    "RACE_NOW",
    "Committed",
    "SetClock",
    "clock_fixture",
    "committed_fixture",
    "objection_body",
    "race_key",
    "record_of",
    "repair_body",
    "upload_evidence",
]
