"""Fixtures of the channel tests: the real backend, which keeps the images users send."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import ARTIFACTS, running_backend


@pytest.fixture(scope="session")
def backend_url(demo_database_url: str) -> Iterator[str]:
    """The backend process on the session's demo database (tests/conftest.py), as the action
    tests use it; the WeChat channel uploads images to it."""
    with running_backend(demo_database_url, ARTIFACTS / "bot-logs") as url:
        yield url
