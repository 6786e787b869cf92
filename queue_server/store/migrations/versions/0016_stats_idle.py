"""statistics: idle windows with people waiting, enquiries

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 10:00:00.000000

- ``stats_enquiry``: the enquiries (咨询) recorded at the guide desk, a trigger-kept rollup of the
  ``enquiry`` events (``stats/rollups.py`` ``ENQUIRIES``). Created, filled from the existing events and
  given its trigger here, unless its trigger exists already (a fresh database: migration 0006 builds
  every rollup the descriptions hold).
- ``stats_idle`` and ``stats_idle_day``: idle time with people waiting per closed day, window and
  person, replayed from the event log (``stats/idle.py``); every day that is over is filled here.

Like 0006, the filling runs in the migration's transaction, before the triggers exist.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from queue_server.stats import idle
from queue_server.stats.dialect import dialect_of
from queue_server.stats.rebuild import rebuild_range
from queue_server.stats.rollups import ENQUIRIES
from queue_server.stats.triggers import rollup_statements
from queue_server.store.tables.stats import STATS_IDLE, STATS_IDLE_DAY, STATS_TABLES

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EVER = (date(1900, 1, 1), date(9990, 12, 31))


def upgrade() -> None:
    bind = op.get_bind()
    d = dialect_of(bind.dialect.name)
    halls = bind.execute(sa.text("SELECT id, tz FROM hall")).all()
    STATS_TABLES[ENQUIRIES.table].create(bind, checkfirst=True)
    if not _has_trigger(bind, f"{ENQUIRIES.table}_insert"):
        op.execute("DELETE FROM stats_enquiry")
        for hall_id, _tz in halls:
            rebuild_range(bind, ENQUIRIES, hall_id, *_EVER)
        for statement in rollup_statements(ENQUIRIES, d):
            op.execute(statement)
    STATS_IDLE.create(bind, checkfirst=True)
    STATS_IDLE_DAY.create(bind, checkfirst=True)
    now = datetime.now(UTC)
    for hall_id, tz in halls:
        first, last = bind.execute(
            sa.text("SELECT MIN(ts), MAX(ts) FROM event WHERE hall_id = :h"), {"h": hall_id}
        ).one()
        if first is not None:
            idle.fill(bind, hall_id, tz, _day(first, tz), _day(last, tz), now)


def _has_trigger(bind: sa.Connection, name: str) -> bool:
    if bind.dialect.name == "postgresql":
        sql = "SELECT 1 FROM pg_trigger WHERE tgname = :name"
    else:
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = :name"
    return bind.execute(sa.text(sql), {"name": name}).first() is not None


def _day(value: object, tz: str) -> date:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(tz)).date()


def downgrade() -> None:
    bind = op.get_bind()
    STATS_IDLE_DAY.drop(bind, checkfirst=True)
    STATS_IDLE.drop(bind, checkfirst=True)
    if bind.dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {ENQUIRIES.table}_apply() CASCADE")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {ENQUIRIES.table}_insert")
    # The table stays, empty: migration 0006 (built from today's descriptions) drops it on its way down.
    op.execute("DELETE FROM stats_enquiry")
