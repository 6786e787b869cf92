"""Prepared statements do on the driver's cursor what SQLAlchemy would: same rows in, same values out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from queue_server.store.engine import make_engine
from queue_server.store.prepared import Prepared
from queue_server.store.types import UTCDateTime

META = sa.MetaData()
ITEM = sa.Table(
    "item",
    META,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(20), nullable=False),
    sa.Column("state", sa.String(10), nullable=False, default="new"),
    sa.Column("flag", sa.Boolean, nullable=False, default=False),
    sa.Column("day", sa.Date),
    sa.Column("at", UTCDateTime()),
    sa.Column("data", sa.JSON),
)
STAMPED = sa.Table(
    "stamped",
    META,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("made", sa.String(40), default=lambda: "made in Python"),
)

AT = datetime(2025, 3, 12, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))
INSERT = Prepared(sa.insert(ITEM).returning(ITEM.c.id))
BY_STATE = Prepared(
    sa.select(ITEM.c.id, ITEM.c.name, ITEM.c.flag, ITEM.c.day, ITEM.c.at, ITEM.c.data)
    .where(ITEM.c.state.in_(["new", "old"]), ITEM.c.day == sa.bindparam("day"))
    .order_by(ITEM.c.id)
)


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(db_url)
    META.create_all(engine)
    yield engine
    engine.dispose()


def test_rows_written_and_read_are_sqlalchemys(engine: sa.Engine) -> None:
    """A row inserted by a Prepared INSERT reads back through SQLAlchemy as given (the types' bind
    processors ran, the left-out columns got their scalar defaults), and a Prepared SELECT returns
    exactly the values SQLAlchemy's own execution returns (result processors: aware UTC, JSON, date)."""
    with engine.begin() as conn:
        first = INSERT.scalar(
            conn, {"name": "甲", "day": date(2025, 3, 12), "at": AT, "data": {"k": [1, "二"]}}
        )
        INSERT.scalar(conn, {"name": "乙", "day": date(2025, 3, 13), "at": None, "data": None, "flag": True})
    with engine.connect() as conn:
        row = conn.execute(sa.select(ITEM).where(ITEM.c.id == first)).one()
        assert (row.name, row.state, row.flag, row.day) == ("甲", "new", False, date(2025, 3, 12))
        assert row.at == AT and row.at.tzinfo == UTC
        assert row.data == {"k": [1, "二"]}
        ours = BY_STATE.rows(conn, {"day": date(2025, 3, 12)})
        theirs = conn.execute(BY_STATE.statement, {"day": date(2025, 3, 12)}).all()
    assert (
        ours == [tuple(r) for r in theirs] == [(first, "甲", False, date(2025, 3, 12), AT, {"k": [1, "二"]})]
    )


def test_fixed_in_list_and_records(engine: sa.Engine) -> None:
    """The statement's own IN list is expanded with its values; records name the columns (a repeated
    name is renamed, not lost)."""
    twice = Prepared(
        sa.select(ITEM.c.name, ITEM.c.state, sa.literal_column("'x'").label("name"))
        .where(ITEM.c.state.in_(["new", "gone"]))
        .order_by(ITEM.c.id)
    )
    with engine.begin() as conn:
        INSERT.run_many(conn, [{"name": "a", "state": "new"}, {"name": "b", "state": "old"}])
        INSERT.run(conn, {"name": "c", "state": "gone"})
        records = twice.records(conn, {})
    assert [(r.name, r.state) for r in records] == [("a", "new"), ("c", "gone")]
    assert [r[2] for r in records] == ["x", "x"]


def test_writes_belong_to_the_callers_transaction(engine: sa.Engine) -> None:
    """A Prepared write runs in the SQLAlchemy transaction it is given: rolled back with it."""
    count = sa.select(sa.func.count()).select_from(ITEM)
    with engine.connect() as conn:
        with conn.begin() as tx:
            INSERT.run(conn, {"name": "gone"})
            assert conn.execute(count).scalar() == 1
            tx.rollback()
        with conn.begin():
            assert conn.execute(count).scalar() == 0
            update = Prepared(
                sa.update(ITEM).where(ITEM.c.name == sa.bindparam("b_name")).values(state="old")
            )
            assert update.run(conn, {"b_name": "nobody"}) == 0


def test_refuses_what_it_cannot_do_as_sqlalchemy_would(engine: sa.Engine) -> None:
    """An expanding parameter of the caller's, a Python-callable column default and a missing
    parameter are refused when compiled, not silently executed differently."""
    expanding = Prepared(sa.select(ITEM.c.id).where(ITEM.c.name.in_(sa.bindparam("names", expanding=True))))
    stamped = Prepared(sa.insert(STAMPED))
    needs_day = Prepared(sa.select(ITEM.c.id).where(ITEM.c.day == sa.bindparam("day")))
    with engine.begin() as conn:
        with pytest.raises(ValueError, match="expanding"):
            expanding.rows(conn, {"names": ["a"]})
        with pytest.raises(ValueError, match="made"):
            stamped.run(conn, {})
        with pytest.raises(sa.exc.InvalidRequestError, match="day"):
            needs_day.rows(conn, {})
        assert stamped.run(conn, {"made": "given"}) == 1


def test_first_of_each_parameter_set_in_order_and_in_the_callers_transaction(engine: sa.Engine) -> None:
    """``first_each``: one row (or None) per parameter set, in their order, processed as ``first``
    processes it; on PostgreSQL the lookups go out in one pipeline, inside the open transaction."""
    by_name = Prepared(sa.select(ITEM.c.id, ITEM.c.at, ITEM.c.data).where(ITEM.c.name == sa.bindparam("n")))
    with engine.connect() as conn, conn.begin():
        one = INSERT.scalar(conn, {"name": "one", "at": AT, "data": {"k": 1}})
        two = INSERT.scalar(conn, {"name": "two"})
        found = by_name.first_each(conn, [{"n": "two"}, {"n": "nobody"}, {"n": "one"}])
        assert found == [(two, None, None), None, (one, AT, {"k": 1})]
        assert by_name.first_each(conn, []) == []
        INSERT.run(conn, {"name": "three"})  # the connection goes on as before, in the same transaction
        assert conn.execute(sa.select(sa.func.count()).select_from(ITEM)).scalar() == 3


def test_many_rows_in_one_insert_as_one_by_one(engine: sa.Engine) -> None:
    """``run_many`` of an INSERT (one multi-row statement on psycopg, executemany on SQLite) writes
    the rows in order with the values and defaults one ``run`` each would have written."""
    plain = Prepared(sa.insert(ITEM))
    given: list[dict[str, Any]] = [
        {"name": "甲", "day": date(2025, 3, 12), "at": AT, "data": {"k": [1, "二"]}},
        {"name": "乙%s", "day": None, "at": None, "data": None, "flag": True},
        {"name": "%(name)s", "day": date(2025, 3, 14), "at": AT, "data": ["%s"], "flag": False},
    ]
    keys = {key for row in given for key in row}
    rows = [{**dict.fromkeys(keys), "flag": False, **row} for row in given]
    with engine.begin() as conn:
        plain.run_many(conn, rows)
        plain.run_many(conn, rows[:1])
        for row in rows:
            plain.run(conn, row)
    with engine.connect() as conn:
        got = conn.execute(sa.select(ITEM).order_by(ITEM.c.id)).all()
    values = [(r.name, r.state, r.flag, r.day, r.at, r.data) for r in got]
    assert values[:3] == values[4:] and values[3] == values[0]
    assert values[1] == ("乙%s", "new", True, None, None, None)
    assert [r.id for r in got] == sorted(r.id for r in got)


def test_many_rows_past_one_statements_text(engine: sa.Engine) -> None:
    """More rows than one statement of cacheable text holds go in several, all of them, in order."""
    plain = Prepared(sa.insert(ITEM))
    with engine.begin() as conn:
        plain.run_many(conn, [{"name": f"n{i}", "day": date(2025, 3, 12)} for i in range(500)])
    with engine.connect() as conn:
        names = conn.execute(sa.select(ITEM.c.name).order_by(ITEM.c.id)).scalars().all()
    assert names == [f"n{i}" for i in range(500)]


def test_many_rows_check_lengths_as_one_row_does(engine: sa.Engine) -> None:
    """A value too long for its column is refused, not cut, in a many-row INSERT too (PostgreSQL:
    SQLite does not check lengths)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps any length")
    plain = Prepared(sa.insert(ITEM))
    rows = [{"name": "short"}, {"name": "x" * 21}]
    # The driver's own error, as from ``run``: Prepared runs on the driver's cursor.
    with pytest.raises(Exception, match="too long"), engine.begin() as conn:
        plain.run_many(conn, rows)
