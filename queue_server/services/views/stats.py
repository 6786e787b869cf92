"""Statistics per service and per window over a date range, from the tickets' recorded times.

wait = first call − issue; handling = finish − start; "within target" = called within the service's
target wait. A transferred visit counts once per queue it passed through (each segment has its own
issue time in its queue). ``tickets``: per service the tickets issued (not the transfer segments), per
window the visits it called; a no-show sent back to the queue counts where it was called last.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import col, select

from queue_server.domain import kpi
from queue_server.errors import BadRequestError
from queue_server.protocol.messages import TicketState
from queue_server.services.engine.tx import Tx, pk
from queue_server.services.views.models import StatsResult, StatsRow
from queue_server.store.tables import Service, Ticket, Window

P90 = 90
MAX_DAYS = 366


@dataclass
class _Acc:
    key: str
    name: str
    tickets: int = 0
    served: int = 0
    no_shows: int = 0
    transferred: int = 0
    waits: list[timedelta] = field(default_factory=list)
    over_target: list[timedelta] = field(default_factory=list)
    handling: list[timedelta] = field(default_factory=list)

    def add(self, t: Ticket, target: timedelta, *, visits: bool = False) -> None:
        # Service rows count tickets issued; window rows count the visits called there.
        self.tickets += visits or t.parent_ticket_id is None
        self.served += t.state == TicketState.DONE.value
        self.no_shows += t.state == TicketState.NO_SHOW.value
        self.transferred += t.state == TicketState.TRANSFERRED.value
        if t.first_called_at is not None:
            wait = t.first_called_at - t.issued_at
            self.waits.append(wait)
            self.over_target.append(wait - target)
        if t.state == TicketState.DONE.value and t.started_at is not None and t.finished_at is not None:
            self.handling.append(t.finished_at - t.started_at)

    def row(self) -> StatsRow:
        return StatsRow(
            key=self.key,
            name=self.name,
            tickets=self.tickets,
            served=self.served,
            no_shows=self.no_shows,
            transferred=self.transferred,
            mean_wait_s=_seconds(kpi.mean(self.waits)),
            p90_wait_s=_seconds(kpi.percentile(self.waits, P90)),
            mean_handling_s=_seconds(kpi.mean(self.handling)),
            within_target=kpi.share_within(self.over_target, timedelta(0)),
        )


def statistics(tx: Tx, date_from: date, date_to: date) -> StatsResult:
    if date_to < date_from or (date_to - date_from).days >= MAX_DAYS:
        raise BadRequestError("统计区间无效（最长一年）。", date_from=str(date_from), date_to=str(date_to))
    services = {pk(s): s for s in tx.session.exec(select(Service).where(Service.hall_id == tx.hall_id))}
    windows = {pk(w): w for w in tx.session.exec(select(Window).where(Window.hall_id == tx.hall_id))}
    total = _Acc("total", "合计")
    by_service = {sid: _Acc(s.code, s.name) for sid, s in services.items()}
    by_window = {wid: _Acc(w.number, w.name) for wid, w in windows.items()}
    tickets = tx.session.exec(
        select(Ticket).where(
            Ticket.hall_id == tx.hall_id,
            col(Ticket.service_day) >= date_from,
            col(Ticket.service_day) <= date_to,
        )
    )
    for t in tickets:
        target = timedelta(minutes=services[t.service_id].target_wait_min)
        total.add(t, target)
        by_service[t.service_id].add(t, target)
        if t.window_id is not None:
            by_window[t.window_id].add(t, target, visits=True)
    return StatsResult(
        hall=tx.hall.code,
        date_from=date_from,
        date_to=date_to,
        total=total.row(),
        services=_rows(by_service.values()),
        windows=_rows(by_window.values()),
    )


def _rows(accs: Iterable[_Acc]) -> list[StatsRow]:
    return [acc.row() for acc in sorted(accs, key=lambda a: a.key)]


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()
