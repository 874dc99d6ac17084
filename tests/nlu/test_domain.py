"""The domain, stories and rules hold together: Rasa's validator, plus what it cannot see.

Rasa's validator counts a response as unused unless a story or rule names it; responses that the
actions send (`response="utter_…"`) and the forms' `utter_ask_<slot>` questions are used too, so
this test gathers those and fails on every other warning.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.validator import Validator

ROOT = Path(__file__).resolve().parents[2]
ALWAYS_RAISED = [
    # Rasa 3.6 says this whenever a domain has slots at all, whatever their mappings.
    re.compile(r"Slot auto-fill has been removed in 3\.0 .*"),
    # The importer adds retrieval intents to the domain it loaded and then warns that `faq` is
    # declared twice; leaving the declaration out instead makes the faq rule name an unknown intent.
    re.compile(
        r"The following duplicated intents have been found across multiple domain files: faq"
    ),
]
UNUSED_UTTERANCE = re.compile(r"The utterance '(utter_\w+)' is not used in any story or rule")


def responses_sent_by_actions() -> set[str]:
    pattern = re.compile(r"""response\s*=\s*["'](utter_\w+)["']""")
    return {
        name
        for path in (ROOT / "actions").rglob("*.py")
        for name in pattern.findall(path.read_text())
    }


def load_validator() -> Validator:
    importer = TrainingDataImporter.load_from_config(
        config_path=str(ROOT / "bot" / "config.yml"),
        domain_path=str(ROOT / "bot" / "domain"),
        training_data_paths=[str(ROOT / "bot" / "data"), str(ROOT / "nlu_data")],
    )
    return Validator.from_importer(importer)


@pytest.fixture(scope="module")
def validator() -> Validator:
    return load_validator()


def test_validator_finds_nothing_but_responses_the_actions_send():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        validator = load_validator()
        valid = all(
            [
                validator.verify_intents_in_stories(ignore_warnings=True),
                validator.verify_example_repetition_in_intents(ignore_warnings=True),
                validator.verify_utterances_in_stories(ignore_warnings=True),
                validator.verify_story_structure(ignore_warnings=True),
                validator.verify_domain_validity(),
                validator.verify_forms_in_stories_rules(),
                validator.verify_actions_in_stories_rules(),
            ]
        )
    # A form asks for each of its slots with utter_ask_<slot>.
    sent_by_actions = responses_sent_by_actions() | {
        f"utter_ask_{slot}"
        for form in validator.domain.forms.values()
        for slot in form.get("required_slots", [])
    }
    problems = []
    for warning in caught:
        message = str(warning.message)
        unused = UNUSED_UTTERANCE.search(message)
        if unused and unused.group(1) in sent_by_actions:
            continue
        if any(known.fullmatch(message) for known in ALWAYS_RAISED):
            continue
        if issubclass(warning.category, UserWarning):
            problems.append(message)
    assert valid
    assert problems == []


def test_every_response_an_action_sends_exists(validator: Validator):
    missing = responses_sent_by_actions() - set(validator.domain.responses)
    assert missing == set()
