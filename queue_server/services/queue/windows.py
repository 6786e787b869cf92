"""A window's day: open, pause/resume, close; and the ticket at it: start, finish, no-show.

Window states (``WindowStatus``): closed -> idle (open); idle -> calling (calls) -> serving (start)
-> idle (finish); calling -> idle (no-show); idle <-> paused; idle/paused -> closed. Anything else is
an InvalidStateError naming the allowed states.
"""

from __future__ import annotations

from queue_server.domain.cases import outcome_from_code
from queue_server.domain.schedule import extended_minutes, last_closing
from queue_server.errors import BadRequestError, InvalidStateError, RefusedError
from queue_server.protocol.messages import TicketState, WindowOpResult, WindowStatus
from queue_server.services.casework.delegation import require_delegated
from queue_server.services.casework.opening import open_case
from queue_server.services.engine.access import authorize_window, require_status
from queue_server.services.engine.lookup import window_by_number
from queue_server.services.engine.rules import hall_schedule
from queue_server.services.engine.tx import Tx, pk
from queue_server.services.ports import Actor
from queue_server.services.queue.calls import current_ticket
from queue_server.services.views.snapshots import ticket_status, window_state
from queue_server.store.tables import Pause, Window

NO_SHOW_VOID = "void"
NO_SHOW_REQUEUE = "requeue"


def _window(tx: Tx, window_no: str, actor: Actor, *allowed: WindowStatus) -> Window:
    window = window_by_number(tx, window_no, lock=True)
    authorize_window(tx, actor, window)
    require_status(window, *allowed)
    return window


def _set_status(tx: Tx, window: Window, status: WindowStatus) -> None:
    window.status = status.value
    window.status_since = tx.now
    tx.changes.touch(window)


def start(tx: Tx, window_no: str, actor: Actor) -> WindowOpResult:
    window = _window(tx, window_no, actor, WindowStatus.CALLING)
    ticket = current_ticket(tx, window)
    ticket.state = TicketState.SERVING.value
    ticket.started_at = tx.now
    _set_status(tx, window, WindowStatus.SERVING)
    tx.event("start", ticket=ticket, window=window, number=ticket.number)
    return WindowOpResult(window=window_state(tx, window), ticket=ticket_status(tx, ticket))


def finish(tx: Tx, window_no: str, outcome: str | None, actor: Actor) -> WindowOpResult:
    """Close the visit; an outcome (a case type code) opens the case and numbers it."""
    case_type = None
    if outcome is not None:
        try:
            case_type = outcome_from_code(outcome)
        except ValueError as exc:
            raise BadRequestError("未知的办结类型。", field="outcome", reason=str(exc)) from None
    window = _window(tx, window_no, actor, WindowStatus.SERVING)
    if case_type is not None:
        require_delegated(tx, window, case_type, actor)  # 充分授权 (policies)
    ticket = current_ticket(tx, window)
    ticket.state = TicketState.DONE.value
    ticket.finished_at = tx.now
    ticket.outcome = outcome
    if case_type is not None:
        ticket.case_number = open_case(tx, ticket, case_type).case_number
    window.current_ticket_id = None
    _set_status(tx, window, WindowStatus.IDLE)
    handling = None if ticket.started_at is None else (tx.now - ticket.started_at).total_seconds()
    tx.event(
        "finish",
        ticket=ticket,
        window=window,
        number=ticket.number,
        outcome=outcome,
        case_number=ticket.case_number,
        handling_s=handling,
    )
    return WindowOpResult(window=window_state(tx, window), ticket=ticket_status(tx, ticket))


def no_show(tx: Tx, window_no: str, actor: Actor) -> WindowOpResult:
    """The called citizen did not come. Hall policy: void the ticket, or put it back in the queue
    (behind those waiting now) up to ``no_show_requeue_limit`` times; after ``no_show_min_recalls``
    recalls at the earliest."""
    window = _window(tx, window_no, actor, WindowStatus.CALLING)
    ticket = current_ticket(tx, window)
    hall = tx.hall
    if ticket.recall_count < hall.no_show_min_recalls:
        raise InvalidStateError(
            f"请先重呼{hall.no_show_min_recalls}次再标记过号。",
            recalls=ticket.recall_count,
            required=hall.no_show_min_recalls,
        )
    ticket.no_show_count += 1
    requeue = hall.no_show_policy == NO_SHOW_REQUEUE and ticket.no_show_count <= hall.no_show_requeue_limit
    if requeue:
        ticket.state = TicketState.WAITING.value
        ticket.queued_at = tx.now
        ticket.recall_count = 0
        ticket.window_id = None
        ticket.staff_id = None
    else:
        ticket.state = TicketState.NO_SHOW.value
        ticket.finished_at = tx.now
    window.current_ticket_id = None
    _set_status(tx, window, WindowStatus.IDLE)
    tx.event(
        "no_show",
        ticket=ticket,
        window=window,
        number=ticket.number,
        requeued=requeue,
        no_show_count=ticket.no_show_count,
    )
    return WindowOpResult(window=window_state(tx, window), ticket=ticket_status(tx, ticket))


def open_window(tx: Tx, window_no: str, actor: Actor) -> WindowOpResult:
    window = _window(tx, window_no, actor, WindowStatus.CLOSED)
    if not tx.calendar.is_working_day(tx.today) and not window.weekend:
        raise RefusedError("该窗口双休日及节假日不开放。", window=window.number)
    window.consecutive_priority_calls = 0
    _set_status(tx, window, WindowStatus.IDLE)
    tx.event("window_open", window=window)
    return WindowOpResult(window=window_state(tx, window))


def close_window(tx: Tx, window_no: str, actor: Actor) -> WindowOpResult:
    """Close; past the hall's closing time the minutes worked late are recorded (延时服务)."""
    window = _window(tx, window_no, actor, WindowStatus.IDLE, WindowStatus.PAUSED)
    _end_pause(tx, window)
    overtime = None
    schedule = hall_schedule(tx.hall)
    if schedule is not None:
        closing = last_closing(schedule, tx.calendar, tx.today, tx.zone)
        if closing is not None:
            overtime = extended_minutes(closing, tx.now_local)
    _set_status(tx, window, WindowStatus.CLOSED)
    tx.event("window_close", window=window, extended_minutes=overtime)
    return WindowOpResult(window=window_state(tx, window))


def pause(tx: Tx, window_no: str, reason: str, actor: Actor) -> WindowOpResult:
    if not reason.strip():
        raise BadRequestError("暂停须填写原因。", field="reason")
    window = _window(tx, window_no, actor, WindowStatus.IDLE)
    row = Pause(
        hall_id=tx.hall_id,
        window_id=pk(window),
        staff_id=window.staff_id,
        reason=reason.strip(),
        started_at=tx.now,
    )
    tx.session.add(row)
    tx.session.flush()
    window.pause_id = row.id
    _set_status(tx, window, WindowStatus.PAUSED)
    tx.event("pause", window=window, reason=row.reason)
    return WindowOpResult(window=window_state(tx, window))


def resume(tx: Tx, window_no: str, actor: Actor) -> WindowOpResult:
    window = _window(tx, window_no, actor, WindowStatus.PAUSED)
    seconds = _end_pause(tx, window)
    _set_status(tx, window, WindowStatus.IDLE)
    tx.event("resume_window", window=window, paused_s=seconds)
    return WindowOpResult(window=window_state(tx, window))


def _end_pause(tx: Tx, window: Window) -> float | None:
    if window.pause_id is None:
        return None
    row = tx.session.get(Pause, window.pause_id)
    window.pause_id = None
    if row is None:
        return None
    row.ended_at = tx.now
    return (tx.now - row.started_at).total_seconds()
