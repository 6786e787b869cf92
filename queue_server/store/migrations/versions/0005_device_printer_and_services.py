"""device: the printer width and the services a kiosk offers, from the hall file

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 10:00:00.000000

The hall file always accepted ``printer_width_mm`` (58/80, kiosks and window agents) and ``services``
(kiosks: the service letters it offers) per device, but the table had nowhere to keep them, so the
device configs fell back to defaults. Both columns are nullable: NULL is "not said in the hall file"
(width: the window printer's, else 80; services: all active ones), which is also what every existing
row means. SQLite adds nullable columns in place; only the downgrade copies the table (batch mode).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.add_column(sa.Column("printer_width_mm", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("services", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_column("services")
        batch_op.drop_column("printer_width_mm")
