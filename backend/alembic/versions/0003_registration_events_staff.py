"""SMS codes and outbox, registrations with event attribution, events, staff users and sessions.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401 (used once the tables are written)
from alembic import op  # noqa: F401

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Being written in this change set; the revision exists now so the chain stays linear."""


def downgrade() -> None:
    """Being written in this change set."""
