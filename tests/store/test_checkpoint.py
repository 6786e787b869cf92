"""The WAL of a SQLite file is checkpointed by a background thread, so commits do not pay for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from harness.waiting import eventually
from queue_server.store.checkpoint import WalCheckpointer
from queue_server.store.engine import checkpointer_of, make_engine

ROW = "x" * 4000  # about one page


def _write_pages(engine: sa.Engine, pages: int) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO blob (body) VALUES (:body)"), [{"body": ROW}] * pages)


def _wal_size(db: Path) -> int:
    return db.with_name(db.name + "-wal").stat().st_size


@pytest.fixture
def blob_db(tmp_path: Path) -> Iterator[tuple[Path, sa.Engine, WalCheckpointer]]:
    """A SQLite file with one table of page-sized rows, its engine and the engine's checkpointer."""
    db = tmp_path / "hall.db"
    engine = make_engine(f"sqlite:///{db}")
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE blob (id INTEGER PRIMARY KEY, body TEXT)"))
        checkpointer = checkpointer_of(engine)
        assert checkpointer is not None
        yield db, engine, checkpointer
    finally:
        engine.dispose()


def test_the_wal_is_reused_after_background_checkpoints(
    blob_db: tuple[Path, sa.Engine, WalCheckpointer],
) -> None:
    db, engine, checkpointer = blob_db
    checkpointer.interval = 0.05
    _write_pages(engine, 500)
    first = _wal_size(db)
    assert first > 500 * 4000  # not checkpointed inside the commit (the threshold is far above)
    seen = checkpointer.checkpoints
    eventually(lambda: checkpointer.checkpoints >= seen + 2, what="two more background checkpoints")
    _write_pages(engine, 500)
    # The checkpoint copied every frame back, so the second round starts the WAL over instead of
    # appending: without the thread the file would be twice as long.
    assert _wal_size(db) < first * 1.5
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM blob")).scalar_one() == 1000


def test_dispose_stops_the_thread(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'hall.db'}")
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    checkpointer = checkpointer_of(engine)
    assert checkpointer is not None
    thread = checkpointer._thread
    assert thread is not None and thread.is_alive()
    engine.dispose()
    assert not thread.is_alive()


def test_without_the_thread_the_wal_grows(blob_db: tuple[Path, sa.Engine, WalCheckpointer]) -> None:
    """The control of the first test: the same writes with the checkpointer stopped."""
    db, engine, checkpointer = blob_db
    checkpointer.stop()
    _write_pages(engine, 500)
    first = _wal_size(db)
    _write_pages(engine, 500)
    assert _wal_size(db) > first * 1.8


def test_memory_databases_have_none() -> None:
    engine = make_engine("sqlite://")
    try:
        assert checkpointer_of(engine) is None
    finally:
        engine.dispose()
