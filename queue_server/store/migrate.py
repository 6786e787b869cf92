"""Database schema management: ``init_db(url)`` brings any database to the newest schema.

Alembic runs programmatically (no alembic.ini needed). For developers changing a table:
``python -m queue_server.store.migrate revision "what changed"`` autogenerates the next migration
against a scratch SQLite database upgraded to head; review it before committing.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from queue_server.city.capture import ensure as ensure_city_triggers
from queue_server.stats.triggers import ensure as ensure_stats_triggers
from queue_server.store.engine import DbTimeouts, make_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    # Alembic is imported when used: it is heavy, and logs its plugin set-up on import.
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` over an existing engine's connection."""
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        # A migration that copied a table (SQLite) took the statistics triggers with it.
        ensure_stats_triggers(conn)
        ensure_city_triggers(conn)  # and the city link's outbox triggers (city/capture.py)


def init_db(url: str, timeouts: DbTimeouts | None = None, *, parallel: bool = True) -> Engine:
    """Create or upgrade the database at ``url`` to the newest schema; return an engine for it.

    With ``timeouts`` (PostgreSQL), the migrations wait only on the connect timeout: a long index
    build must not be cancelled by the statement timeout the returned engine's requests run under.
    ``parallel=False`` (a serving process, ``make_engine``): the returned engine's sessions plan no
    parallel query; the migrations' still may.
    """
    separate = (timeouts is not None and timeouts.statement_s is not None) or not parallel
    if not separate or make_url(url).get_backend_name() != "postgresql":
        engine = make_engine(url, timeouts=timeouts)
        upgrade(engine)
        return engine
    migrating = make_engine(
        url, timeouts=None if timeouts is None else DbTimeouts(connect_s=timeouts.connect_s)
    )
    try:
        upgrade(migrating)
    finally:
        migrating.dispose()
    return make_engine(url, timeouts=timeouts, parallel=parallel)


def _revision(message: str) -> None:
    from alembic import command

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'scratch.db'}"
        engine = init_db(url)
        cfg = alembic_config(url)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.revision(cfg, message=message, autogenerate=True)
        engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "revision":
        raise SystemExit('usage: python -m queue_server.store.migrate revision "message"')
    _revision(sys.argv[2])
