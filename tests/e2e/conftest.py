"""The end-to-end suite runs on the session's live stack (`live_stack`, tests/conftest.py, shared
with tests/browser so that one run starts the three services once)."""

from __future__ import annotations

from tests.conftest import LiveStack

__all__ = ["LiveStack"]
