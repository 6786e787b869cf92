"""The window's migration (0002) on an empty database, SQLite and PostgreSQL: upgrade to head makes
exactly the tables the models describe, and it goes down and up again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlmodel import SQLModel

from queue_server.store.migrate import alembic_config, init_db
from queue_server.store.tables import casework

CASEWORK_TABLES = [
    casework.CaseDetail,
    casework.CasePart,
    casework.CaseMissingMaterial,
    casework.CaseReturnReason,
    casework.CaseDocument,
    casework.WindowPrinter,
    casework.Rectification,
    casework.RectificationNote,
    casework.DoorVisit,
    casework.SpecialGrant,
]
TABLES = {str(inspect(model).local_table.description) for model in CASEWORK_TABLES}
WINDOW_REVISION = "0002"


def _parent_of(script: ScriptDirectory, revision: str) -> str:
    """The one revision below ``revision`` (a merge revision would have several)."""
    down = script.get_revision(revision).down_revision
    assert isinstance(down, str), down
    return down


def test_upgrade_from_empty_creates_the_window_tables_as_modelled(db_url: str) -> None:
    engine = init_db(db_url)
    try:
        assert set(inspect(engine).get_table_names()) >= TABLES
        script = ScriptDirectory.from_config(alembic_config(db_url))
        assert len(script.get_heads()) == 1, "one line of revisions"
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert context.get_current_revision() == script.get_current_head()
            # Differences in the window's tables only: the core's own are tested in tests/store.
            diffs = [
                d for d in compare_metadata(context, SQLModel.metadata) if any(t in repr(d) for t in TABLES)
            ]
        assert diffs == [], diffs
        cfg = alembic_config(db_url)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, _parent_of(script, WINDOW_REVISION))
        assert not TABLES & set(inspect(engine).get_table_names())
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        assert set(inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()
