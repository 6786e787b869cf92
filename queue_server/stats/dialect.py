"""The SQL expressions the rollups need, for SQLite and PostgreSQL: durations, hall-local days and hours.

Times are stored as UTC (``store/types.py``: SQLite keeps naive ``YYYY-MM-DD HH:MM:SS.ffffff`` text,
PostgreSQL ``timestamptz``). PostgreSQL converts with the hall's zone name (``hall.tz``, exact across
daylight saving). SQLite has no zone database: it adds the zone's UTC offset kept in ``stats_zone``
(written whenever a hall row is inserted or updated, ``store/tables/stats.py``), which is exact for
zones without daylight saving — every zone of China — and +08:00 when a hall has no row there.
"""

from __future__ import annotations

from dataclasses import dataclass

# China Standard Time, for a hall whose zone was never recorded in stats_zone (SQLite only).
DEFAULT_OFFSET_S = 8 * 3600


@dataclass(frozen=True)
class Dialect:
    name: str  # "sqlite" | "postgresql"

    @property
    def pg(self) -> bool:
        return self.name == "postgresql"

    @property
    def fence(self) -> str:
        """Keeps a derived table from being merged into the query reading it: merged, each use of a
        derived column recomputes its expression (a bucket's CASE over a duration, 38 times a row;
        measured 7x slower on SQLite)."""
        return " OFFSET 0" if self.pg else " LIMIT -1 OFFSET 0"

    def ms(self, start: str, end: str) -> str:
        """Whole milliseconds from ``start`` to ``end`` (NULL when either is NULL)."""
        if self.pg:
            return f"CAST(ROUND(EXTRACT(EPOCH FROM ({end} - {start})) * 1000) AS BIGINT)"
        return f"CAST(ROUND((julianday({end}) - julianday({start})) * 86400000.0) AS INTEGER)"

    def _offset(self, hall: str) -> str:
        recorded = f"(SELECT z.utc_offset_s FROM stats_zone z WHERE z.hall_id = {hall})"
        return f"COALESCE({recorded}, {DEFAULT_OFFSET_S})"

    def _local(self, ts: str, hall: str) -> str:
        return f"({ts} AT TIME ZONE (SELECT h.tz FROM hall h WHERE h.id = {hall}))"

    def local_day(self, ts: str, hall: str) -> str:
        """The hall-local calendar day of a UTC instant."""
        if self.pg:
            return f"CAST({self._local(ts, hall)} AS DATE)"
        return f"date({ts}, {self._offset(hall)} || ' seconds')"

    def local_hour(self, ts: str, hall: str) -> str:
        """The hall-local hour (0..23) of a UTC instant, as an integer."""
        if self.pg:
            return f"CAST(EXTRACT(HOUR FROM {self._local(ts, hall)}) AS INTEGER)"
        return f"CAST(strftime('%H', {ts}, {self._offset(hall)} || ' seconds') AS INTEGER)"

    def local_minute(self, ts: str, hall: str) -> str:
        """Minutes since hall-local midnight (0..1439) of a UTC instant, as an integer."""
        if self.pg:
            local = self._local(ts, hall)
            return f"CAST(EXTRACT(HOUR FROM {local}) * 60 + EXTRACT(MINUTE FROM {local}) AS INTEGER)"
        local = f"strftime('%H:%M', {ts}, {self._offset(hall)} || ' seconds')"
        return f"(CAST(substr({local}, 1, 2) AS INTEGER) * 60 + CAST(substr({local}, 4, 2) AS INTEGER))"

    def text(self, expr: str) -> str:
        return f"CAST({expr} AS TEXT)"

    def pad4(self, expr: str) -> str:
        """An integer 0..9999 as four digits, so keys compare as text in numeric order."""
        if self.pg:
            return f"LPAD(CAST({expr} AS TEXT), 4, '0')"
        return f"printf('%04d', {expr})"

    def json_number(self, column: str, field: str) -> str:
        """A number from a JSON column's top-level field (NULL when absent)."""
        if self.pg:
            return f"CAST(({column}->>'{field}') AS NUMERIC)"
        return f"json_extract({column}, '$.{field}')"

    def json_text(self, column: str, field: str) -> str:
        """A text from a JSON column's top-level field ('' when absent or null)."""
        if self.pg:
            return f"COALESCE({column}->>'{field}', '')"
        return f"COALESCE(json_extract({column}, '$.{field}'), '')"

    def no_day(self) -> str:
        """The day stored in a date key that has none (a case without a deadline)."""
        return "DATE '1900-01-01'" if self.pg else "'1900-01-01'"


def flag(condition: str) -> str:
    """1 when ``condition`` holds, else 0 (NULL conditions count as false)."""
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


SQLITE = Dialect("sqlite")
POSTGRESQL = Dialect("postgresql")


def dialect_of(name: str) -> Dialect:
    return POSTGRESQL if name == "postgresql" else SQLITE
