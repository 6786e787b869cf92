"""PostgreSQL: the rollup contribution of a fresh row's insert, added once per transaction at commit.

A ticket issue touches the same rollup rows as every other issue of the hall that day (one row per
dim), so a row-level upsert per ticket updated each of those hot rows once per ticket: a group commit
of 16 issues wrote 16 versions of each, every later one walking the chain of the earlier ones in the
same transaction (measured: the stats trigger was half of PostgreSQL's CPU per issue, and its cost per
ticket grew with the batch). Instead the row trigger appends the fresh row's rollup columns, as a JSON
object, to a transaction-local setting, and a deferred constraint trigger adds all of them with ONE
upsert (``upsert`` of ``stats/sql.py`` over the rollup's ``fresh`` cut, as the immediate trigger did)
when the transaction commits: each hot row is written once per transaction.

Still exact, in the transaction of the change: the contributions are those of the rows as inserted
(a later update of the same row in the transaction subtracts that very contribution itself, and sums
commute); a rolled-back savepoint takes its settings and its deferred trigger events with it. Past
``PENDING_LIMIT`` characters (a bulk insert) the row trigger folds at once. SQLite keeps its row
triggers: it updates in place and has no deferred triggers.
"""

from __future__ import annotations

from queue_server.stats.dialect import Dialect
from queue_server.stats.rollups import Rollup
from queue_server.stats.sql import upsert

# Characters of pending JSON (about 150 tickets) before the row trigger folds them itself: the setting
# is copied at every append.
PENDING_LIMIT = 50_000


def _setting(rollup: Rollup) -> str:
    return f"hallq.{rollup.table}_fresh"


def pending_append(rollup: Rollup) -> str:
    """plpgsql statements: NEW's rollup columns appended to the transaction's pending list."""
    s, t = _setting(rollup), rollup.table
    row = ", ".join(f"'{column}', NEW.{column}" for column in rollup.columns)
    return (
        f"PERFORM set_config('{s}', COALESCE(NULLIF(current_setting('{s}', true), '') || ',', '') || "
        f"json_build_object({row})::text, true); "
        f"IF length(current_setting('{s}')) > {PENDING_LIMIT} THEN PERFORM {t}_fold_pending(); END IF"
    )


def fold_statements(rollup: Rollup, d: Dialect) -> list[str]:
    """The fold function and the deferred trigger that runs it (``rollup.fresh_when`` rows only)."""
    s, t = _setting(rollup), rollup.table
    columns = ", ".join(f"p.{column} AS {column}" for column in rollup.columns)
    source = (
        f"SELECT {columns}, 1 AS sign FROM json_populate_recordset(NULL::{rollup.source}, "
        "CAST('[' || pending || ']' AS json)) AS p"
    )
    return [
        f"CREATE FUNCTION {t}_fold_pending() RETURNS void LANGUAGE plpgsql AS $$\n"
        f"DECLARE pending text := current_setting('{s}', true);\n"
        "BEGIN\n"
        "    IF pending IS NULL OR pending = '' THEN RETURN; END IF;\n"
        f"    PERFORM set_config('{s}', '', true);\n"
        f"    {upsert(rollup.fresh(), d, source)};\n"
        "END\n$$",
        f"CREATE FUNCTION {t}_fold() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN PERFORM {t}_fold_pending(); RETURN NULL; END\n$$",
        f"CREATE CONSTRAINT TRIGGER {t}_fold AFTER INSERT ON {rollup.source} "
        f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ({rollup.fresh_when}) EXECUTE FUNCTION {t}_fold()",
    ]


def drop_fold_statements(rollup: Rollup) -> list[str]:
    t = rollup.table
    return [f"DROP FUNCTION IF EXISTS {t}_fold() CASCADE", f"DROP FUNCTION IF EXISTS {t}_fold_pending()"]
