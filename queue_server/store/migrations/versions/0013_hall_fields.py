"""hall file fields kept (hall address, phone, short name, level, parent; service description; department short name; device name; co-departments)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 10:00:00.000000

The hall file accepted these fields and the loader dropped them. Now each has a column: the hall's
short name, address, phone (tickets, the citizen and public pages), level and parent (the 市/县/乡
hierarchy; the parent is a code, not a foreign key: it may be a hall of another database), a
service's description (the kiosk tile's subtitle), a department's short name, a matter's
co-departments (joint cases), a device's name and printer connection, and a person's password
source (the reference, never the password: an exported hall file names it again). Existing rows get
the hall file's defaults until the file is loaded again.

Plain ADD/DROP COLUMN (SQLite 3.35+): a batch copy would drop tables other tables reference.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EMPTY = sa.text("''")


def upgrade() -> None:
    op.add_column("hall", sa.Column("short_name", sa.String(length=20), nullable=True))
    op.add_column("hall", sa.Column("address", sa.String(length=200), nullable=False, server_default=_EMPTY))
    op.add_column("hall", sa.Column("phone", sa.String(length=40), nullable=False, server_default=_EMPTY))
    op.add_column(
        "hall", sa.Column("level", sa.String(length=16), nullable=False, server_default=sa.text("'city'"))
    )
    op.add_column("hall", sa.Column("parent", sa.String(length=40), nullable=True))
    op.add_column("department", sa.Column("short_name", sa.String(length=20), nullable=True))
    op.add_column(
        "service", sa.Column("description", sa.String(length=200), nullable=False, server_default=_EMPTY)
    )
    op.add_column(
        "matter", sa.Column("co_departments", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
    )
    op.add_column("staff", sa.Column("password_env", sa.String(length=64), nullable=True))
    op.add_column("staff", sa.Column("password_file", sa.String(length=300), nullable=True))
    op.add_column("device", sa.Column("name", sa.String(length=60), nullable=False, server_default=_EMPTY))
    op.add_column("device", sa.Column("printer", sa.String(length=300), nullable=True))


def downgrade() -> None:
    op.drop_column("device", "printer")
    op.drop_column("device", "name")
    op.drop_column("staff", "password_file")
    op.drop_column("staff", "password_env")
    op.drop_column("matter", "co_departments")
    op.drop_column("service", "description")
    op.drop_column("department", "short_name")
    op.drop_column("hall", "parent")
    op.drop_column("hall", "level")
    op.drop_column("hall", "phone")
    op.drop_column("hall", "address")
    op.drop_column("hall", "short_name")
