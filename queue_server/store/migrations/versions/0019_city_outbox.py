"""city outbox and ingest

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 13:00:00.000000

The city link (``queue_server/city/``, docs/city.md): on every database ``city_outbox`` and
``city_shipped`` (a hall appliance's changes waiting for the city, and the position the city
acknowledged), ``city_row_map`` and ``city_received`` (a city's map of each hall's rows to its own,
and the position it acknowledged to each hall).

This revision first also put every SQLite database's history in the outbox and created its triggers,
linked to a city or not; since 0021 the triggers and the history come with the link
(``city/capture.py``), and 0021 takes them off databases that ran this revision without a link.
"""

from collections.abc import Sequence

from alembic import op

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


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in _drop_triggers():
            op.execute(statement)
    for table in reversed(_TABLES):
        table.drop(bind, checkfirst=True)


def _drop_triggers() -> list[str]:
    # The triggers of the first version of this revision, on databases that ran it (frozen names).
    tables = ("appointment", "ticket", "case_file", "rating", "pause", "window_shift", "event")
    return [f"DROP TRIGGER IF EXISTS city_outbox_{t}_{op}" for t in tables for op in ("insert", "update")]
