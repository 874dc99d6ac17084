"""A fix to Rasa Open Source 3.6 that the last open-source release will not get upstream.

Rasa checks every reply of the action server against its response schema with
``jsonschema.validate``, which first checks the *schema itself* against the JSON Schema
meta-schema and builds a new validator — on every call. Profiled under the promotion-event load
(``scripts/bench_events.py``, py-spy on the Rasa process) that was about a third of Rasa's CPU:
each form turn validates two or three action replies. The schema is a constant, so it is checked
once and its validator kept; replies are validated exactly as before (``best_match`` of the same
validator's errors, the same message, the same exception).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_applied = False


@lru_cache(maxsize=1)
def action_response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    error = best_match(action_response_validator().iter_errors(result))
    if error is None:
        return True
    assert isinstance(error, ValidationError)
    error.message += (
        ". Failed to validate Action server response from API, "
        "make sure your response from the Action endpoint is valid. "
        "For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def apply() -> None:
    """Idempotent; bot/__init__.py calls it, so every Rasa process that loads our channels,
    components or tracker store has it."""
    global _applied
    if not _applied:
        RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
        _applied = True
