"""Window operations: the state machine, no-show policies, transfer, hold, pause, audited calls."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from sqlmodel import Session, col, select

from harness.factories import SHANGHAI, HallFixture
from queue_server.errors import (
    BadRequestError,
    InvalidStateError,
    NotAuthorizedError,
    NotFoundError,
    QueueEmptyError,
    RefusedError,
)
from queue_server.protocol.messages import (
    ErrorCode,
    TicketIssueArgs,
    TicketState,
    TicketStatusResult,
    WindowOpResult,
    WindowStatus,
)
from queue_server.services.ports import Actor, Role
from queue_server.services.queue.models import TransferRequest
from queue_server.store.tables import Case, Event, Pause, Ticket


def _ops(hall: HallFixture, window: str, actor: Actor) -> dict[str, Callable[[], WindowOpResult]]:
    s, code = hall.services, hall.code
    return {
        "next": lambda: s.call_next(code, window, actor=actor, request_id=hall.rid()),
        "recall": lambda: s.recall(code, window, actor=actor, request_id=hall.rid()),
        "start": lambda: s.start(code, window, actor=actor, request_id=hall.rid()),
        "finish": lambda: s.finish(code, window, None, actor=actor, request_id=hall.rid()),
        "no_show": lambda: s.no_show(code, window, actor=actor, request_id=hall.rid()),
        "pause": lambda: s.pause(code, window, "喝水", actor=actor, request_id=hall.rid()),
        "resume": lambda: s.resume(code, window, actor=actor, request_id=hall.rid()),
        "open": lambda: s.open_window(code, window, actor=actor),
        "close": lambda: s.close_window(code, window, actor=actor),
    }


def _called(result: WindowOpResult) -> TicketStatusResult:
    """The ticket a call op acted on (a call always has one)."""
    assert result.ticket is not None, result
    return result.ticket


# status -> the ops that are valid there (every other op must raise InvalidStateError)
VALID = {
    WindowStatus.CLOSED: {"open"},
    WindowStatus.IDLE: {"next", "pause", "close"},
    WindowStatus.CALLING: {"recall", "start", "no_show"},
    WindowStatus.SERVING: {"finish"},
    WindowStatus.PAUSED: {"resume", "close"},
}


def test_window_state_machine_and_invalid_transitions(hall: HallFixture) -> None:
    for _ in range(3):
        hall.issue("A")
    ops = _ops(hall, "1", hall.open_window("1", "zhang"))

    def refuses_all_but(status: WindowStatus) -> None:
        for name, op in ops.items():
            if name not in VALID[status]:
                with pytest.raises(InvalidStateError) as err:
                    op()
                assert err.value.detail["status"] == status.value

    path = [
        ("pause", WindowStatus.PAUSED),
        ("resume", WindowStatus.IDLE),
        ("next", WindowStatus.CALLING),
        ("recall", WindowStatus.CALLING),
        ("start", WindowStatus.SERVING),
        ("finish", WindowStatus.IDLE),
        ("close", WindowStatus.CLOSED),
        ("open", WindowStatus.IDLE),
    ]
    refuses_all_but(WindowStatus.IDLE)
    for name, status in path:
        assert ops[name]().window.status is status
        refuses_all_but(status)
    with Session(hall.engine) as s:
        ticket = s.exec(select(Ticket).where(Ticket.hall_id == hall.hall_id, Ticket.number == "A001")).one()
        pause = s.exec(select(Pause).where(Pause.hall_id == hall.hall_id)).one()
        kinds = list(s.exec(select(Event.kind).where(Event.ticket_id == ticket.id).order_by(col(Event.id))))
    assert (ticket.state, ticket.recall_count, ticket.staff_id is not None) == ("done", 1, True)
    called, started, finished = ticket.first_called_at, ticket.started_at, ticket.finished_at
    assert called is not None and started is not None and finished is not None
    assert ticket.issued_at <= called <= started <= finished
    assert (pause.reason, pause.ended_at is not None) == ("喝水", True)
    assert kinds == ["issue", "call_next", "recall", "start", "finish"]


def test_finish_with_an_outcome_opens_a_numbered_case(hall: HallFixture) -> None:
    hall.issue(None, matter="B01")
    actor = hall.open_window("2", "zhang")
    hall.services.call_next(hall.code, "2", actor=actor, request_id=hall.rid())
    hall.services.start(hall.code, "2", actor=actor, request_id=hall.rid())
    with pytest.raises(BadRequestError):
        hall.services.finish(hall.code, "2", "nonsense", actor=actor, request_id=hall.rid())
    done = hall.services.finish(hall.code, "2", "promised", actor=actor, request_id=hall.rid())
    code = hall.code.upper().replace("-", "")
    assert done.ticket is not None and done.ticket.case_number == f"{code}-20250312-0001"
    with Session(hall.engine) as s:
        case = s.exec(select(Case).where(Case.hall_id == hall.hall_id)).one()
    # 3 working days after Wednesday 12 March 2025: Monday 17 March.
    assert (case.case_type, str(case.deadline)) == ("promised", "2025-03-17")


def test_a_return_visit_needs_only_the_first_case_number(hall: HallFixture) -> None:
    hall.issue(None, matter="B01")
    actor = hall.open_window("2", "zhang")
    hall.services.call_next(hall.code, "2", actor=actor, request_id=hall.rid())
    hall.services.start(hall.code, "2", actor=actor, request_id=hall.rid())
    done = hall.services.finish(hall.code, "2", "supplement", actor=actor, request_id=hall.rid())
    assert done.ticket is not None and done.ticket.case_number is not None
    again = hall.services.issue_ticket(
        hall.code, TicketIssueArgs(return_for=done.ticket.case_number), request_id=hall.rid(), device_id="k1"
    )
    assert (again.matter, again.service) == ("B01", "B")
    with pytest.raises(NotFoundError):
        hall.services.issue_ticket(
            hall.code, TicketIssueArgs(return_for="NOPE-20250312-0009"), request_id=hall.rid(), device_id="k1"
        )


def test_no_show_voids_by_default(hall: HallFixture) -> None:
    ticket = hall.issue("A")
    actor = hall.open_window("1", "zhang")
    hall.services.call_next(hall.code, "1", actor=actor, request_id=hall.rid())
    result = hall.services.no_show(hall.code, "1", actor=actor, request_id=hall.rid())
    assert result.ticket is not None and result.ticket.state is TicketState.NO_SHOW
    assert hall.services.ticket_status(hall.code, ticket.ticket_id).state is TicketState.NO_SHOW


def test_no_show_requeue_policy_after_n_recalls(make_hall: Callable[..., HallFixture]) -> None:
    hall = make_hall(no_show_policy="requeue", no_show_requeue_limit=1, no_show_min_recalls=1)
    first = hall.issue("A")
    hall.clock.advance(minutes=1)
    second = hall.issue("A")
    actor = hall.open_window("1", "zhang")
    ops = _ops(hall, "1", actor)
    assert _called(ops["next"]()).number == first.number
    with pytest.raises(InvalidStateError):
        ops["no_show"]()  # must recall once first
    ops["recall"]()
    hall.clock.advance(minutes=1)
    back = ops["no_show"]()
    assert back.ticket is not None and back.ticket.state is TicketState.WAITING
    # Back in the queue behind those waiting: the second ticket goes first now.
    assert _called(ops["next"]()).number == second.number
    ops["start"]()
    ops["finish"]()
    assert _called(ops["next"]()).number == first.number
    ops["recall"]()
    final = ops["no_show"]()  # the requeue limit (1) is used up: void now
    assert final.ticket is not None and final.ticket.state is TicketState.NO_SHOW


def test_transfer_keeps_the_number_and_records_the_chain(hall: HallFixture) -> None:
    issued = hall.issue("A")
    zhang = hall.open_window("1", "zhang")
    zhao = hall.open_window("4", "zhao")
    hall.services.call_next(hall.code, "1", actor=zhang, request_id=hall.rid())
    with pytest.raises(BadRequestError):
        hall.services.transfer(hall.code, "1", TransferRequest(to_service="B", to_window="4"), actor=zhang)
    moved = hall.services.transfer(
        hall.code, "1", TransferRequest(to_service="B", note="需企业开办"), actor=zhang
    )
    assert moved.window.status is WindowStatus.IDLE
    assert moved.ticket is not None and (moved.ticket.number, moved.ticket.service) == (issued.number, "B")
    # The citizen's token follows the visit.
    status = hall.services.ticket_status(hall.code, issued.ticket_id)
    assert (status.number, status.service, status.state) == (issued.number, "B", TicketState.WAITING)
    called = hall.services.call_next(hall.code, "4", actor=zhao, request_id=hall.rid())
    assert called.ticket is not None and called.ticket.number == issued.number
    hall.services.start(hall.code, "4", actor=zhao, request_id=hall.rid())
    hall.services.transfer(
        hall.code, "4", TransferRequest(to_window="2"), actor=zhao
    )  # to a window: its queue only
    with pytest.raises(QueueEmptyError):  # window 4 serves B too, but the ticket is window 2's now
        hall.services.call_next(hall.code, "4", actor=zhao, request_id=hall.rid())
    with Session(hall.engine) as s:
        same = select(Ticket).where(Ticket.hall_id == hall.hall_id, Ticket.number == issued.number)
        chain = s.exec(same.order_by(col(Ticket.id))).all()
    assert [t.state for t in chain] == ["transferred", "transferred", "waiting"]
    assert chain[1].parent_ticket_id == chain[0].id and chain[2].parent_ticket_id == chain[1].id
    assert chain[2].target_window_id is not None and chain[2].transferred_from_window_id == chain[1].window_id
    hall.services.open_window(hall.code, "2", actor=hall.manager)
    first_at_2 = hall.services.call_next(hall.code, "2", actor=hall.manager, request_id=hall.rid())
    assert first_at_2.ticket is not None and first_at_2.ticket.number == issued.number


def test_hold_and_resume_keep_the_place(hall: HallFixture) -> None:
    first = hall.issue("A")
    second = hall.issue("A")
    held = hall.services.hold_ticket(hall.code, first.ticket_id, actor=hall.manager)
    assert (held.state, held.position) == (TicketState.HELD, None)
    hall.services.open_window(hall.code, "1", actor=hall.manager)
    call = hall.services.call_next(hall.code, "1", actor=hall.manager, request_id=hall.rid())
    assert call.ticket is not None and call.ticket.number == second.number
    # Held at the window: the window is free, and the ticket comes back to this window.
    held_at_window = hall.services.hold_ticket(hall.code, second.ticket_id, actor=hall.manager)
    assert held_at_window.state is TicketState.HELD
    assert hall.services.window_state(hall.code, "1").status is WindowStatus.IDLE
    with pytest.raises(InvalidStateError):
        hall.services.resume_ticket(hall.code, hall.issue("A").ticket_id, actor=hall.manager)
    hall.services.resume_ticket(hall.code, first.ticket_id, actor=hall.manager)
    assert hall.services.ticket_status(hall.code, first.ticket_id).position == 1


def test_calling_a_specific_ticket_needs_a_reason_and_is_audited(hall: HallFixture) -> None:
    hall.issue("A")
    later = hall.issue("C")
    actor = hall.open_window("1", "zhang")
    with pytest.raises(BadRequestError):
        hall.services.call_ticket(hall.code, "1", "  ", ticket_id=later.ticket_id, actor=actor)
    called = hall.services.call_ticket(hall.code, "1", "老人行动不便", ticket_id=later.ticket_id, actor=actor)
    assert called.ticket is not None and called.ticket.number == later.number
    with Session(hall.engine) as s:
        event = s.exec(
            select(Event).where(Event.hall_id == hall.hall_id, Event.kind == "call_specific")
        ).one()
    assert event.data["reason"] == "老人行动不便" and event.data["actor"] == "staff:zhang"


def test_staff_act_only_at_their_own_window(hall: HallFixture) -> None:
    hall.issue("A")
    hall.open_window("1", "zhang")
    hall.open_window("4", "zhao")
    with pytest.raises(NotAuthorizedError):
        hall.services.call_next(hall.code, "1", actor=hall.staff("zhao"), request_id=hall.rid())
    device = Actor(Role.DEVICE, "agent-1", "1")
    assert hall.services.call_next(hall.code, "1", actor=device, request_id=hall.rid()).call is not None
    with pytest.raises(NotAuthorizedError):
        hall.services.recall(hall.code, "4", actor=Actor(Role.DEVICE, "agent-1", "4"), request_id=hall.rid())


def test_weekend_windows_only_on_rest_days(hall: HallFixture) -> None:
    hall.clock.set(datetime(2025, 3, 15, 10, 0, tzinfo=SHANGHAI))  # Saturday
    with pytest.raises(RefusedError):
        hall.services.open_window(hall.code, "1", actor=hall.manager)
    assert hall.services.open_window(hall.code, "4", actor=hall.manager).window.status is WindowStatus.IDLE
    hall.clock.set(datetime(2025, 10, 1, 10, 0, tzinfo=SHANGHAI))  # National Day, a Wednesday
    with pytest.raises(RefusedError):
        hall.services.open_window(hall.code, "3", actor=hall.manager)


def test_after_closing_only_extended_hours_windows_call(make_hall: Callable[..., HallFixture]) -> None:
    week = {str(d): [["09:00", "12:00"], ["13:30", "17:00"]] for d in range(5)}
    hall = make_hall(schedule=week)
    hall.clock.set(datetime(2025, 3, 12, 16, 0, tzinfo=SHANGHAI))  # a Wednesday, before the cut-off
    first, second, third = hall.issue("A"), hall.issue("A"), hall.issue("A")
    ordinary = hall.open_window("1", "zhang")  # window 1: no extended hours
    extended = hall.open_window("4", "zhao")  # window 4: extended_hours = true
    # Before closing any window calls.
    called = hall.services.call_next(hall.code, "1", actor=ordinary, request_id=hall.rid())
    assert called.ticket is not None and called.ticket.number == first.number
    hall.services.start(hall.code, "1", actor=ordinary, request_id=hall.rid())
    hall.clock.set(datetime(2025, 3, 12, 17, 5, tzinfo=SHANGHAI))  # past closing, two still waiting
    # The visit called before closing is still finished at window 1.
    hall.services.finish(hall.code, "1", None, actor=ordinary, request_id=hall.rid())
    with pytest.raises(RefusedError) as refused:
        hall.services.call_next(hall.code, "1", actor=ordinary, request_id=hall.rid())
    assert refused.value.code is ErrorCode.SERVICE_CLOSED
    assert refused.value.detail["window"] == "1"
    with pytest.raises(RefusedError):
        hall.services.call_ticket(
            hall.code, "1", "点名", number=third.number, actor=ordinary, request_id=hall.rid()
        )
    late = hall.services.call_next(hall.code, "4", actor=extended, request_id=hall.rid())
    assert late.ticket is not None and late.ticket.number == second.number
