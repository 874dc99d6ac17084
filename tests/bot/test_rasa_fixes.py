"""bot/rasa_fixes.py: Rasa still checks the action server's replies exactly as before — a valid
reply passes, an invalid one raises jsonschema's ValidationError with Rasa's message — but the
response schema is checked and compiled once, not on every reply."""

from __future__ import annotations

import jsonschema
import pytest
from jsonschema.exceptions import ValidationError
from rasa.core.actions.action import RemoteAction

import bot  # noqa: F401  (applies the fix, as loading any of our Rasa modules does)
from bot import rasa_fixes

VALID = {
    "events": [{"event": "slot", "name": "registration_uscc", "value": "91329901MA1GY0017X"}],
    "responses": [{"text": "请告诉我您的姓名。"}],
}


def test_valid_replies_pass_and_invalid_ones_raise_rasas_error() -> None:
    action = RemoteAction("validate_registration_form", None)
    assert action._validate_action_result(VALID) is True
    assert action._validate_action_result({}) is True
    with pytest.raises(ValidationError) as raised:
        action._validate_action_result({"events": [{"event": "no_such_event"}]})
    assert "Failed to validate Action server response" in raised.value.message
    with pytest.raises(ValidationError):
        action._validate_action_result({"responses": "not a list"})


def test_it_agrees_with_jsonschema_validate_on_the_same_replies() -> None:
    schema = RemoteAction.action_response_format_spec()
    action = RemoteAction("action_credit_check", None)
    for reply in (VALID, {"events": [{"event": "bot", "text": "您好"}]}, {"events": "x"}):
        try:
            jsonschema.validate(reply, schema)
            expected = None
        except ValidationError as error:
            expected = error.message
        try:
            action._validate_action_result(reply)
            got = None
        except ValidationError as error:
            got = error.message.split(". Failed to validate")[0]
        assert got == expected


def test_the_schema_is_checked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    rasa_fixes.action_response_validator.cache_clear()
    checks: list[object] = []
    validator_class = jsonschema.validators.validator_for(
        RemoteAction.action_response_format_spec()
    )
    original = validator_class.check_schema
    monkeypatch.setattr(
        validator_class, "check_schema", lambda schema: (checks.append(schema), original(schema))
    )
    action = RemoteAction("action_credit_check", None)
    for _ in range(5):
        action._validate_action_result(VALID)
    assert len(checks) == 1
