"""supervision: the open cases and the unrectified bad ratings read through indexes

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 23:00:00.000000

Supervision reads, at every evaluation of a hall, its promised cases not yet closed and its bad ratings
not yet rectified. By ``hall_id`` alone these reads walked the hall's whole history (a year of a large
hall: 1.1 M cases, 700 k ratings; 490 and 160 ms per evaluation). ``ix_case_file_open`` holds only the
open cases, by deadline; ``ix_rating_unrectified`` leads with the three compared columns.
Index-only changes: SQLite keeps the tables (no batch copy).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_case_file_open",
        "case_file",
        ["hall_id", "deadline"],
        unique=False,
        sqlite_where=sa.text("closed_at IS NULL"),
        postgresql_where=sa.text("closed_at IS NULL"),
    )
    op.create_index("ix_rating_unrectified", "rating", ["hall_id", "bad", "rectified_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_rating_unrectified", table_name="rating")
    op.drop_index("ix_case_file_open", table_name="case_file")
