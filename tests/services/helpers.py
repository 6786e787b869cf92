"""Building blocks of the window tests: a hall with its services, a simulated window printer, and
shortcuts for the visits the tests walk through (the ``dh`` fixtures of tests/services/conftest.py).

    h = make_desk_hall(url, hall_code)     # the small hall of harness/factories.py
    ticket = h.issue("B", matter="B01")    # a kiosk ticket
    h.serve("1", "zhang")                  # sign in, open, call next, start at window 1
    result = h.finish("1", "zhang", CaseRequest(case_type="promised"))
"""

from __future__ import annotations

import html.parser
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from devices.printer import NetworkTransportConfig, PrinterConfig
from devices.simulators import TcpPrinterSimulator
from harness.factories import FakeClock, HallFixture, build_hall
from harness.waiting import scaled
from queue_server.protocol.messages import TicketResult, WindowOpResult
from queue_server.services import Services
from queue_server.services.casework.models import CaseRequest, FinishResult
from queue_server.services.engine.models import Ack
from queue_server.services.engine.tx import Tx
from queue_server.services.ports import Actor, Role


@dataclass
class DeskHall:
    hall: HallFixture

    @property
    def services(self) -> Services:
        return self.hall.services

    @property
    def code(self) -> str:
        return self.hall.code

    @property
    def clock(self) -> FakeClock:
        return self.hall.clock

    @property
    def manager(self) -> Actor:
        return self.hall.manager

    def staff(self, login: str, window: str | None = None) -> Actor:
        return Actor(Role.STAFF, login, window)

    def issue(self, service: str | None = "A", **args: Any) -> Any:
        return self.hall.issue(service, **args)

    def open(self, window: str, login: str) -> Actor:
        return self.hall.open_window(window, login)

    def call(self, window: str, login: str) -> WindowOpResult:
        return self.hall.services.call_next(
            self.code, window, actor=self.staff(login), request_id=self.hall.rid()
        )

    def serve(self, window: str, login: str, *, open_first: bool = True) -> WindowOpResult:
        """Call the next ticket to the window and start serving it."""
        if open_first:
            self.open(window, login)
        self.call(window, login)
        return self.hall.services.start(
            self.code, window, actor=self.staff(login), request_id=self.hall.rid()
        )

    def finish(
        self, window: str, login: str, request: CaseRequest, request_id: str | None = None
    ) -> FinishResult:
        return self.services.finish_case(
            self.code, window, request, actor=self.staff(login), request_id=request_id
        )

    def attach_printer(self, window: str, sim: TcpPrinterSimulator) -> None:
        config = PrinterConfig(transport=NetworkTransportConfig(host="127.0.0.1", port=sim.port))
        self.services.set_window_printer(self.code, window, config, actor=self.hall.admin)


def make_desk_hall(url: str, code: str, *, clock: FakeClock | None = None, migrate: bool = False) -> DeskHall:
    hall = build_hall(url, code=code, clock=clock, record=True, migrate=migrate)
    return DeskHall(hall)


@contextmanager
def printer() -> Iterator[TcpPrinterSimulator]:
    with TcpPrinterSimulator() as sim:
        yield sim


class _Text(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "svg"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "svg"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def page_text(html_page: str) -> str:
    """The visible text of an HTML page, one piece per line (what a reader of the A4 page sees)."""
    parser = _Text()
    parser.feed(html_page)
    return "\n".join(parser.parts)


def citizen_token(ticket: TicketResult) -> str:
    """The secret of a ticket's citizen page: only in its ``citizen_url`` (the QR code), never its
    ``ticket_id`` (the public id displays show)."""
    return ticket.citizen_url.rsplit("/t/", 1)[1]


@contextmanager
def commit_held(hall: HallFixture) -> Iterator[None]:
    """The hall's writer busy with a write that waits for the block to end: what the block queues
    meanwhile is committed after it (together, where it can be batched)."""
    entered, release = threading.Event(), threading.Event()

    def hold(_tx: Tx) -> Ack:
        entered.set()
        release.wait(scaled(30))
        return Ack()

    runner = hall.services.runner
    holder = threading.Thread(target=lambda: runner.write(hall.code, "test.hold", hold, Ack, request_id=None))
    holder.start()
    try:
        assert entered.wait(scaled(10))
        yield
    finally:
        release.set()
        holder.join(timeout=scaled(30))
