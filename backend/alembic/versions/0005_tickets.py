"""Objection, repair and hand-off tickets with status history; notifications to users.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401 (used once the tables are written)
from alembic import op  # noqa: F401

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Being written in this change set; the revision exists now so the chain stays linear."""


def downgrade() -> None:
    """Being written in this change set."""
