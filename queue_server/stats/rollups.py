"""What each rollup table holds: its source table, its key and its measures, as data.

A rollup row is the sum, over the source rows whose key it is, of each source row's contribution (a
pure function of that row and of a few settings it points at: the service's target wait, the hall's
zone). The database keeps it exact by triggers that subtract a row's old contribution and add its new
one in the transaction that changes the row (``stats/triggers.py``); ``hallq stats rebuild`` computes
the same sums from the source rows (``stats/rebuild.py``). Both use the SQL built here
(``stats/sql.py``), so the two can only agree. Expressions are functions of the ``Dialect``; a level of
``derived`` may use the source columns and the earlier levels, keys and measures everything.

The ticket rollup is a set of one-dimension groupings rather than one row per full key: each ticket
counts once in each ``dim`` (``hour``, ``service``, ``window``, ``staff``, ``channel``, ``priority``,
``call_slot``), so a year grouped by any one of them reads at most a few tens of thousands of rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from queue_server.domain.ratings import BAD_THRESHOLD
from queue_server.stats.buckets import BOUNDS_MS, BUCKETS
from queue_server.stats.dialect import Dialect, flag

Expr = Callable[[Dialect], str]
KeyType = str  # "int" | "text" | "date"


def c(sql: str) -> Expr:
    """An expression that reads the same on both databases."""
    return lambda _d: sql


@dataclass(frozen=True)
class Rollup:
    table: str
    source: str
    columns: tuple[str, ...]  # the source columns read (the update trigger watches these)
    keys: tuple[tuple[str, KeyType, Expr], ...]  # primary key, in index order; hall_id first
    day: str  # the key column holding the hall-local day
    measures: tuple[tuple[str, Expr], ...]
    derived: tuple[tuple[tuple[str, Expr], ...], ...] = ()
    dims: tuple[tuple[str, Expr], ...] = ()  # grouping sets: one row per dim (keys "dim", "dim_key")
    when: tuple[str, str] | None = (
        None  # insert-only sources (events): (column, value) of the rows that count
    )
    rebuild_filter: Callable[[Dialect], str] | None = None  # a cheap pre-filter on :lo/:hi (UTC)
    # Histograms: (column prefix, the derived bucket column counted in them).
    hist: tuple[tuple[str, str], ...] = field(default=())
    # The insert of a fresh source row (``fresh_when``, on NEW) can only move these measures, with
    # these derived columns: its trigger writes just them (a new ticket costs far less than a call).
    fresh_when: str | None = None
    fresh_measures: tuple[str, ...] = ()
    fresh_derived: tuple[str, ...] = ()

    @property
    def measure_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.measures)

    def fresh(self) -> Rollup:
        """This rollup cut to what a fresh row's insert moves (see ``fresh_when``)."""
        return replace(
            self,
            measures=tuple(m for m in self.measures if m[0] in self.fresh_measures),
            derived=tuple(
                level
                for level in (tuple(e for e in lvl if e[0] in self.fresh_derived) for lvl in self.derived)
                if level
            ),
        )


def _bucket(ms: str) -> Expr:
    whens = " ".join(f"WHEN {ms} <= {bound} THEN {i}" for i, bound in enumerate(BOUNDS_MS, start=1))
    return c(f"CASE WHEN {ms} IS NULL THEN NULL WHEN {ms} <= 0 THEN 0 {whens} ELSE {BUCKETS - 1} END")


def hist_columns(prefix: str) -> tuple[str, ...]:
    """The histogram's columns: ``w00`` … (waits), ``h00`` … (handling)."""
    return tuple(f"{prefix}{i:02d}" for i in range(BUCKETS))


def _hist(prefix: str, bucket: str) -> tuple[tuple[str, Expr], ...]:
    return tuple((name, c(flag(f"{bucket} = {i}"))) for i, name in enumerate(hist_columns(prefix)))


OPEN_STATES = "('waiting', 'held')"
DIMS = ("hour", "service", "window", "staff", "channel", "priority", "call_slot")
CHANNELS = ("kiosk", "appointment", "special", "desk")
CALL_SLOT_MIN = 5  # the call_slot dim: the hall-local minute of the first call, in 5-minute steps


def _channel(d: Dialect) -> str:
    # A transfer's continuation has no device of its own: it keeps the channel of the ticket it came from.
    device = "COALESCE(s.device_id, (SELECT p.device_id FROM ticket p WHERE p.id = s.parent_ticket_id))"
    return (
        "CASE WHEN s.special THEN 'special' WHEN s.appointment_id IS NOT NULL THEN 'appointment' "
        f"WHEN {device} IS NOT NULL THEN 'kiosk' ELSE 'desk' END"
    )


TICKETS = Rollup(
    table="stats_ticket",
    source="ticket",
    columns=(
        "hall_id",
        "service_id",
        "service_day",
        "state",
        "special",
        "priority_class",
        "appointment_id",
        "device_id",
        "parent_ticket_id",
        "issued_at",
        "first_called_at",
        "started_at",
        "finished_at",
        "window_id",
        "staff_id",
        "recall_count",
    ),
    # dim first: a query reads one dim over a range of days.
    keys=(
        ("hall_id", "int", c("hall_id")),
        ("dim", "text", c("dm.dim")),
        ("service_day", "date", c("service_day")),
        ("dim_key", "text", c("dim_key")),  # built from ``dims``
    ),
    day="service_day",
    derived=(
        (
            ("wait_ms", lambda d: d.ms("s.issued_at", "s.first_called_at")),
            (
                "hand_ms",
                lambda d: f"CASE WHEN s.state = 'done' THEN {d.ms('s.started_at', 's.finished_at')} END",
            ),
            ("left_ms", lambda d: d.ms("s.issued_at", "s.finished_at")),
            ("target_ms", c("(SELECT v.target_wait_min FROM service v WHERE v.id = s.service_id) * 60000")),
            ("k_hour", lambda d: d.local_hour("s.issued_at", "s.hall_id")),
            (
                "k_call",
                lambda d: (
                    "CASE WHEN s.first_called_at IS NOT NULL THEN "
                    f"{d.local_minute('s.first_called_at', 's.hall_id')} END"
                ),
            ),
            ("k_channel", _channel),
        ),
        (("wait_b", _bucket("s.wait_ms")), ("hand_b", _bucket("s.hand_ms"))),
    ),
    dims=(
        ("hour", lambda d: d.text("s.k_hour")),
        ("service", lambda d: d.text("s.service_id")),
        ("window", lambda d: d.text("COALESCE(s.window_id, 0)")),
        ("staff", lambda d: d.text("COALESCE(s.staff_id, 0)")),
        ("channel", c("s.k_channel")),
        ("priority", c("COALESCE(s.priority_class, '')")),
        (
            "call_slot",
            lambda d: (
                f"CASE WHEN s.k_call IS NULL THEN '-' ELSE "
                f"{d.pad4(f's.k_call / {CALL_SLOT_MIN} * {CALL_SLOT_MIN}')} END"
            ),
        ),
    ),
    measures=(
        ("issued", c(flag("s.parent_ticket_id IS NULL"))),
        ("visits", c(flag("s.first_called_at IS NOT NULL"))),
        ("served", c(flag("s.state = 'done'"))),
        ("no_show", c(flag("s.state = 'no_show'"))),
        ("transferred", c(flag("s.state = 'transferred'"))),
        ("voided", c(flag("s.state = 'void'"))),
        ("waiting", c(flag(f"s.state IN {OPEN_STATES}"))),
        ("recalls", c("s.recall_count")),
        ("in_target", c(flag("s.wait_ms <= s.target_ms"))),
        (
            "late_uncalled",
            c(flag(f"s.wait_ms IS NULL AND s.state NOT IN {OPEN_STATES} AND s.left_ms > s.target_ms")),
        ),
        ("wait_ms", c("COALESCE(s.wait_ms, 0)")),
        ("handled", c(flag("s.hand_ms IS NOT NULL"))),
        ("hand_ms", c("COALESCE(s.hand_ms, 0)")),
        *_hist("w", "s.wait_b"),
        *_hist("h", "s.hand_b"),
    ),
    rebuild_filter=c("service_day BETWEEN :day_lo AND :day_hi"),
    hist=(("w", "wait_b"), ("h", "hand_b")),
    # A ticket as issued: never called, started or finished (a hall load or bulk load may insert
    # finished ones: they take the full trigger).
    fresh_when="NEW.first_called_at IS NULL AND NEW.started_at IS NULL AND NEW.finished_at IS NULL",
    fresh_measures=("issued", "served", "no_show", "transferred", "voided", "waiting", "recalls"),
    fresh_derived=("k_hour", "k_call", "k_channel"),
)


def _day_of(ts: str) -> Expr:
    return lambda d: d.local_day(ts, "s.hall_id")


def _ts_window(column: str) -> Expr:
    return c(f"{column} >= :ts_lo AND {column} < :ts_hi")


# No trigger of a table other than ``ticket`` may read ``ticket``: SQLite checks every trigger when a
# migration copies and renames a table (alembic's batch mode), and ``ticket`` is missing for a moment.
RATINGS = Rollup(
    table="stats_rating",
    source="rating",
    columns=("hall_id", "window_id", "staff_id", "score", "ts", "rectification_due", "rectified_at"),
    keys=(
        ("hall_id", "int", c("hall_id")),
        ("day", "date", _day_of("s.ts")),
        ("window_id", "int", c("COALESCE(window_id, 0)")),
        ("staff_id", "int", c("COALESCE(staff_id, 0)")),
    ),
    day="day",
    derived=((("rectified_day", _day_of("s.rectified_at")),),),
    measures=(
        ("rated", c("1")),
        *((f"s{i}", c(flag(f"s.score = {i}"))) for i in range(1, 6)),
        ("bad", c(flag(f"s.score <= {BAD_THRESHOLD}"))),
        ("rect_closed", c(flag(f"s.score <= {BAD_THRESHOLD} AND s.rectified_at IS NOT NULL"))),
        ("rect_in_time", c(flag("s.rectified_at IS NOT NULL AND s.rectified_day <= s.rectification_due"))),
    ),
    rebuild_filter=_ts_window("ts"),
)

CASES = Rollup(
    table="stats_case",
    source="case_file",
    columns=("hall_id", "case_type", "department_id", "accepted_on", "deadline", "closed_at"),
    keys=(
        ("hall_id", "int", c("hall_id")),
        ("day", "date", c("accepted_on")),
        ("deadline", "date", lambda d: f"COALESCE(deadline, {d.no_day()})"),
        ("case_type", "text", c("case_type")),
        ("department_id", "int", c("COALESCE(department_id, 0)")),
    ),
    day="day",
    derived=((("closed_day", _day_of("s.closed_at")),),),
    measures=(
        ("cases", c("1")),
        ("closed", c(flag("s.closed_at IS NOT NULL"))),
        ("closed_late", c(flag("s.deadline IS NOT NULL AND s.closed_day > s.deadline"))),
    ),
    rebuild_filter=c("accepted_on BETWEEN :day_lo AND :day_hi"),
)

PAUSES = Rollup(
    table="stats_pause",
    source="pause",
    columns=("hall_id", "window_id", "staff_id", "reason", "started_at", "ended_at"),
    keys=(
        ("hall_id", "int", c("hall_id")),
        ("day", "date", _day_of("s.started_at")),
        ("window_id", "int", c("window_id")),
        ("staff_id", "int", c("COALESCE(staff_id, 0)")),
        ("reason", "text", c("reason")),
    ),
    day="day",
    measures=(
        ("pauses", c("1")),
        ("unended", c(flag("s.ended_at IS NULL"))),
        ("paused_ms", lambda d: f"COALESCE({d.ms('s.started_at', 's.ended_at')}, 0)"),
    ),
    rebuild_filter=_ts_window("started_at"),
)

SHIFTS = Rollup(
    table="stats_shift",
    source="window_shift",
    columns=("hall_id", "window_id", "staff_id", "started_at", "ended_at"),
    keys=(
        ("hall_id", "int", c("hall_id")),
        ("day", "date", _day_of("s.started_at")),
        ("window_id", "int", c("window_id")),
        ("staff_id", "int", c("staff_id")),
    ),
    day="day",
    measures=(
        ("shifts", c("1")),
        ("unended", c(flag("s.ended_at IS NULL"))),
        ("signed_ms", lambda d: f"COALESCE({d.ms('s.started_at', 's.ended_at')}, 0)"),
    ),
    rebuild_filter=_ts_window("started_at"),
)

APPOINTMENTS = Rollup(
    table="stats_appointment",
    source="appointment",
    columns=("hall_id", "service_id", "slot_start", "state", "checked_in_at"),
    keys=(
        ("hall_id", "int", c("hall_id")),
        ("day", "date", _day_of("s.slot_start")),
        ("service_id", "int", c("service_id")),
    ),
    day="day",
    measures=(
        ("booked", c(flag("s.state <> 'cancelled'"))),
        ("kept", c(flag("s.state = 'checked_in'"))),
        ("late", c(flag("s.state = 'walked_in' OR s.checked_in_at > s.slot_start"))),
        ("pending", c(flag("s.state = 'booked'"))),
        ("cancelled", c(flag("s.state = 'cancelled'"))),
    ),
    rebuild_filter=_ts_window("slot_start"),
)

# The minutes a window worked past closing, recorded by its close (``services/queue/windows.py``).
EXTENDED = Rollup(
    table="stats_extended",
    source="event",
    columns=("hall_id", "kind", "ts", "window_id", "staff_id", "data"),
    keys=(
        ("hall_id", "int", c("hall_id")),
        ("day", "date", _day_of("s.ts")),
        ("window_id", "int", c("COALESCE(window_id, 0)")),
        ("staff_id", "int", c("COALESCE(staff_id, 0)")),
    ),
    day="day",
    derived=((("minutes", lambda d: d.json_number("s.data", "extended_minutes")),),),
    measures=(
        ("closes", c("1")),
        ("extended_closes", c(flag("s.minutes > 0"))),
        ("extended_min", c("CASE WHEN s.minutes > 0 THEN CAST(ROUND(s.minutes) AS INTEGER) ELSE 0 END")),
    ),
    when=("kind", "window_close"),
    rebuild_filter=_ts_window("ts"),
)

# Enquiries (咨询) answered at the guide desk (``services/queue/guide.py``): an ``enquiry`` event, its
# ``staff_id`` the clerk, its data the service's and the matter's codes (codes, not ids: no trigger of
# ``event`` reads another table; the report maps them to the services).
ENQUIRIES = Rollup(
    table="stats_enquiry",
    source="event",
    columns=("hall_id", "kind", "ts", "staff_id", "data"),
    keys=(
        ("hall_id", "int", c("hall_id")),
        ("day", "date", _day_of("s.ts")),
        ("staff_id", "int", c("COALESCE(staff_id, 0)")),
        ("service", "text", lambda d: d.json_text("data", "service")),
        ("matter", "text", lambda d: d.json_text("data", "matter")),
    ),
    day="day",
    measures=(("enquiries", c("1")),),
    when=("kind", "enquiry"),
    rebuild_filter=_ts_window("ts"),
)

ROLLUPS: tuple[Rollup, ...] = (TICKETS, RATINGS, CASES, PAUSES, SHIFTS, APPOINTMENTS, EXTENDED, ENQUIRIES)
