"""Fixtures shared by the suites that run real services (actions and end-to-end)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stack import prepare_database


@pytest.fixture(scope="session")
def demo_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh SQLite database, migrated and loaded with the demo city, for one test session."""
    path: Path = tmp_path_factory.mktemp("db") / "xinyidai.db"
    url = f"sqlite:///{path}"
    prepare_database(url)
    yield url
