"""hall.confirmed_years and matter.licensing: two hall-file fields that were validated and dropped

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 08:10:00.000000

chinese-calendar knows the State Council's arrangements up to 2026; for a later year the hall uses the
statutory rules (the holidays package) plus the make-up days its hall file lists, and says so until the
year is listed here. Existing halls have confirmed nothing: the empty list.

A licensing matter (行政许可) is called only by staff holding a valid law-enforcement qualification;
existing matters are not marked (false) until the hall file is loaded again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD/DROP COLUMN (SQLite 3.35+): a batch copy of ``matter`` would drop a table that
    # material, ticket and case rows reference.
    op.add_column(
        "hall", sa.Column("confirmed_years", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
    )
    op.add_column("matter", sa.Column("licensing", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("matter", "licensing")
    op.drop_column("hall", "confirmed_years")
