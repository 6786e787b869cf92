"""hall file fields kept (hall address, phone, short name, level, parent; service description; department short name; device name; co-departments)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 10:00:00.000000
"""

from collections.abc import Sequence

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
