"""Window actions: one route each, for integrators and the counter console alike. Staff act only at the
window they are signed in at (the services refuse anything else with 403); supervisors at any window.

With ``?view=console`` an action answers with a ``ConsoleReply`` (``api/replies.py``): what the
counter console shows after it.
"""

from __future__ import annotations

from fastapi import APIRouter

from queue_server.api.deps import HallDep, HallStaff, RequestId, ServicesDep
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.api.replies import FinishReply, WindowAnswer, WindowReply
from queue_server.api.schemas import CallBody, CallTicketRequest, FinishBody, PriorityRequest, RatingRequest
from queue_server.protocol.messages import RatingEvent, WindowPauseArgs
from queue_server.services.casework.models import CaseRequest
from queue_server.services.engine.models import Ack
from queue_server.services.people.models import SignInResult, StaffInfo
from queue_server.services.queue.models import CallNumberRequest, TransferRequest

router = APIRouter(prefix="/api/halls/{hall}", tags=["windows"], responses=PROBLEM_RESPONSES)
W = "/windows/{window}"


@router.post(W + "/sign-in", response_model=SignInResult, summary="sign in at a window (shift starts)")
def sign_in(
    hall: HallDep, window: str, staff: HallStaff, services: ServicesDep, key: RequestId
) -> SignInResult:
    return services.sign_in(hall, window, actor=staff.actor, request_id=key)


@router.post("/sign-out", response_model=StaffInfo, summary="sign out of your window (shift ends)")
def sign_out(hall: HallDep, staff: HallStaff, services: ServicesDep, key: RequestId) -> StaffInfo:
    return services.sign_out(hall, actor=staff.actor, request_id=key)


@router.post(W + "/open", response_model=WindowReply, summary="open the window")
def open_window(
    hall: HallDep, window: str, staff: HallStaff, services: ServicesDep, key: RequestId, answer: WindowAnswer
) -> WindowReply:
    return answer.op(services.open_window(hall, window, actor=staff.actor, request_id=key))


@router.post(W + "/close", response_model=WindowReply, summary="close the window")
def close_window(
    hall: HallDep, window: str, staff: HallStaff, services: ServicesDep, key: RequestId, answer: WindowAnswer
) -> WindowReply:
    return answer.op(services.close_window(hall, window, actor=staff.actor, request_id=key))


@router.post(W + "/next", response_model=WindowReply, summary="call the next ticket")
def call_next(
    hall: HallDep, window: str, staff: HallStaff, services: ServicesDep, key: RequestId, answer: WindowAnswer
) -> WindowReply:
    return answer.op(services.call_next(hall, window, actor=staff.actor, request_id=key))


@router.post(
    W + "/call",
    response_model=WindowReply,
    summary="call a ticket out of order, by id or number (reason audited)",
)
def call_ticket(
    hall: HallDep,
    window: str,
    body: CallBody,
    staff: HallStaff,
    services: ServicesDep,
    key: RequestId,
    answer: WindowAnswer,
) -> WindowReply:
    ticket_id = body.ticket_id if isinstance(body, CallTicketRequest) else None
    number = body.number if isinstance(body, CallNumberRequest) else None
    return answer.op(
        services.call_ticket(
            hall, window, body.reason, ticket_id=ticket_id, number=number, actor=staff.actor, request_id=key
        )
    )


@router.post(W + "/recall", response_model=WindowReply, summary="call the current ticket again")
def recall(
    hall: HallDep, window: str, staff: HallStaff, services: ServicesDep, key: RequestId, answer: WindowAnswer
) -> WindowReply:
    return answer.op(services.recall(hall, window, actor=staff.actor, request_id=key))


@router.post(W + "/start", response_model=WindowReply, summary="the citizen arrived: start serving")
def start(
    hall: HallDep, window: str, staff: HallStaff, services: ServicesDep, key: RequestId, answer: WindowAnswer
) -> WindowReply:
    return answer.op(services.start(hall, window, actor=staff.actor, request_id=key))


@router.post(
    W + "/finish",
    response_model=FinishReply,
    summary="finish the visit: with its outcome (case type) alone, or as a whole case (七件) with documents",
)
def finish(
    hall: HallDep,
    window: str,
    body: FinishBody,
    staff: HallStaff,
    services: ServicesDep,
    key: RequestId,
    answer: WindowAnswer,
) -> FinishReply:
    if isinstance(body, CaseRequest):
        return answer.finished(services.finish_case(hall, window, body, actor=staff.actor, request_id=key))
    return answer.op(services.finish(hall, window, body.outcome, actor=staff.actor, request_id=key))


@router.post(W + "/no-show", response_model=WindowReply, summary="the called citizen did not come")
def no_show(
    hall: HallDep, window: str, staff: HallStaff, services: ServicesDep, key: RequestId, answer: WindowAnswer
) -> WindowReply:
    return answer.op(services.no_show(hall, window, actor=staff.actor, request_id=key))


@router.post(
    W + "/transfer",
    response_model=WindowReply,
    summary="transfer the visit to a service, a window or a person (keeps the number)",
)
def transfer(
    hall: HallDep,
    window: str,
    body: TransferRequest,
    staff: HallStaff,
    services: ServicesDep,
    key: RequestId,
    answer: WindowAnswer,
) -> WindowReply:
    return answer.op(services.transfer(hall, window, body, actor=staff.actor, request_id=key))


@router.post(W + "/pause", response_model=WindowReply, summary="pause the window, with a reason")
def pause(
    hall: HallDep,
    window: str,
    body: WindowPauseArgs,
    staff: HallStaff,
    services: ServicesDep,
    key: RequestId,
    answer: WindowAnswer,
) -> WindowReply:
    return answer.op(services.pause(hall, window, body.reason, actor=staff.actor, request_id=key))


@router.post(W + "/resume", response_model=WindowReply, summary="end the pause")
def resume(
    hall: HallDep, window: str, staff: HallStaff, services: ServicesDep, key: RequestId, answer: WindowAnswer
) -> WindowReply:
    return answer.op(services.resume(hall, window, actor=staff.actor, request_id=key))


@router.post(W + "/priority", response_model=WindowReply, summary="confirm or reject a declared priority")
def confirm_priority(
    hall: HallDep,
    window: str,
    body: PriorityRequest,
    staff: HallStaff,
    services: ServicesDep,
    key: RequestId,
    answer: WindowAnswer,
) -> WindowReply:
    return answer.op(
        services.confirm_priority(hall, window, body.confirmed, actor=staff.actor, request_id=key)
    )


@router.post(W + "/rating", response_model=Ack, summary="record the citizen's rating of the last visit")
def rating(hall: HallDep, window: str, body: RatingRequest, staff: HallStaff, services: ServicesDep) -> Ack:
    # The rating's own id is its idempotency key, as a rating pad's event id is over MQTT.
    event = RatingEvent(id=body.id, score=body.score, visit=body.visit)
    return services.rate_visit(hall, window, event, actor=staff.actor)
