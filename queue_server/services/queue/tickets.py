"""Issuing tickets and following them: issue (walk-in, special, appointment), status, hold/resume,
priority confirmation at the window."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Table
from sqlmodel import SQLModel, select

from queue_server.domain import limits
from queue_server.domain.numbering import format_number
from queue_server.domain.priority import PriorityBasis, PriorityClass, PriorityGrant, auto_grant
from queue_server.domain.refusals import RefusalCode
from queue_server.domain.schedule import issue_verdict
from queue_server.errors import (
    BadRequestError,
    DatabaseUnavailableError,
    HallqError,
    InvalidStateError,
    NotAuthorizedError,
    NotFoundError,
    RefusedError,
)
from queue_server.protocol.messages import (
    ErrorCode,
    MaterialLine,
    TicketIssueArgs,
    TicketResult,
    TicketState,
    TicketStatusResult,
    WindowOpResult,
    WindowStatus,
)
from queue_server.services.engine.access import SUPERVISORS, authorize_issue, authorize_window, require_status
from queue_server.services.engine.lookup import (
    active_service,
    newest_published_matter,
    refuse_clear_id,
    service_by_id,
    ticket_by_public_id,
    window_by_number,
)
from queue_server.services.engine.request_log import scope_of
from queue_server.services.engine.rules import hall_policy
from queue_server.services.engine.tx import Tx, pk
from queue_server.services.people.security import new_citizen_token
from queue_server.services.ports import Actor, Role
from queue_server.services.queue import reads
from queue_server.services.views.snapshots import service_hours, ticket_status, window_state
from queue_server.store.counters import give_back_ticket_seq, next_ticket_seq
from queue_server.store.prepared import Prepared
from queue_server.store.tables import (
    LANE_MILITARY,
    LANE_NORMAL,
    LANE_PRIORITY,
    LANE_SPECIAL,
    Appointment,
    Case,
    Material,
    Matter,
    Service,
    Staff,
    Ticket,
    TicketCounter,
    Window,
)


@dataclass(frozen=True, slots=True)
class IssueOptions:
    """What only the server decides about a ticket (not a kiosk's wish)."""

    special: bool = False
    special_reason: str | None = None
    appointment: Appointment | None = None
    priority: PriorityGrant | None = None  # a class staff saw and confirmed (the guide desk), not declared


@dataclass(frozen=True, slots=True)
class NewTicket:
    """A ticket just inserted (one Core INSERT, no ORM object): what its reply and its event need."""

    id: int
    service_id: int
    service_day: date
    number: str
    priority_class: str | None
    priority_basis: str | None
    citizen_token: str
    public_id: str
    issued_at: datetime
    materials: list[str]
    state: str = TicketState.WAITING.value
    target_window_id: int | None = None


def issue(tx: Tx, args: TicketIssueArgs, options: IssueOptions = IssueOptions()) -> TicketResult:
    """Issue one ticket: schedule and cut-off, daily cap, per-ID limit, priority, materials, links.

    A refusal leaves nothing written, without needing a rollback (the runner batches issues
    without savepoints): everything that can refuse comes before the insert, and a refusal after the
    number was drawn gives the number back.
    """
    refuse_clear_id(args.id_hash)
    matter, service = _resolve(tx, args)
    authorize_issue(tx, service)  # a kiosk issues only for its configured services
    service_id = pk(service)
    exempt = options.special or options.appointment is not None
    if not exempt:
        _check_hours(tx, service)
    # The number comes first: its counter bump locks the service's day, so the checks below see every
    # ticket committed before ours, and a refusal gives the number back (no gap).
    seq, bumped = _draw_number(tx, service_id)
    try:
        if not exempt:
            _refuse(limits.check_daily_cap(seq - 1, service.daily_cap))
        if args.id_hash is not None and not options.special:
            limit = service.id_daily_limit if service.id_daily_limit is not None else tx.hall.id_daily_limit
            # 0 or NULL: no limit (the hall's [policies] id_daily_limit = 0)
            _refuse(limits.check_id_limit(_tickets_for_id(tx, service, args.id_hash), limit or None))
        grant = _priority(tx, args) if options.priority is None else options.priority
    except DatabaseUnavailableError:
        raise  # the transaction is lost with the connection: nothing to give back
    except HallqError:
        if bumped:
            give_back_ticket_seq(tx.session, tx.hall_id, service_id, tx.today)
        raise
    lane = _lane(options.special, grant)
    appointment = options.appointment
    values: dict[str, Any] = {
        "hall_id": tx.hall_id,
        "service_id": service_id,
        "service_day": tx.today,
        "number": format_number(service.code, seq),
        "seq": seq,
        "state": TicketState.WAITING.value,
        "lane": lane,
        "special": options.special,
        "special_reason": options.special_reason,
        "priority_class": None if grant is None else grant.priority_class.value,
        "priority_basis": None if grant is None else grant.basis.value,
        "priority_confirmed": None if grant is None else not grant.needs_confirmation,
        "id_hash": args.id_hash,
        "phone": args.phone,
        "materials": list(args.materials),
        "matter_id": None if matter is None else matter.id,
        "appointment_id": None if appointment is None else appointment.id,
        "appointment_slot_start": None if appointment is None else appointment.slot_start,
        "return_for": args.return_for,
        "request_id": ticket_request_key(tx),
        "device_id": tx.device_id,
        "citizen_token": new_citizen_token(),
        "public_id": new_public_id(),
        "issued_at": tx.now,
        "queued_at": tx.now,
    }
    ticket = NewTicket(
        id=_insert_ticket(tx, values, deferrable=args.id_hash is None),
        service_id=service_id,
        service_day=tx.today,
        number=values["number"],
        priority_class=values["priority_class"],
        priority_basis=values["priority_basis"],
        citizen_token=values["citizen_token"],
        public_id=values["public_id"],
        issued_at=tx.now,
        materials=values["materials"],
    )
    _numbered(tx, service_id, seq, bumped)
    tx.event(
        "issue",
        ticket=ticket,
        number=ticket.number,
        service=service.code,
        lane=lane,
        priority=ticket.priority_class,
        priority_basis=ticket.priority_basis,
        appointment=None if appointment is None else appointment.code,
        special_reason=options.special_reason,
    )
    tx.changes.hall_changed = True
    return ticket_result(tx, ticket, service, matter, appointment)


def _insert_ticket(tx: Tx, values: dict[str, Any], *, deferrable: bool) -> int:
    """Insert the ticket row; its id. In a PostgreSQL batch the id comes from ``Tx.ticket_ids`` and,
    when nothing in the transaction reads the row back before the deferred writes go in (no exact
    position to rank, no per-ID count: ``deferrable``), the INSERT waits with them: no round trip."""
    if tx.ticket_ids is None:
        return int(_INSERT_TICKET.scalar(tx.conn, values))
    values["id"] = tx.ticket_ids()
    if deferrable and not reads.reads_back_new(tx, values["service_id"], values["service_day"]):
        tx.defer(_INSERT_TICKET_ROW, values)
    else:
        _INSERT_TICKET_ROW.run(tx.conn, values)
    return int(values["id"])


def ticket_result(
    tx: Tx,
    ticket: Ticket | NewTicket,
    service: Service,
    matter: Matter | None,
    appointment: Appointment | None,
) -> TicketResult:
    ahead = reads.people_ahead_of_new(tx, ticket, service)
    conn, hall_id, today = tx.conn, tx.hall_id, tx.today
    windows = tx.keep(("serving",), lambda: reads.serving_windows(conn, hall_id)).get(pk(service), 0)
    recent = tx.keep(("recent", today), lambda: reads.recent_handling(conn, hall_id, today))
    eta = reads.eta_minutes(service, ahead, windows, recent)
    grant_class = None if ticket.priority_class is None else PriorityClass(ticket.priority_class)
    return TicketResult(
        ticket_id=ticket.public_id,
        number=ticket.number,
        service=service.code,
        service_name=service.name,
        matter=None if matter is None else matter.code,
        matter_name=None if matter is None else matter.name,
        hall_name=tx.hall.name,
        issued_at=ticket.issued_at.timestamp(),
        people_ahead=ahead or 0,
        eta_min=eta,
        priority=None if grant_class is None else grant_class.value,
        priority_label=None if grant_class is None else grant_class.label_zh,
        citizen_url=citizen_url(tx, ticket),
        materials=[] if matter is None else _material_lines(tx, matter, ticket.materials),
        appointment=None if appointment is None else appointment.code,
        notice=tx.hall.notice,
        hall_short_name=tx.hall.short_name or "",
        hall_address=tx.hall.address,
        hall_phone=tx.hall.phone,
    )


def citizen_url(tx: Tx, ticket: Ticket | NewTicket) -> str:
    return f"{tx.settings.public_base_url.rstrip('/')}/t/{ticket.citizen_token}"


def ticket_request_key(tx: Tx) -> str | None:
    """The ticket's copy of its request key, scoped like the request log's (sender, key): the unique
    (hall, request_id) of tickets then never refuses one device's ticket for another device's key.
    A digest: a sender's name and a 128-character key together may not fit the column."""
    if tx.request_id is None:
        return None
    return scoped_key(scope_of(tx.device_id, tx.actor), tx.request_id)


def scoped_key(scope: str, request_id: str) -> str:
    """What a ticket row keeps of a sender's request id (``scope``: ``request_log.scope_of``)."""
    return "k1:" + hashlib.sha256(f"{scope}\x00{request_id}".encode()).hexdigest()


def new_public_id() -> str:
    """A ticket's public id (the protocol's ``ticket_id``): 64 random bits, unrelated to its citizen
    token, so what displays and public topics show opens neither the citizen page nor a rating."""
    return secrets.token_hex(8)


def status(tx: Tx, public_id: str) -> TicketStatusResult:
    """The status of the visit a public ticket id names (following transfers to the latest ticket)."""
    return ticket_status(tx, latest(tx, ticket_by_public_id(tx, public_id)))


def latest(tx: Tx, ticket: Ticket) -> Ticket:
    """The newest ticket of a transfer chain (the citizen keeps the token of the first)."""
    while True:
        child = tx.session.exec(select(Ticket).where(Ticket.parent_ticket_id == ticket.id)).first()
        if child is None:
            return ticket
        ticket = child


def hold(tx: Tx, ticket_id: str, actor: Actor) -> TicketStatusResult:
    """Set a ticket aside: waiting, or at a window (the citizen went to fetch a document). Held at a
    window, it goes back to that window's queue on resume."""
    ticket = latest(tx, ticket_by_public_id(tx, ticket_id, lock=True))
    state = TicketState(ticket.state)
    if state is TicketState.WAITING:
        if actor.role not in SUPERVISORS and actor.role is not Role.STAFF:
            raise NotAuthorizedError()
        tx.event("hold", ticket=ticket)
    elif state in (TicketState.CALLED, TicketState.SERVING) and ticket.window_id is not None:
        window = tx.session.get(Window, ticket.window_id, with_for_update=True)
        assert window is not None
        authorize_window(tx, actor, window)
        require_status(window, WindowStatus.CALLING, WindowStatus.SERVING)
        window.status = WindowStatus.IDLE.value
        window.status_since = tx.now
        window.current_ticket_id = None
        ticket.target_window_id = window.id
        tx.event("hold", ticket=ticket, window=window, from_state=state.value)
        tx.changes.touch(window)
    else:
        raise InvalidStateError(ticket=ticket.number, state=ticket.state)
    ticket.state = TicketState.HELD.value
    tx.changes.hall_changed = True
    return ticket_status(tx, ticket)


def resume(tx: Tx, ticket_id: str, actor: Actor) -> TicketStatusResult:
    """A held ticket goes back to waiting, keeping its place in the reads."""
    ticket = latest(tx, ticket_by_public_id(tx, ticket_id, lock=True))
    if ticket.state != TicketState.HELD.value:
        raise InvalidStateError(ticket=ticket.number, state=ticket.state)
    if ticket.target_window_id is not None and actor.role not in SUPERVISORS:
        window = tx.session.get(Window, ticket.target_window_id)
        assert window is not None
        authorize_window(tx, actor, window)
    ticket.state = TicketState.WAITING.value
    tx.event("resume", ticket=ticket)
    tx.changes.hall_changed = True
    return ticket_status(tx, ticket)


def confirm_priority(tx: Tx, window_no: str, confirmed: bool, actor: Actor) -> WindowOpResult:
    """The window confirms (or rejects) the declared priority class of the ticket it serves."""
    window = window_by_number(tx, window_no, lock=True)
    authorize_window(tx, actor, window)
    require_status(window, WindowStatus.CALLING, WindowStatus.SERVING)
    ticket = tx.session.get(Ticket, window.current_ticket_id) if window.current_ticket_id else None
    if ticket is None or ticket.priority_class is None:
        raise InvalidStateError("该号票没有优先类别。", window=window.number)
    ticket.priority_confirmed = confirmed
    staff = None if window.staff_id is None else tx.session.get(Staff, window.staff_id)
    tx.event(
        "priority_confirmed" if confirmed else "priority_rejected",
        ticket=ticket,
        window=window,
        priority=ticket.priority_class,
        by=None if staff is None else staff.login,
    )
    return WindowOpResult(window=window_state(tx, window), ticket=ticket_status(tx, ticket))


def _resolve(tx: Tx, args: TicketIssueArgs) -> tuple[Matter | None, Service]:
    """The matter and service asked for: shared read-only rows (see lookup.SharedRows), kept for the
    next issues (``Tx.keep``)."""
    if args.matter is None and args.service is None and args.return_for is not None:
        # A return visit from a one-time notice's QR: the first case names the matter and its reads.
        # (With a service or matter chosen, the link is kept as given: the case may be another hall's.)
        first_case = _first_case(tx, args.return_for)
        if first_case.matter_id is None:
            raise BadRequestError("该告知书未关联事项，请选择业务取号。", return_for=args.return_for)
        matter_row = tx.session.get(Matter, first_case.matter_id)
        service = None if matter_row is None else service_by_id(tx, matter_row.service_id)
        if matter_row is None or service is None or not service.active:
            raise RefusedError(code=ErrorCode.UNKNOWN_SERVICE, return_for=args.return_for)
        return matter_row, service
    if args.matter is None:
        assert args.service is not None  # the args model requires service, matter or return_for
        code = args.service
        return None, tx.keep(("service", code), lambda: active_service(tx, code))
    matter_code = args.matter
    matter = tx.keep(("matter", matter_code), lambda: newest_published_matter(tx, matter_code))
    service = service_by_id(tx, matter.service_id)
    if service is None or not service.active:
        raise RefusedError(code=ErrorCode.UNKNOWN_SERVICE, matter=args.matter)
    if args.service is not None and args.service != service.code:
        raise BadRequestError("事项与业务不一致。", matter=args.matter, service=args.service)
    return matter, service


def _first_case(tx: Tx, case_number: str) -> Case:
    case = tx.session.exec(
        select(Case).where(Case.hall_id == tx.hall_id, Case.case_number == case_number)
    ).first()
    if case is None:
        raise NotFoundError("未找到该告知书对应的办件，请到导办台咨询。", return_for=case_number)
    return case


def _check_hours(tx: Tx, service: Service) -> None:
    schedule = service_hours(service, tx.hall)
    if schedule is None:
        return
    verdict = issue_verdict(schedule, tx.calendar, tx.now_local)
    if not verdict.ok:
        assert verdict.code is not None
        next_open = None if verdict.next_open is None else verdict.next_open.timestamp()
        raise RefusedError(code=ErrorCode(verdict.code.value), service=service.code, next_open=next_open)


def _draw_number(tx: Tx, service_id: int) -> tuple[int, bool]:
    """The next number of the service today, and whether the counter row was bumped for it.

    In a batch (``tx.deferred`` set) the first issue of a queue bumps the counter, which locks its
    row until commit; the next ones count on from the memo and the counter is set once more with
    the deferred writes (nobody else can number in between: the row is ours).
    """
    last = tx.memo.get(("seq", service_id, tx.today))
    if last is None or tx.deferred is None:
        return next_ticket_seq(tx.session, tx.hall_id, service_id, tx.today), True
    return int(last) + 1, False


def _numbered(tx: Tx, service_id: int, seq: int, bumped: bool) -> None:
    """The ticket numbered ``seq`` is in: the memo counts on from it."""
    tx.memo[("seq", service_id, tx.today)] = seq
    if not bumped:
        keys = {"b_hall_id": tx.hall_id, "b_service_id": service_id, "b_day": tx.today}
        tx.defer(_SET_COUNTER, {**keys, "b_value": seq}, key=(service_id, tx.today))


def _refuse(code: RefusalCode | None) -> None:
    if code is not None:
        raise RefusedError(code=ErrorCode(code.value))


def _tickets_for_id(tx: Tx, service: Service, id_hash: str) -> int:
    params = {"service_id": service.id, "day": tx.today, "id_hash": id_hash}
    return int(_TICKETS_FOR_ID.scalar(tx.conn, params))


def _priority(tx: Tx, args: TicketIssueArgs) -> PriorityGrant | None:
    """The elderly class from the ID's birth date at the hall's age, else the class declared; only
    classes the hall's policies grant (``[policies]``)."""
    granted = hall_policy(tx).priority_classes
    grant = auto_grant(args.birth_date, tx.today, tx.hall.priority_age)
    if grant is not None and grant.priority_class in granted:
        return grant
    if args.priority is None:
        return None
    try:
        declared = PriorityClass(args.priority)
    except ValueError:
        raise BadRequestError("未知的优先类别。", field="priority", value=args.priority) from None
    # Age is read from the ID card, never declared; anything else is confirmed at the window.
    basis = PriorityBasis.DECLARED
    if declared is PriorityClass.ELDERLY:
        raise BadRequestError("老年人优先须刷身份证自动认定。", field="priority")
    if declared not in granted:
        raise BadRequestError(f"本厅未设{declared.label_zh}优先。", field="priority", value=args.priority)
    return PriorityGrant(declared, basis)


def _lane(special: bool, grant: PriorityGrant | None) -> str:
    if special:
        return LANE_SPECIAL
    if grant is None:
        return LANE_NORMAL
    return LANE_MILITARY if grant.priority_class is PriorityClass.MILITARY else LANE_PRIORITY


def _material_lines(tx: Tx, matter: Matter, checked: list[str]) -> list[MaterialLine]:
    conn, params = tx.conn, {"matter_id": matter.id}
    rows = tx.keep(("materials", matter.id), lambda: _MATERIALS.rows(conn, params))
    return [
        MaterialLine(code=code, name=name, required=required, checked=code in checked, note=note)
        for code, name, required, note in rows
    ]


# Statements of the hot path, built once.
_T: Table = SQLModel.metadata.tables[Ticket.__tablename__]
_M: Table = SQLModel.metadata.tables[Material.__tablename__]
_C: Table = SQLModel.metadata.tables[TicketCounter.__tablename__]
_INSERT_TICKET = Prepared(sa.insert(_T).returning(_T.c.id))
_INSERT_TICKET_ROW = Prepared(sa.insert(_T), rank=-1)  # with its id; before the events naming it
# (Bound parameter names must differ from the column names in an UPDATE.)
_SET_COUNTER = Prepared(
    sa.update(_C)
    .where(
        _C.c.hall_id == sa.bindparam("b_hall_id"),
        _C.c.service_id == sa.bindparam("b_service_id"),
        _C.c.day == sa.bindparam("b_day"),
    )
    .values(value=sa.bindparam("b_value"))
)
_TICKETS_FOR_ID = Prepared(
    sa.select(sa.func.count()).where(
        _T.c.service_id == sa.bindparam("service_id"),
        _T.c.service_day == sa.bindparam("day"),
        _T.c.id_hash == sa.bindparam("id_hash"),
        _T.c.parent_ticket_id.is_(None),
    )
)
_MATERIALS = Prepared(
    sa.select(_M.c.code, _M.c.name, _M.c.required, _M.c.note)
    .where(_M.c.matter_id == sa.bindparam("matter_id"))
    .order_by(_M.c.position, _M.c.id)
)
