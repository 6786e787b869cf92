"""city outbox and ingest

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 13:00:00.000000

The city link (``queue_server/city/``, docs/city.md):

- on every database: ``city_outbox`` and ``city_shipped`` (a hall appliance's changes waiting for the
  city, and the position the city acknowledged), ``city_row_map`` and ``city_received`` (a city's map of
  each hall's rows to its own, and the position it acknowledged to each hall);
- on SQLite (a hall appliance): the triggers that append to the outbox in the transaction of each
  change (``city/capture.py``), and every existing row of the shipped tables put in the outbox first,
  so a hall linked to a city after months of service ships its whole history.
"""

from collections.abc import Sequence

from alembic import op

from queue_server.city import capture
from queue_server.store.tables.city import CITY_OUTBOX, CITY_RECEIVED, CITY_ROW_MAP, CITY_SHIPPED

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = (CITY_OUTBOX, CITY_SHIPPED, CITY_RECEIVED, CITY_ROW_MAP)


def upgrade() -> None:
    bind = op.get_bind()
    for table in _TABLES:
        table.create(bind, checkfirst=True)
    if bind.dialect.name == "sqlite":
        for statement in capture.backfill_statements():
            op.execute(statement)
        for statement in capture.create_statements():
            op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in capture.drop_statements():
            op.execute(statement)
    for table in reversed(_TABLES):
        table.drop(bind, checkfirst=True)
