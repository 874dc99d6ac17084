"""Rasa's SQL tracker store, with personal data sealed before it reaches the database.

PRODUCT.md: personal data (ID numbers, phones, natural persons' names) is never written to the
conversation store in clear. Rasa keeps every user message, entity and slot value in its tracker
store, and a registration conversation carries a phone number, an SMS code and a person's name.
This store is Rasa's own `SQLTrackerStore` (the same tables, so scale-out, locks and restarts
work as documented) with one change: before an event is written, every personal datum in it is
replaced by a Fernet token `⟦pii:…⟧`, and tokens are opened again when a tracker is read. What
sits in the database, in a dump or in a backup is ciphertext; the key lives in the environment
(`TRACKER_ENCRYPTION_KEY`), not in the database.

Configured in endpoints.yml:

    tracker_store:
      type: bot.tracker_store.ProtectedSQLTrackerStore
      dialect: postgresql   # or sqlite
      ...
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

ENCRYPTION_KEY_ENV = "TRACKER_ENCRYPTION_KEY"

# Entities and slots whose values are personal data wherever they appear.
PERSONAL_ENTITIES = frozenset({"person_name", "phone", "sms_code"})
PERSONAL_SLOTS = frozenset({"person_name", "phone", "sms_code"})


def is_personal_slot(name: str) -> bool:
    # Every form's contact number (objection_phone, application_phone …) is a phone too.
    return name in PERSONAL_SLOTS or name.endswith("_phone")


MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{6}(?:\d{8}|\d{5})\d{3}[\dXx](?![0-9A-Za-z])")
SEALED = re.compile(r"⟦pii:([A-Za-z0-9_\-=]+)⟧")


class PersonalDataSeal:
    """Seals personal data inside event dicts, and opens it again."""

    def __init__(self, key: str | bytes) -> None:
        self._fernet = Fernet(key)

    @classmethod
    def from_env(cls) -> PersonalDataSeal:
        key = os.environ.get(ENCRYPTION_KEY_ENV)
        if not key:
            raise RuntimeError(
                f"{ENCRYPTION_KEY_ENV} is not set: the tracker store refuses to keep personal "
                "data in clear. Generate one with "
                "`python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`."
            )
        return cls(key)

    def _token(self, value: str) -> str:
        return "⟦pii:" + self._fernet.encrypt(value.encode()).decode() + "⟧"

    def seal_text(self, text: str, known: Iterable[str] = ()) -> str:
        """Seals phones, ID numbers and the given known values (names) wherever they occur."""
        patterns = [
            re.compile(re.escape(value)) for value in sorted(set(known), key=len, reverse=True)
        ]
        for pattern in [*patterns, ID_NUMBER, MOBILE]:
            text = _sub_outside_tokens(pattern, text, lambda m: self._token(m.group(0)))
        return text

    def open_text(self, text: str) -> str:
        def reveal(match: re.Match[str]) -> str:
            try:
                return self._fernet.decrypt(match.group(1).encode()).decode()
            except InvalidToken:
                # Sealed under another key (rotated): the datum is gone, the conversation is not.
                return "***"

        return SEALED.sub(reveal, text)

    def seal_event(self, event: dict[str, Any], known: Iterable[str] = ()) -> dict[str, Any]:
        """Seals an event; `known` adds personal values found elsewhere in the same turn (a name
        typed as a bare answer is recognised only by the slot the form fills with it)."""
        values = _personal_values(event) | set(known)
        return _map_strings(event, lambda text: self.seal_text(text, values))

    def open_event(self, event: dict[str, Any]) -> dict[str, Any]:
        return _map_strings(event, self.open_text)


def _personal_values(event: dict[str, Any]) -> set[str]:
    """Values the NLU or a slot marks as personal in this event (names have no pattern)."""
    values: set[str] = set()
    for entity in (event.get("parse_data") or {}).get("entities") or []:
        if entity.get("entity") in PERSONAL_ENTITIES and isinstance(entity.get("value"), str):
            values.add(entity["value"])
    personal_slot = event.get("event") == "slot" and is_personal_slot(str(event.get("name")))
    if personal_slot and isinstance(event.get("value"), str):
        values.add(event["value"])
    return {value for value in values if len(value) >= 2}


def _sub_outside_tokens(pattern: re.Pattern[str], text: str, replace: Any) -> str:
    # Never look for digits inside a token already sealed: ciphertext may contain such runs.
    parts = re.split(r"(⟦pii:[^⟧]*⟧)", text)
    return "".join(part if SEALED.fullmatch(part) else pattern.sub(replace, part) for part in parts)


def _map_strings(value: Any, transform: Any) -> Any:
    if isinstance(value, str):
        return transform(value)
    if isinstance(value, dict):
        return {key: _map_strings(item, transform) for key, item in value.items()}
    if isinstance(value, list):
        return [_map_strings(item, transform) for item in value]
    return value


class ProtectedSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` whose rows hold sealed personal data (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.seal = PersonalDataSeal.from_env()
        super().__init__(*args, **kwargs)

    async def save(self, tracker: DialogueStateTracker) -> None:
        # SQLTrackerStore.save, with each event sealed before it is serialised.
        await self.stream_events(tracker)
        with self.session_scope() as session:
            events = [event.as_dict() for event in self._additional_events(session, tracker)]
            turn_values = set().union(*(_personal_values(event) for event in events))
            for data in (self.seal.seal_event(event, turn_values) for event in events):
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=data["event"],
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {})
                        .get("intent", {})
                        .get(INTENT_NAME_KEY),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        with self.session_scope() as session:
            rows = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions
            ).all()
            events = [self.seal.open_event(json.loads(row.data)) for row in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None
