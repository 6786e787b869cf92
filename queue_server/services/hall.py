"""``Services``: every use case of a hall behind one object, the one both doors (MQTT, HTTP) call.

It implements ``ports.HallServices`` and the staff/manager operations on top. Each method is one
transaction (``Runner``); mutating ones take a ``request_id`` and are idempotent by it; after commit
the announcers hear about calls, changed windows and the new hall state. Time comes from ``clock``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime

from sqlalchemy import Engine
from sqlmodel import col, select

from queue_server.protocol.messages import (
    AppointmentCheckinArgs,
    CallsSinceResult,
    CatalogResult,
    DeviceConfig,
    HallState,
    RatingEvent,
    TicketIssueArgs,
    TicketResult,
    TicketStatusResult,
    WindowOpResult,
    WindowState,
)
from queue_server.services import (
    appointments,
    calls,
    catalog,
    device_config,
    devices,
    ratings,
    staff,
    state,
    stats,
    tickets,
    transfer,
    windows,
)
from queue_server.services.access import require_supervisor
from queue_server.services.lookup import service_by_code, staff_by_login, window_by_number
from queue_server.services.models import (
    Ack,
    AppointmentResult,
    LoginResult,
    SignInResult,
    StaffInfo,
    StatsResult,
)
from queue_server.services.ports import Actor, Announcer, IssueDone, Role
from queue_server.services.runner import Clock, Runner
from queue_server.services.security import BadTokenError, TokenClaims, verify_token
from queue_server.services.tx import Tx
from queue_server.settings import Settings
from queue_server.store.tables import Window

# The catalogue etag in every hall state is recomputed at most this often (it reads every matter).
ETAG_TTL_S = 10.0


def system_clock() -> datetime:
    return datetime.now(UTC)


class Services:
    """The application services of every hall in one database."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        clock: Clock = system_clock,
        announcers: Iterable[Announcer] = (),
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.runner = Runner(engine, settings, clock, announcers)
        self.runner.catalog_etag = self._etag
        self._token_key = settings.derive_key("token")
        self._etags: dict[str, tuple[float, str]] = {}

    def add_announcer(self, announcer: Announcer) -> None:
        """Attach a door that starts after the services (the MQTT bridge, the live web channel)."""
        self.runner.announcers = (*self.runner.announcers, announcer)

    # --- device doors (ports.HallServices) ---------------------------------------------------------

    def catalog(self, hall: str, etag: str | None) -> CatalogResult:
        return self.runner.read(hall, lambda tx: catalog.catalog(tx, etag))

    def issue_ticket(
        self, hall: str, args: TicketIssueArgs, *, request_id: str, device_id: str | None
    ) -> TicketResult:
        fn, op = self._issue(args)
        return self.runner.write(hall, op, fn, TicketResult, request_id=request_id, device_id=device_id)

    def issue_ticket_async(
        self,
        hall: str,
        args: TicketIssueArgs,
        done: IssueDone,
        *,
        request_id: str,
        device_id: str | None,
    ) -> None:
        fn, op = self._issue(args)
        self.runner.write_async(hall, op, fn, TicketResult, done, request_id=request_id, device_id=device_id)

    @staticmethod
    def _issue(args: TicketIssueArgs) -> tuple[Callable[[Tx], TicketResult], str]:
        """The use case a kiosk's ``ticket.issue`` means: a walk-in ticket, or an appointment's."""
        if args.appointment is not None:
            checkin = AppointmentCheckinArgs(code=args.appointment)
            return (lambda tx: appointments.checkin(tx, checkin)), "appointment.checkin"
        return (lambda tx: tickets.issue(tx, args)), "ticket.issue"

    def checkin_appointment(
        self, hall: str, args: AppointmentCheckinArgs, *, request_id: str, device_id: str | None
    ) -> TicketResult:
        return self.runner.write(
            hall,
            "appointment.checkin",
            lambda tx: appointments.checkin(tx, args),
            TicketResult,
            request_id=request_id,
            device_id=device_id,
        )

    def ticket_status(self, hall: str, ticket_id: str) -> TicketStatusResult:
        return self.runner.read(hall, lambda tx: tickets.status(tx, ticket_id))

    def calls_since(self, hall: str, seq: int, limit: int) -> CallsSinceResult:
        return self.runner.read(hall, lambda tx: calls.calls_since(tx.session, tx.hall_id, seq, limit))

    def hall_state(self, hall: str) -> HallState:
        return self.runner.read(hall, lambda tx: state.hall_state(tx, self._etag(tx)))

    def window_states(self, hall: str) -> list[WindowState]:
        def read(tx: Tx) -> list[WindowState]:
            rows = tx.session.exec(
                select(Window).where(Window.hall_id == tx.hall_id).order_by(col(Window.id))
            )
            return [state.window_state(tx, w) for w in rows]

        return self.runner.read(hall, read)

    def window_state(self, hall: str, window: str) -> WindowState:
        return self.runner.read(hall, lambda tx: state.window_state(tx, window_by_number(tx, window)))

    def device_window(self, hall: str, device_id: str) -> str | None:
        return self.runner.read(hall, lambda tx: devices.device_window(tx.session, tx.hall_id, device_id))

    def call_next(self, hall: str, window: str, *, actor: Actor, request_id: str) -> WindowOpResult:
        return self._window_op(
            hall, "window.next", actor, request_id, lambda tx: calls.call_next(tx, window, actor)
        )

    def recall(self, hall: str, window: str, *, actor: Actor, request_id: str) -> WindowOpResult:
        return self._window_op(
            hall, "window.recall", actor, request_id, lambda tx: calls.recall(tx, window, actor)
        )

    def start(self, hall: str, window: str, *, actor: Actor, request_id: str) -> WindowOpResult:
        return self._window_op(
            hall, "window.start", actor, request_id, lambda tx: windows.start(tx, window, actor)
        )

    def finish(
        self, hall: str, window: str, outcome: str | None, *, actor: Actor, request_id: str
    ) -> WindowOpResult:
        return self._window_op(
            hall, "window.finish", actor, request_id, lambda tx: windows.finish(tx, window, outcome, actor)
        )

    def no_show(self, hall: str, window: str, *, actor: Actor, request_id: str) -> WindowOpResult:
        return self._window_op(
            hall, "window.no_show", actor, request_id, lambda tx: windows.no_show(tx, window, actor)
        )

    def pause(self, hall: str, window: str, reason: str, *, actor: Actor, request_id: str) -> WindowOpResult:
        return self._window_op(
            hall, "window.pause", actor, request_id, lambda tx: windows.pause(tx, window, reason, actor)
        )

    def resume(self, hall: str, window: str, *, actor: Actor, request_id: str) -> WindowOpResult:
        return self._window_op(
            hall, "window.resume", actor, request_id, lambda tx: windows.resume(tx, window, actor)
        )

    def record_rating(self, hall: str, window: str, rating: RatingEvent, *, device_id: str) -> None:
        actor = Actor(Role.DEVICE, device_id, window)
        self.runner.write(
            hall,
            "evt.rating",
            lambda tx: ratings.record(tx, window, rating, actor),
            Ack,
            request_id=f"rating:{device_id}:{rating.id}",
            device_id=device_id,
            actor=actor,
        )

    def device_configs(self, hall: str) -> dict[str, DeviceConfig]:
        """Every device's retained config (``dev/{id}/config``); see ``services/device_config.py``.

        A read; only a content never seen before is written (its new version), so the bridge may ask
        after every reconnect and on a timer at no cost to the ticket traffic.
        """
        configs, complete = self.runner.read(hall, device_config.versioned)
        if complete:
            return configs
        return self.runner.write(
            hall, "device.config", device_config.assign, device_config.DeviceConfigs, request_id=None
        ).root

    def record_device_status(self, hall: str, device_id: str, payload: bytes) -> None:
        self.runner.write(
            hall,
            "dev.status",
            lambda tx: devices.record_status(tx, device_id, payload),
            Ack,
            request_id=None,
            device_id=device_id,
        )

    # --- counter console and managers ---------------------------------------------------------------

    def rate_visit(self, hall: str, window: str, rating: RatingEvent, *, actor: Actor) -> Ack:
        """A rating entered for a window by a person (a pad wired to the console)."""
        return self.runner.write(
            hall,
            "evt.rating",
            lambda tx: ratings.record(tx, window, rating, actor),
            Ack,
            request_id=f"rating:{actor.id}:{rating.id}",
            actor=actor,
        )

    def issue_special(
        self, hall: str, service: str, reason: str, *, actor: Actor, request_id: str | None = None
    ) -> TicketResult:
        """特事特办: a supervisor's ticket, called before all others; no hours, cap or ID limits."""
        require_supervisor(actor)

        def run(tx: Tx) -> TicketResult:
            code = service_by_code(tx, service).code
            options = tickets.IssueOptions(special=True, special_reason=reason)
            return tickets.issue(tx, TicketIssueArgs(service=code), options)

        return self.runner.write(
            hall, "ticket.special", run, TicketResult, request_id=request_id, actor=actor
        )

    def call_ticket(
        self,
        hall: str,
        window: str,
        ticket_id: str,
        reason: str,
        *,
        actor: Actor,
        request_id: str | None = None,
    ) -> WindowOpResult:
        return self._window_op(
            hall,
            "window.call",
            actor,
            request_id,
            lambda tx: calls.call_specific(tx, window, ticket_id, reason, actor),
        )

    def transfer(
        self,
        hall: str,
        window: str,
        *,
        to_service: str | None = None,
        to_window: str | None = None,
        note: str = "",
        actor: Actor,
        request_id: str | None = None,
    ) -> WindowOpResult:
        return self._window_op(
            hall,
            "window.transfer",
            actor,
            request_id,
            lambda tx: transfer.transfer(
                tx, window, actor, to_service=to_service, to_window=to_window, note=note
            ),
        )

    def hold_ticket(
        self, hall: str, ticket_id: str, *, actor: Actor, request_id: str | None = None
    ) -> TicketStatusResult:
        return self.runner.write(
            hall,
            "ticket.hold",
            lambda tx: tickets.hold(tx, ticket_id, actor),
            TicketStatusResult,
            request_id=request_id,
            actor=actor,
        )

    def resume_ticket(
        self, hall: str, ticket_id: str, *, actor: Actor, request_id: str | None = None
    ) -> TicketStatusResult:
        return self.runner.write(
            hall,
            "ticket.resume",
            lambda tx: tickets.resume(tx, ticket_id, actor),
            TicketStatusResult,
            request_id=request_id,
            actor=actor,
        )

    def confirm_priority(
        self, hall: str, window: str, confirmed: bool, *, actor: Actor, request_id: str | None = None
    ) -> WindowOpResult:
        return self._window_op(
            hall,
            "window.confirm_priority",
            actor,
            request_id,
            lambda tx: tickets.confirm_priority(tx, window, confirmed, actor),
        )

    def open_window(
        self, hall: str, window: str, *, actor: Actor, request_id: str | None = None
    ) -> WindowOpResult:
        return self._window_op(
            hall, "window.open", actor, request_id, lambda tx: windows.open_window(tx, window, actor)
        )

    def close_window(
        self, hall: str, window: str, *, actor: Actor, request_id: str | None = None
    ) -> WindowOpResult:
        return self._window_op(
            hall, "window.close", actor, request_id, lambda tx: windows.close_window(tx, window, actor)
        )

    def authenticate(self, hall: str, login: str, password: str) -> LoginResult:
        return self.runner.write(
            hall,
            "auth.login",
            lambda tx: staff.authenticate(tx, login, password, self._token_key),
            LoginResult,
            request_id=None,
        )

    def verify_token(self, token: str) -> TokenClaims:
        """The claims of a valid, unexpired token; BadTokenError otherwise."""
        return verify_token(token, self._token_key, self.clock())

    def staff_info(self, hall: str, login: str) -> StaffInfo:
        return self.runner.read(hall, lambda tx: staff.info(tx, staff_by_login(tx, login)))

    def sign_in(self, hall: str, window: str, *, actor: Actor, request_id: str | None = None) -> SignInResult:
        return self.runner.write(
            hall,
            "staff.sign_in",
            lambda tx: staff.sign_in(tx, window, actor),
            SignInResult,
            request_id=request_id,
            actor=actor,
        )

    def sign_out(self, hall: str, *, actor: Actor, request_id: str | None = None) -> StaffInfo:
        return self.runner.write(
            hall,
            "staff.sign_out",
            lambda tx: staff.sign_out(tx, actor),
            StaffInfo,
            request_id=request_id,
            actor=actor,
        )

    def book_appointment(
        self,
        hall: str,
        service: str,
        slot_start: datetime,
        slot_end: datetime,
        *,
        id_hash: str | None = None,
        name: str = "",
        phone: str | None = None,
        matter: str | None = None,
        request_id: str | None = None,
    ) -> AppointmentResult:
        return self.runner.write(
            hall,
            "appointment.book",
            lambda tx: appointments.book(
                tx, service, slot_start, slot_end, id_hash=id_hash, name=name, phone=phone, matter_code=matter
            ),
            AppointmentResult,
            request_id=request_id,
        )

    def statistics(self, hall: str, date_from: date, date_to: date, *, actor: Actor) -> StatsResult:
        require_supervisor(actor)
        return self.runner.read(hall, lambda tx: stats.statistics(tx, date_from, date_to))

    # --- helpers -----------------------------------------------------------------------------------

    def _window_op(
        self, hall: str, op: str, actor: Actor, request_id: str | None, fn: Callable[[Tx], WindowOpResult]
    ) -> WindowOpResult:
        device_id = actor.id if actor.role is Role.DEVICE else None
        return self.runner.write(
            hall, op, fn, WindowOpResult, request_id=request_id, device_id=device_id, actor=actor
        )

    def _etag(self, tx: Tx) -> str:
        cached = self._etags.get(tx.hall.code)
        now = time.monotonic()
        if cached is not None and now - cached[0] < ETAG_TTL_S:
            return cached[1]
        etag = catalog.catalog(tx, None).etag
        self._etags[tx.hall.code] = (now, etag)
        return etag


__all__ = ["BadTokenError", "Services", "system_clock"]
