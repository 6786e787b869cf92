"""A simulated day as table rows, with ids, numbers and sequences given in time order.

Rows are tuples in the column order of ``COLUMNS``; times are naive UTC datetimes (the writer turns
them into each database's form), JSON columns are already text. Ticket ids follow issue time (a
transfer's child after its parent), call ``seq`` follows call time across the hall, ticket numbers
restart per service and day, case numbers per day: what the live server's counters would have given.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter as Tally
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from benchmarks.year.hall import HallInfo, clock_for
from benchmarks.year.records import APPOINTMENT, SPECIAL, Day, EventRec, Visit
from queue_server.domain.cases import format_case_number
from queue_server.domain.numbering import format_number
from queue_server.services.engine.request_log import scope_of

Row = tuple[Any, ...]


def _names(*lines: str) -> tuple[str, ...]:
    return tuple(" ".join(lines).split())


COLUMNS: dict[str, tuple[str, ...]] = {
    "appointment": _names(
        "id hall_id service_id matter_id code id_hash name phone slot_start slot_end state ticket_id",
        "request_id booked_at checked_in_at",
    ),
    "ticket": _names(
        "id hall_id service_id service_day number seq state lane special special_reason priority_class",
        "priority_basis priority_confirmed id_hash phone materials matter_id appointment_id",
        "appointment_slot_start return_for request_id device_id citizen_token public_id issued_at queued_at",
        "first_called_at called_at started_at finished_at window_id staff_id target_window_id recall_count",
        "no_show_count parent_ticket_id transferred_from_window_id outcome case_number",
    ),
    "call": _names(
        "id hall_id seq kind ticket_id window_id number window_no window_name service citizen_token",
        "public_id say ts",
    ),
    "event": _names("id hall_id ts kind ticket_id window_id staff_id device_id request_id data"),
    "case_file": _names(
        "id hall_id ticket_id case_number case_type matter_id department_id co_departments accepted_on",
        "deadline return_for_case_id documents created_at closed_at",
    ),
    "rating": _names(
        "id hall_id ticket_id window_id staff_id score bad ts device_id event_id rectification_due",
        "rectified_at rectification_note",
    ),
    "rectification": _names(
        "id hall_id rating_id assignee_id state due opened_at updated_at closed_at closed_by_id measures"
    ),
    "rectification_note": _names("id rectification_id ts staff_id kind text"),
    "special_grant": _names("id hall_id ticket_id granted_by_id reason granted_at"),
    "pause": _names("id hall_id window_id staff_id reason started_at ended_at"),
    "window_shift": _names("id hall_id staff_id window_id started_at ended_at"),
}
# Parents before children: the order rows are inserted in. A column the tables no longer have is left
# out when written (write.py), so the generator follows schema changes that drop one.
TABLE_ORDER = tuple(COLUMNS)
_NUMBERED = {"call_next", "start", "finish", "no_show", "transfer"}
_NOT_CODE = re.compile(r"[^A-Z0-9]")


@dataclass
class Ids:
    """The next id of each table, the hall's call ``seq``, and the counters the server keeps."""

    next: dict[str, int]
    call_seq: int = 0
    ticket_counters: list[Row] = field(default_factory=list)  # (hall, service, day, value)
    slot_counters: Tally[tuple[int, date, str]] = field(default_factory=Tally)
    case_seqs: dict[str, int] = field(default_factory=dict)  # "case:YYYYMMDD" -> last

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


def day_rows(hall: HallInfo, record: Day, ids: Ids, now: datetime) -> dict[str, list[Row]]:
    """All rows of ``record``; ``now`` (naive UTC) bounds what has happened yet (open cases)."""
    at = clock_for(hall, record.day)
    out: dict[str, list[Row]] = {table: [] for table in COLUMNS}
    _number_visits(hall, record, ids)
    _appointments(hall, record, ids, at, out["appointment"])
    _cases(hall, record, ids, at, now, out["case_file"])  # before the tickets: they carry the case number
    _tickets(hall, record, ids, at, out["ticket"])
    _calls(hall, record, ids, at, out["call"])
    _ratings(hall, record, ids, at, now, out)
    _floor(hall, record, ids, at, out)
    _events(hall, record, ids, at, out["event"])
    return out


def _opt(at: Callable[[float], datetime], seconds: float | None) -> datetime | None:
    return None if seconds is None else at(seconds)


def _number_visits(hall: HallInfo, record: Day, ids: Ids) -> None:
    record.visits.sort(key=lambda v: v.issued)
    per_service: Tally[int] = Tally()
    for visit in record.visits:
        visit.id = ids.take("ticket")
        if visit.parent is None:
            per_service[visit.service.id] += 1
            visit.seq = per_service[visit.service.id]
            visit.number = format_number(visit.service.code, visit.seq)
        else:
            visit.seq, visit.number = visit.parent.seq, visit.parent.number
    for sid, value in sorted(per_service.items()):
        ids.ticket_counters.append((hall.id, sid, record.day, value))


def _appointments(
    hall: HallInfo, record: Day, ids: Ids, at: Callable[[float], datetime], rows: list[Row]
) -> None:
    for appt in sorted(record.appointments, key=lambda a: a.booked_at):
        appt.id = ids.take("appointment")
        half = "am" if appt.slot_start < 12 * 3600 else "pm"
        ids.slot_counters[(appt.service.id, record.day, half)] += 1
        ticket = None if appt.visit is None else appt.visit.id
        rows.append((
            appt.id, hall.id, appt.service.id, None if appt.matter is None else appt.matter.id, appt.code,
            appt.id_hash, "", None, at(appt.slot_start), at(appt.slot_end), appt.state, ticket,
            f"b{appt.code}", at(appt.booked_at), _opt(at, appt.checked_in_at),
        ))  # fmt: skip


def _token(visit: Visit) -> str:
    """22 characters like ``secrets.token_urlsafe(16)``, unique by construction (the id is in it)."""
    raw = visit.id.to_bytes(6, "big") + (visit.id * 2654435761 % (1 << 80)).to_bytes(10, "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _public_id(visit: Visit) -> str:
    """16 hex digits like ``tickets.new_public_id()``, unique by construction (an odd multiplier is a
    bijection modulo 2^64)."""
    return f"{visit.id * 0x9E3779B97F4A7C15 % (1 << 64):016x}"


def _request_key(visit: Visit) -> str | None:
    """The ticket's copy of its request key, as ``tickets.ticket_request_key`` writes it (scoped to its
    sender, a digest); the issue event keeps the key as sent."""
    if visit.request_id is None:
        return None
    return (
        "k1:" + hashlib.sha256(f"{scope_of(visit.device, None)}\x00{visit.request_id}".encode()).hexdigest()
    )


def _tickets(hall: HallInfo, record: Day, ids: Ids, at: Callable[[float], datetime], rows: list[Row]) -> None:
    day = record.day
    for v in record.visits:
        window, parent, source = v.window, v.parent, v.from_window
        booked = v.appt if v.channel == APPOINTMENT else None
        rows.append((
            v.id, hall.id, v.service.id, day, v.number, v.seq, v.state, v.lane, v.channel == SPECIAL,
            v.special_reason, v.priority, v.basis, v.confirmed, v.id_hash, None, "[]",
            None if v.matter is None else v.matter.id, None if booked is None else booked.id,
            None if booked is None else at(booked.slot_start), None, _request_key(v),
            v.device, _token(v), _public_id(v), at(v.issued), at(v.queued), _opt(at, v.first_called),
            _opt(at, v.called), _opt(at, v.started), _opt(at, v.finished),
            None if window is None else window.id, v.staff, None, v.recalls, v.no_shows,
            None if parent is None else parent.id, None if source is None else source.id, v.outcome,
            v.case_number,
        ))  # fmt: skip
        if parent is None:
            _issue_events(hall, record, v)


def _issue_events(hall: HallInfo, record: Day, v: Visit) -> None:
    appointment = None if v.appt is None or v.channel != APPOINTMENT else v.appt.code
    data = {
        "number": v.number, "service": v.service.code, "lane": v.lane, "priority": v.priority,
        "priority_basis": v.basis, "appointment": appointment, "special_reason": v.special_reason,
    }  # fmt: skip
    if v.channel == SPECIAL:
        data["actor"] = f"manager:{hall.logins[hall.manager_id]}"
    record.events.append(EventRec(v.issued, "issue", v, None, None, v.device, data))
    if v.channel == SPECIAL:
        grant = {"reason": v.special_reason, "actor": data["actor"]}
        record.events.append(EventRec(v.issued, "special_grant", v, None, hall.manager_id, None, grant))
    if appointment is not None:
        record.events.append(
            EventRec(v.issued, "appointment_checkin", v, None, None, v.device, {"code": appointment})
        )


def _cases(
    hall: HallInfo, record: Day, ids: Ids, at: Callable[[float], datetime], now: datetime, rows: list[Row]
) -> None:
    key = f"case:{record.day:%Y%m%d}"
    code = _NOT_CODE.sub("", hall.code.upper())[:16] or "HALL"
    for case in sorted(record.cases, key=lambda c: c.created):
        ids.case_seqs[key] = seq = ids.case_seqs.get(key, 0) + 1
        number = case.visit.case_number = format_case_number(code, record.day, seq)
        closed = _opt(at, case.closed)
        matter = case.visit.matter
        rows.append((
            ids.take("case_file"), hall.id, case.visit.id, number, case.case_type,
            None if matter is None else matter.id, None if matter is None else matter.department_id, "[]",
            record.day, case.deadline, None, "{}", at(case.created),
            None if closed is None or closed > now else closed,
        ))  # fmt: skip


def _calls(hall: HallInfo, record: Day, ids: Ids, at: Callable[[float], datetime], rows: list[Row]) -> None:
    record.calls.sort(key=lambda c: c[0])
    for call in record.calls:
        ts, kind, visit, window = call[0], call[1], call[2], call[3]
        ids.call_seq += 1
        call[4] = ids.call_seq
        rows.append((
            ids.take("call"), hall.id, ids.call_seq, kind, visit.id, window.id, visit.number, window.number,
            window.name, visit.service.code, _token(visit), _public_id(visit),
            f"请{visit.number}号到{window.name}办理", at(ts),
        ))  # fmt: skip


def _ratings(
    hall: HallInfo,
    record: Day,
    ids: Ids,
    at: Callable[[float], datetime],
    now: datetime,
    out: dict[str, list[Row]],
) -> None:
    for r in sorted(record.ratings, key=lambda r: r.ts):
        rating_id = ids.take("rating")
        window = r.visit.window
        device = None if window is None else window.agent
        rectified = _opt(at, r.rectified)
        if rectified is not None and rectified > now:
            rectified = None
        out["rating"].append((
            rating_id, hall.id, r.visit.id, None if window is None else window.id, r.visit.staff, r.score,
            r.bad, at(r.ts), device, f"r{r.visit.id}", r.due, rectified, r.measures if rectified else None,
        ))  # fmt: skip
        if not r.bad or r.due is None:
            continue
        item = ids.take("rectification")
        state = "open" if rectified is None else "closed"
        out["rectification"].append((
            item, hall.id, rating_id, r.visit.staff, state, r.due, at(r.ts), rectified or at(r.ts), rectified,
            None if rectified is None else r.visit.staff, r.measures if rectified else "",
        ))  # fmt: skip
        out["rectification_note"].append((ids.take("rectification_note"), item, at(r.ts), None, "opened", ""))
        if rectified is not None and r.rectified is not None:
            note = (ids.take("rectification_note"), item, rectified, r.visit.staff, "closed", r.measures)
            out["rectification_note"].append(note)
            late = rectified.date() > r.due
            data = {"item": item, "late": late, "actor": f"staff:{hall.logins.get(r.visit.staff or 0, '')}"}
            record.events.append(
                EventRec(r.rectified, "rectification_closed", None, None, r.visit.staff, None, data)
            )


def _floor(
    hall: HallInfo, record: Day, ids: Ids, at: Callable[[float], datetime], out: dict[str, list[Row]]
) -> None:
    for window, staff, reason, start, end in sorted(record.pauses, key=lambda p: p[3]):
        out["pause"].append((ids.take("pause"), hall.id, window.id, staff, reason, at(start), at(end)))
    for window, staff, start, end in sorted(record.shifts, key=lambda s: s[2]):
        out["window_shift"].append((ids.take("window_shift"), hall.id, staff, window.id, at(start), at(end)))
    for visit in record.visits:
        if visit.channel == SPECIAL and visit.parent is None:
            row = (
                ids.take("special_grant"),
                hall.id,
                visit.id,
                hall.manager_id,
                visit.special_reason,
                at(visit.issued),
            )
            out["special_grant"].append(row)


def _events(hall: HallInfo, record: Day, ids: Ids, at: Callable[[float], datetime], rows: list[Row]) -> None:
    record.events.sort(key=lambda e: e.ts)
    dumps = json.dumps
    for e in record.events:
        data, visit = e.data, e.visit
        if e.call is not None:
            data["seq"] = e.call[4]
        if visit is not None and e.kind in _NUMBERED:
            data["number"] = visit.number
        if e.kind == "finish" and visit is not None:
            data["case_number"] = visit.case_number
        if e.other is not None:
            data["child_ticket" if e.kind == "transfer" else "parent_ticket"] = e.other.id
        rows.append((
            ids.take("event"), hall.id, at(e.ts), e.kind, None if visit is None else visit.id,
            None if e.window is None else e.window.id, e.staff, e.device,
            visit.request_id if visit is not None and e.kind == "issue" else None, dumps(data),
        ))  # fmt: skip


def counter_rows(hall: HallInfo, ids: Ids) -> dict[str, Iterable[Row]]:
    """The counters as the server would have left them (written once, after the days)."""
    return {
        "ticket_counter": ids.ticket_counters,
        "slot_counter": [
            (hall.id, sid, day, half, n) for (sid, day, half), n in sorted(ids.slot_counters.items())
        ],
        "hall_sequence": [
            (hall.id, "calls", ids.call_seq),
            *((hall.id, k, v) for k, v in sorted(ids.case_seqs.items())),
        ],
    }


COUNTER_COLUMNS: dict[str, tuple[str, ...]] = {
    "ticket_counter": ("hall_id", "service_id", "day", "value"),
    "slot_counter": ("hall_id", "service_id", "day", "half", "value"),
    "hall_sequence": ("hall_id", "name", "value"),
}
