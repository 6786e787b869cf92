from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from queue_server.protocol.codec import MAX_PAYLOAD_BYTES, ProtocolError, decode, encode, request_id_of
from queue_server.protocol.messages import (
    CallEvent,
    CallKind,
    DeviceStatus,
    ErrorCode,
    HallState,
    MaterialLine,
    Op,
    Request,
    Response,
    ResultReply,
    TicketIssueArgs,
    TicketResult,
    WindowBrief,
    WindowStatus,
    parse_args,
)


def test_call_event_round_trip_keeps_chinese_unescaped() -> None:
    call = CallEvent(
        seq=1201,
        kind=CallKind.CALL,
        ticket="A012",
        window="5",
        window_name="5号窗口",
        say="请A012号到5号窗口办理",
        ts=1.5,
    )
    wire = encode(call)
    assert "请A012号到5号窗口办理".encode() in wire
    assert decode(CallEvent, wire) == call


def test_hall_state_round_trip() -> None:
    state = HallState(
        seq=3,
        open=True,
        extended=False,
        windows={"5": WindowBrief(status=WindowStatus.SERVING, ticket="A012", staff="张*")},
        waiting={"A": 12},
        eta_min={"A": 18},
        notice="请保管好随身物品",
    )
    assert decode(HallState, encode(state)) == state


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (b"not json", "not UTF-8 JSON"),
        (b"\xff\xfe", "not UTF-8 JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"op": "ticket.issue"}', "id"),
        (b'{"id": "", "op": "x"}', "id"),
        (b'{"id": "r1", "op": 5}', "op"),
    ],
)
def test_decode_refuses_malformed_requests(payload: bytes, why: str) -> None:
    with pytest.raises(ProtocolError, match=why):
        decode(Request, payload)


def test_decode_refuses_deep_nesting_with_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="nested"):
        decode(Request, b"[" * 30_000 + b"]" * 30_000)


def test_decode_refuses_oversize() -> None:
    big = json.dumps({"id": "r", "op": "x", "args": {"pad": "x" * MAX_PAYLOAD_BYTES}}).encode()
    with pytest.raises(ProtocolError, match="exceeds"):
        decode(Request, big)


def test_parse_args_types_each_op() -> None:
    op, args = parse_args(
        Request(id="r", op="ticket.issue", args={"service": "A", "birth_date": "1950-02-03"})
    )
    assert op is Op.TICKET_ISSUE
    assert isinstance(args, TicketIssueArgs)
    assert args.birth_date == date(1950, 2, 3)
    _, back = parse_args(Request(id="r", op="ticket.issue", args={"return_for": "GY-20261125-0007"}))
    assert isinstance(back, TicketIssueArgs)
    assert back.return_for == "GY-20261125-0007"


@pytest.mark.parametrize(
    "request_",
    [
        Request(id="r", op="ticket.fly", args={}),
        Request(id="r", op="ticket.issue", args={}),
        Request(id="r", op="ticket.issue", args={"service": "A", "colour": "red"}),
        Request(id="r", op="calls.since", args={"seq": "many"}),
        Request(id="r", op="calls.since", args={"seq": -1}),
        Request(id="r", op="window.pause", args={}),
        Request(id="r", op="appointment.checkin", args={}),
    ],
)
def test_parse_args_refuses_unknown_ops_and_bad_args(request_: Request) -> None:
    with pytest.raises(ProtocolError):
        parse_args(request_)


def test_failure_reply_carries_code_and_chinese_message() -> None:
    resp = Response.failure("r1", ErrorCode.CUTOFF_PASSED)
    assert resp.ok is False
    assert resp.error is not None
    assert resp.error.code == "cutoff_passed"
    assert "停止取号" in resp.error.message
    assert decode(Response, encode(resp)) == resp


def test_result_reply_has_the_wire_form_of_a_success_response() -> None:
    ticket = TicketResult(
        ticket_id="t-1",
        number="A001",
        service="A",
        service_name="综合受理",
        hall_name="政务服务中心",
        issued_at=1.5,
        people_ahead=3,
        eta_min=None,
        citizen_url="http://127.0.0.1/t/t-1",
        materials=[MaterialLine(code="id", name="身份证", checked=True)],
    )
    rid = 'k-1-"7"\n'
    wire = encode(ResultReply(id=rid, result=ticket))
    assert wire == encode(Response.success(rid, ticket))
    assert decode(Response, wire) == Response.success(rid, ticket)


_texts = st.text(st.characters(codec="utf-8"), max_size=8)  # no lone surrogates: no UTF-8 form
_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _texts
)
_json_values = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_texts, inner, max_size=3),
    max_leaves=8,
)


def _as_python(model: type[BaseModel], raw: object) -> BaseModel | None:
    try:
        return model.model_validate(raw)
    except ValidationError:
        return None


def _as_decoded(model: type[BaseModel], raw: object) -> BaseModel | None:
    try:
        return decode(model, json.dumps(raw, ensure_ascii=False).encode())
    except ProtocolError:
        return None


_requests = st.fixed_dictionaries(
    {"id": _texts | _json_values, "op": st.sampled_from(["ticket.issue", "calls.since"]) | _json_values},
    optional={
        "args": st.dictionaries(_texts, _json_values, max_size=3) | _json_values,
        "ts": st.floats(allow_nan=False) | _json_values,
        "newer_field": _json_values,
    },
)
_statuses = st.fixed_dictionaries(
    {
        "state": st.sampled_from(["online", "offline"]) | _json_values,
        "boot": st.integers(-1, 2**40) | _json_values,
    },
    optional={
        "kind": _texts | _json_values,
        "health": st.dictionaries(_texts, _texts, max_size=3) | _json_values,
        "ts": st.floats(allow_nan=False, allow_infinity=False) | _json_values,
    },
)


@given(request=_requests, status=_statuses)
def test_decode_reads_the_bytes_as_json_loads_then_validate_would(
    request: dict[str, object], status: dict[str, object]
) -> None:
    # decode() lets pydantic parse the JSON itself; what it accepts, and as what, must not change.
    assert _as_decoded(Request, request) == _as_python(Request, request)
    assert _as_decoded(DeviceStatus, status) == _as_python(DeviceStatus, status)


def test_request_id_of_finds_the_id_of_a_bad_request_only_when_sane() -> None:
    assert request_id_of(b'{"id": "k-1-2", "op": 7}') == "k-1-2"
    assert request_id_of(b'{"id": 7}') is None
    assert request_id_of(b"garbage") is None
    assert request_id_of(b'{"id": "' + b"x" * 500 + b'"}') is None


@given(old=st.integers(0, 1000), new=st.integers(0, 1000))
def test_a_stale_last_will_never_wins(old: int, new: int) -> None:
    online = DeviceStatus(state="online", boot=new)
    will = DeviceStatus(state="offline", boot=old)
    if old < new:
        assert not will.supersedes(online)
    if old > new:
        assert will.supersedes(online)
