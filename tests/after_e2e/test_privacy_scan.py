"""Run last, after tests/e2e and tests/browser in the same session (make test-e2e lists it last):
everything the live stack wrote while the suites typed phones, names and codes into it — every
service's log and Rasa's conversation store — holds no mobile number and no ID-card number in
clear. (Masked forms such as 138****5678 do not match.)"""

from __future__ import annotations

import re

from tests.conftest import LiveStack

MOBILE = re.compile(rb"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
ID_CARD = re.compile(
    rb"(?<![0-9])[1-9][0-9]{5}(?:19|20)[0-9]{2}[01][0-9][0-3][0-9]{4}[0-9Xx](?![0-9])"
)


def findings(data: bytes) -> list[str]:
    found = []
    for pattern in (MOBILE, ID_CARD):
        for match in pattern.finditer(data):
            start = max(0, match.start() - 60)
            found.append(data[start : match.end() + 20].decode(errors="replace"))
    return found


def test_no_phone_or_id_number_in_clear_in_logs_or_the_tracker_store(live_stack: LiveStack):
    logs = live_stack.all_logs().encode()
    assert len(logs) > 10_000  # the suites ran on this stack
    assert findings(logs) == []
    store = live_stack.tracker_store_bytes()
    assert len(store) > 10_000
    assert findings(store) == []
