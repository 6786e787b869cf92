"""Window actions for the counter console. Staff act only at the window they are signed in at
(the services refuse anything else with 403); supervisors at any window."""

from __future__ import annotations

from fastapi import APIRouter

from queue_server.api.deps import HallDep, HallStaff, IdempotencyKey, ServicesDep, request_id
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.api.schemas import CallTicketRequest, PriorityRequest, RatingRequest, TransferRequest
from queue_server.protocol.messages import RatingEvent, WindowFinishArgs, WindowOpResult, WindowPauseArgs
from queue_server.services.models import Ack, SignInResult, StaffInfo

router = APIRouter(prefix="/api/halls/{hall}", tags=["windows"], responses=PROBLEM_RESPONSES)
W = "/windows/{window}"


@router.post(W + "/sign-in", response_model=SignInResult, summary="sign in at a window (shift starts)")
def sign_in(
    hall: HallDep, window: str, staff: HallStaff, services: ServicesDep, key: IdempotencyKey = None
) -> SignInResult:
    return services.sign_in(hall, window, actor=staff.actor, request_id=key)


@router.post("/sign-out", response_model=StaffInfo, summary="sign out of your window (shift ends)")
def sign_out(hall: HallDep, staff: HallStaff, services: ServicesDep, key: IdempotencyKey = None) -> StaffInfo:
    return services.sign_out(hall, actor=staff.actor, request_id=key)


@router.post(W + "/open", response_model=WindowOpResult, summary="open the window")
def open_window(
    hall: HallDep, window: str, staff: HallStaff, services: ServicesDep, key: IdempotencyKey = None
) -> WindowOpResult:
    return services.open_window(hall, window, actor=staff.actor, request_id=key)


@router.post(W + "/close", response_model=WindowOpResult, summary="close the window")
def close_window(
    hall: HallDep, window: str, staff: HallStaff, services: ServicesDep, key: IdempotencyKey = None
) -> WindowOpResult:
    return services.close_window(hall, window, actor=staff.actor, request_id=key)


@router.post(W + "/next", response_model=WindowOpResult, summary="call the next ticket")
def call_next(
    hall: HallDep, window: str, staff: HallStaff, services: ServicesDep, key: IdempotencyKey = None
) -> WindowOpResult:
    return services.call_next(hall, window, actor=staff.actor, request_id=request_id(key))


@router.post(W + "/call", response_model=WindowOpResult, summary="call a specific ticket (reason audited)")
def call_ticket(
    hall: HallDep,
    window: str,
    body: CallTicketRequest,
    staff: HallStaff,
    services: ServicesDep,
    key: IdempotencyKey = None,
) -> WindowOpResult:
    return services.call_ticket(hall, window, body.ticket_id, body.reason, actor=staff.actor, request_id=key)


@router.post(W + "/recall", response_model=WindowOpResult, summary="call the current ticket again")
def recall(
    hall: HallDep, window: str, staff: HallStaff, services: ServicesDep, key: IdempotencyKey = None
) -> WindowOpResult:
    return services.recall(hall, window, actor=staff.actor, request_id=request_id(key))


@router.post(W + "/start", response_model=WindowOpResult, summary="the citizen arrived: start serving")
def start(
    hall: HallDep, window: str, staff: HallStaff, services: ServicesDep, key: IdempotencyKey = None
) -> WindowOpResult:
    return services.start(hall, window, actor=staff.actor, request_id=request_id(key))


@router.post(W + "/finish", response_model=WindowOpResult, summary="finish the visit (outcome = case type)")
def finish(
    hall: HallDep,
    window: str,
    body: WindowFinishArgs,
    staff: HallStaff,
    services: ServicesDep,
    key: IdempotencyKey = None,
) -> WindowOpResult:
    return services.finish(hall, window, body.outcome, actor=staff.actor, request_id=request_id(key))


@router.post(W + "/no-show", response_model=WindowOpResult, summary="the called citizen did not come")
def no_show(
    hall: HallDep, window: str, staff: HallStaff, services: ServicesDep, key: IdempotencyKey = None
) -> WindowOpResult:
    return services.no_show(hall, window, actor=staff.actor, request_id=request_id(key))


@router.post(W + "/transfer", response_model=WindowOpResult, summary="transfer the visit (keeps the number)")
def transfer(
    hall: HallDep,
    window: str,
    body: TransferRequest,
    staff: HallStaff,
    services: ServicesDep,
    key: IdempotencyKey = None,
) -> WindowOpResult:
    return services.transfer(
        hall,
        window,
        to_service=body.to_service,
        to_window=body.to_window,
        note=body.note,
        actor=staff.actor,
        request_id=key,
    )


@router.post(W + "/pause", response_model=WindowOpResult, summary="pause the window, with a reason")
def pause(
    hall: HallDep,
    window: str,
    body: WindowPauseArgs,
    staff: HallStaff,
    services: ServicesDep,
    key: IdempotencyKey = None,
) -> WindowOpResult:
    return services.pause(hall, window, body.reason, actor=staff.actor, request_id=request_id(key))


@router.post(W + "/resume", response_model=WindowOpResult, summary="end the pause")
def resume(
    hall: HallDep, window: str, staff: HallStaff, services: ServicesDep, key: IdempotencyKey = None
) -> WindowOpResult:
    return services.resume(hall, window, actor=staff.actor, request_id=request_id(key))


@router.post(W + "/priority", response_model=WindowOpResult, summary="confirm or reject a declared priority")
def confirm_priority(
    hall: HallDep,
    window: str,
    body: PriorityRequest,
    staff: HallStaff,
    services: ServicesDep,
    key: IdempotencyKey = None,
) -> WindowOpResult:
    return services.confirm_priority(hall, window, body.confirmed, actor=staff.actor, request_id=key)


@router.post(W + "/rating", response_model=Ack, summary="record the citizen's rating of the last visit")
def rating(hall: HallDep, window: str, body: RatingRequest, staff: HallStaff, services: ServicesDep) -> Ack:
    event = RatingEvent(id=body.id, score=body.score, visit=body.visit)
    return services.rate_visit(hall, window, event, actor=staff.actor)
