"""The tracker store keeps personal data sealed at rest and gives conversations back whole."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import ENCRYPTION_KEY_ENV, PersonalDataSeal, ProtectedSQLTrackerStore

ROOT = Path(__file__).resolve().parents[2]
PHONE = "13812345678"
ID_NUMBER = "110101199003071234"
NAME = "张明华"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "bot" / "domain"))


@pytest.fixture
def store(tmp_path: Path, domain: Domain, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(ENCRYPTION_KEY_ENV, Fernet.generate_key().decode())
    return ProtectedSQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "t.db"))


def registration_turns(sender: str, domain: Domain) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, domain.slots)
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(
        UserUttered(
            f"我是法人{NAME}，手机{PHONE}，身份证{ID_NUMBER}",
            intent={"name": "inform", "confidence": 0.98},
            entities=[
                {"entity": "person_name", "value": NAME, "start": 4, "end": 7},
                {"entity": "phone", "value": PHONE, "start": 10, "end": 21},
            ],
        )
    )
    tracker.update(SlotSet("hotline", "12345"))
    tracker.update(BotUttered("验证码已发送至 138****5678"))
    return tracker


def stored_rows(store: ProtectedSQLTrackerStore) -> str:
    """The rows as a person reading the database would see them (Chinese unescaped)."""
    path = store.engine.url.database
    with sqlite3.connect(path) as connection:
        rows = [row[0] for row in connection.execute("SELECT data FROM events")]
    return "\n".join(json.dumps(json.loads(row), ensure_ascii=False) for row in rows)


async def test_personal_data_is_sealed_at_rest(store, domain):
    await store.save(registration_turns("u1", domain))

    raw = stored_rows(store)
    for secret in (PHONE, ID_NUMBER, NAME):
        assert secret not in raw
    assert "⟦pii:" in raw
    # what is not personal stays readable for analytics and debugging
    assert "inform" in raw and "hotline" in raw


async def test_the_conversation_comes_back_whole(store, domain):
    await store.save(registration_turns("u2", domain))

    tracker = await store.retrieve("u2")

    user = tracker.latest_message
    assert user.text == f"我是法人{NAME}，手机{PHONE}，身份证{ID_NUMBER}"
    assert {e["value"] for e in user.entities} == {NAME, PHONE}
    assert tracker.get_slot("hotline") == "12345"
    assert [e.type_name for e in tracker.events][-1] == "bot"


async def test_saving_again_adds_only_new_events(store, domain):
    tracker = registration_turns("u3", domain)
    await store.save(tracker)
    tracker.update(UserUttered("验证码 123456", intent={"name": "inform", "confidence": 0.9}))
    await store.save(tracker)

    reloaded = await store.retrieve("u3")
    assert [e.as_dict()["event"] for e in reloaded.events] == [
        e.as_dict()["event"] for e in tracker.events
    ]
    assert reloaded.latest_message.text == "验证码 123456"


def test_without_a_key_the_store_refuses_to_start(tmp_path, domain, monkeypatch):
    monkeypatch.delenv(ENCRYPTION_KEY_ENV, raising=False)
    with pytest.raises(RuntimeError, match=ENCRYPTION_KEY_ENV):
        ProtectedSQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "t.db"))


def test_a_sealed_value_under_another_key_opens_as_stars():
    sealed = PersonalDataSeal(Fernet.generate_key()).seal_text(f"手机{PHONE}")
    assert PersonalDataSeal(Fernet.generate_key()).open_text(sealed) == "手机***"


def test_known_values_never_match_inside_earlier_ciphertext():
    seal = PersonalDataSeal(Fernet.generate_key())
    text = f"手机{PHONE} 验证码 123456"
    for _ in range(50):  # ciphertext is random: try many
        sealed = seal.seal_text(text, known=[PHONE, "123456", "12"])
        assert seal.open_text(sealed) == text


async def test_a_bare_answer_is_sealed_through_the_slot_the_form_fills(store, domain):
    # "陈志强" typed alone as the answer to "您的姓名是": no entity, only the form's slot knows.
    tracker = DialogueStateTracker("u4", domain.slots)
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered("陈志强", intent={"name": "inform", "confidence": 0.7}))
    tracker.update(SlotSet("person_name", "陈志强"))
    tracker.update(UserUttered("482913", intent={"name": "inform", "confidence": 0.7}))
    tracker.update(SlotSet("sms_code", "482913"))

    await store.save(tracker)

    raw = stored_rows(store)
    assert "陈志强" not in raw
    assert "482913" not in raw
    reloaded = await store.retrieve("u4")
    assert reloaded.latest_message.text == "482913"


def test_every_phone_or_name_slot_of_the_domain_is_personal(domain):
    from bot.tracker_store import is_personal_slot

    slots = [slot.name for slot in domain.slots]
    contact_slots = [name for name in slots if "phone" in name or name.endswith("person_name")]
    assert contact_slots
    assert all(is_personal_slot(name) for name in contact_slots)
