"""The month layer: each rollup's rows of a complete month summed into one row per key, kept exact.

A year report read every day row of the year (for the ticket rollup grouped by staff, ~18,000 rows of
~90 sums). ``{rollup}_month`` holds, for each month that is *sealed*, the sum of the rollup's day rows
of that month by the rest of the key (the day replaced by the month's first day); ``stats_month``
lists the sealed (hall, month, rollup). A report reads the month rows of the sealed months that lie
wholly in its range and before the hall's current day, and the day rows of every other day
(``stats/query.py``), so a year is ~12 month rows per key plus the days of the partial months.

Exact by construction rather than by timing: a trigger on each day rollup table adds every change of
a day row of a sealed month (``NEW`` − ``OLD``) to its month row, in the same transaction (a ticket of
a closed day voided later, a manual fix, a late rating). Sealing (``seal``) writes a month's rows from
its day rows and its ``stats_month`` row in one transaction, with the day rows' writers kept out
(SQLite: the write lock; PostgreSQL: a SHARE lock on the day table, taken before the sums are read).
The triggers of PostgreSQL run only for day rows before ``CURRENT_DATE`` (every other day row is of
today's or tomorrow's tickets, never of a sealed month: a month is sealed only once it ended more than
``SEAL_AFTER_DAYS`` before the database's date too). ``hallq stats rebuild`` unseals the months it
rewrites and seals them again afterwards; migration 0018 seals every complete month of an existing
database; the report worker seals a month that closed since (``seal_missing``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from sqlalchemy import Connection, Date, Engine, bindparam, text
from sqlalchemy.sql.elements import TextClause

from queue_server.stats.dialect import Dialect
from queue_server.stats.rollups import ROLLUPS, Rollup

MARKERS = "stats_month"
MONTH = "month"
# PostgreSQL: a month is sealed only once it ended this many days before the database's date, so that
# the triggers' cheap ``day < CURRENT_DATE`` filter can never skip a sealed month's row (sessions' time
# zones and a transaction begun before midnight differ from the sealer's date by at most a day or two).
SEAL_AFTER_DAYS = 3


def month_table(rollup: Rollup) -> str:
    return f"{rollup.table}_{MONTH}"


def month_keys(rollup: Rollup) -> tuple[tuple[str, str], ...]:
    """The month table's key (name, type): the rollup's, its day column replaced by ``month``."""
    return tuple((MONTH, "date") if name == rollup.day else (name, kind) for name, kind, _e in rollup.keys)


def first_of(day: date) -> date:
    return day.replace(day=1)


def last_of(month: date) -> date:
    return (month.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _month_of(d: Dialect, day: str) -> str:
    return f"CAST(date_trunc('month', {day}) AS DATE)" if d.pg else f"date({day}, 'start of month')"


def _sealed(rollup: Rollup, d: Dialect, row: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM {MARKERS} m WHERE m.hall_id = {row}.hall_id "
        f"AND m.{MONTH} = {_month_of(d, f'{row}.{rollup.day}')} AND m.rollup = '{rollup.table}')"
    )


def _add(rollup: Rollup, d: Dialect, row: str, sign: int) -> str:
    """Add ``row``'s measures (times ``sign``) to its month row."""
    keys = [name for name, _kind in month_keys(rollup)]
    values = [_month_of(d, f"{row}.{rollup.day}") if name == MONTH else f"{row}.{name}" for name in keys] + [
        f"{sign} * {row}.{m}" for m in rollup.measure_names
    ]
    table = month_table(rollup)
    sets = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in rollup.measure_names)
    return (
        f"INSERT INTO {table} ({', '.join([*keys, *rollup.measure_names])}) VALUES ({', '.join(values)}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"
    )


def _sqlite(rollup: Rollup, d: Dialect) -> list[str]:
    t = rollup.table
    return [
        f"CREATE TRIGGER {t}_month_insert AFTER INSERT ON {t} WHEN {_sealed(rollup, d, 'NEW')} "
        f"BEGIN {_add(rollup, d, 'NEW', 1)}; END",
        f"CREATE TRIGGER {t}_month_update_old AFTER UPDATE ON {t} WHEN {_sealed(rollup, d, 'OLD')} "
        f"BEGIN {_add(rollup, d, 'OLD', -1)}; END",
        f"CREATE TRIGGER {t}_month_update_new AFTER UPDATE ON {t} WHEN {_sealed(rollup, d, 'NEW')} "
        f"BEGIN {_add(rollup, d, 'NEW', 1)}; END",
        f"CREATE TRIGGER {t}_month_delete AFTER DELETE ON {t} WHEN {_sealed(rollup, d, 'OLD')} "
        f"BEGIN {_add(rollup, d, 'OLD', -1)}; END",
    ]


def _postgresql(rollup: Rollup, d: Dialect) -> list[str]:
    t, day = rollup.table, rollup.day
    function = (
        f"CREATE FUNCTION {t}_month_apply() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        f"    IF TG_OP <> 'INSERT' AND {_sealed(rollup, d, 'OLD')} THEN\n"
        f"        {_add(rollup, d, 'OLD', -1)}; END IF;\n"
        f"    IF TG_OP <> 'DELETE' AND {_sealed(rollup, d, 'NEW')} THEN\n"
        f"        {_add(rollup, d, 'NEW', 1)}; END IF;\n"
        "    RETURN NULL;\n"
        "END\n$$"
    )
    run = f"FOR EACH ROW WHEN ({{}}) EXECUTE FUNCTION {t}_month_apply()"
    return [
        function,
        f"CREATE TRIGGER {t}_month_insert AFTER INSERT ON {t} " + run.format(f"NEW.{day} < CURRENT_DATE"),
        f"CREATE TRIGGER {t}_month_update AFTER UPDATE ON {t} "
        + run.format(f"NEW.{day} < CURRENT_DATE OR OLD.{day} < CURRENT_DATE"),
        f"CREATE TRIGGER {t}_month_delete AFTER DELETE ON {t} " + run.format(f"OLD.{day} < CURRENT_DATE"),
    ]


def trigger_statements(d: Dialect) -> list[str]:
    """The DDL of the triggers that keep every sealed month exact."""
    return [s for rollup in ROLLUPS for s in (_postgresql(rollup, d) if d.pg else _sqlite(rollup, d))]


def drop_trigger_statements(d: Dialect) -> list[str]:
    out = []
    for rollup in ROLLUPS:
        t = rollup.table
        if d.pg:
            out.append(f"DROP FUNCTION IF EXISTS {t}_month_apply() CASCADE")
        else:
            ops = ("insert", "update_old", "update_new", "delete")
            out += [f"DROP TRIGGER IF EXISTS {t}_month_{op}" for op in ops]
    return out


# --- sealing ----------------------------------------------------------------------------------------


def _dated(sql: str) -> TextClause:
    names = [n for n in ("month", "lo", "hi") if f":{n}" in sql]
    return text(sql).bindparams(*(bindparam(n, type_=Date()) for n in names))


def unseal(conn: Connection, hall_id: int, first: date, last: date) -> None:
    """Forget the months overlapping ``first``..``last`` (before a rebuild rewrites their day rows,
    which the triggers then need not follow)."""
    params = {"hall": hall_id, "lo": first_of(first), "hi": first_of(last)}
    where = f"hall_id = :hall AND {MONTH} BETWEEN :lo AND :hi"
    for table in (*(month_table(r) for r in ROLLUPS), MARKERS):
        conn.execute(_dated(f"DELETE FROM {table} WHERE {where}"), params)


def seal(conn: Connection, rollup: Rollup, hall_id: int, month: date) -> None:
    """Write one month's rows of a rollup from its day rows and mark it sealed, in the caller's
    transaction, which must keep the day rows' writers out (see the module's docstring)."""
    table = month_table(rollup)
    params = {"hall": hall_id, "month": month, "lo": month, "hi": last_of(month), "rollup": rollup.table}
    conn.execute(_dated(f"DELETE FROM {table} WHERE hall_id = :hall AND {MONTH} = :month"), params)
    conn.execute(
        _dated(f"DELETE FROM {MARKERS} WHERE hall_id = :hall AND {MONTH} = :month AND rollup = :rollup"),
        params,
    )
    keys = [name for name, _kind in month_keys(rollup)]
    grouped = [name for name in keys if name != MONTH]
    picked = [":month" if name == MONTH else name for name in keys]
    sums = [f"SUM({m})" for m in rollup.measure_names]
    conn.execute(
        _dated(
            f"INSERT INTO {table} ({', '.join([*keys, *rollup.measure_names])}) "
            f"SELECT {', '.join([*picked, *sums])} FROM {rollup.table} "
            f"WHERE hall_id = :hall AND {rollup.day} BETWEEN :lo AND :hi GROUP BY {', '.join(grouped)}"
        ),
        params,
    )
    conn.execute(
        _dated(f"INSERT INTO {MARKERS} (hall_id, {MONTH}, rollup) VALUES (:hall, :month, :rollup)"), params
    )


def complete_months(first: date, last: date, today: date) -> list[date]:
    """The months wholly within ``first``..``last`` that ended before ``today``."""
    out = []
    month = first if first.day == 1 else last_of(first) + timedelta(days=1)
    while last_of(month) <= last and last_of(month) < today:
        out.append(month)
        month = last_of(month) + timedelta(days=1)
    return out


def sealable(conn: Connection, months: Sequence[date]) -> list[date]:
    """Of ``months`` (complete by the hall's clock), those this database may seal: on PostgreSQL only
    those that ended ``SEAL_AFTER_DAYS`` before its own date (the triggers' filter)."""
    if conn.dialect.name != "postgresql":
        return list(months)
    today = conn.execute(text("SELECT CURRENT_DATE")).scalar_one()
    return [m for m in months if last_of(m) < today - timedelta(days=SEAL_AFTER_DAYS)]


def seal_all(conn: Connection, hall_id: int, months: Iterable[date]) -> int:
    """Seal every rollup of each of ``months`` (the caller keeps every writer out: a rebuild's chunk,
    a migration); returns how many months."""
    done = 0
    for month in sealable(conn, sorted(set(months))):
        for rollup in ROLLUPS:
            seal(conn, rollup, hall_id, month)
        done += 1
    return done


def sealed(conn: Connection, hall_ids: Sequence[int], months: Sequence[date]) -> dict[str, tuple[date, ...]]:
    """Per rollup table: which of ``months`` are sealed for every hall of ``hall_ids``."""
    if not months or not hall_ids:
        return {}
    statement = text(
        f"SELECT rollup, {MONTH}, COUNT(*) FROM {MARKERS} WHERE hall_id IN :halls AND {MONTH} IN :months "
        f"GROUP BY rollup, {MONTH}"
    ).bindparams(bindparam("halls", expanding=True), bindparam("months", expanding=True, type_=Date()))
    out: dict[str, list[date]] = {}
    for table, month, halls in conn.execute(statement, {"halls": list(hall_ids), "months": list(months)}):
        if int(halls) == len(set(hall_ids)):
            out.setdefault(str(table), []).append(_as_date(month))
    return {table: tuple(sorted(found)) for table, found in out.items()}


def day_span(conn: Connection, hall_id: int) -> tuple[date, date] | None:
    """The first and last day any rollup of the hall has a row for (None: none has)."""
    found: list[date] = []
    for rollup in ROLLUPS:
        sql = f"SELECT MIN({rollup.day}), MAX({rollup.day}) FROM {rollup.table} WHERE hall_id = :h"
        found += [_as_date(v) for v in conn.execute(text(sql), {"h": hall_id}).one() if v is not None]
    return (min(found), max(found)) if found else None


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def segments(first: date, last: date, months: Sequence[date]) -> list[tuple[date, date]]:
    """The runs of days of ``first``..``last`` outside ``months`` (sorted, each wholly in the range)."""
    out: list[tuple[date, date]] = []
    start = first
    for month in sorted(months):
        if month > start:
            out.append((start, month - timedelta(days=1)))
        start = max(start, last_of(month) + timedelta(days=1))
    if start <= last:
        out.append((start, last))
    return out


def seal_missing(engine: Engine, hall_id: int, months: Sequence[date]) -> int:
    """Seal the rollups of ``months`` (complete by the hall's clock) not sealed yet, each rollup and
    month in a transaction of its own, behind a SHARE lock on PostgreSQL (one table at a time: a writer
    holding one rollup table and waiting for another can never meet it); returns how many were sealed.
    The report worker's way to seal a month that closed since the last rebuild."""
    with engine.connect() as conn:
        months = sealable(conn, months)
        done = sealed(conn, [hall_id], months)
    count = 0
    for rollup in ROLLUPS:
        for month in months:
            if month in done.get(rollup.table, ()):
                continue
            with engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql(f"LOCK TABLE {rollup.table} IN SHARE MODE")
                seal(conn, rollup, hall_id, month)
            count += 1
    return count
