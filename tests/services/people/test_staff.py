"""People: password sign-in tokens, window sign-in refused without a valid qualification at a
licensing window, shifts recorded, the rotation flag after two years at one window."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlmodel import Session, col, select

from harness.factories import PASSWORD, SHANGHAI, HallFixture
from queue_server.errors import InvalidStateError, NotAuthorizedError, RefusedError
from queue_server.protocol.messages import ErrorCode, WindowStatus
from queue_server.services.people.security import BadTokenError
from queue_server.store.tables import WindowShift


def _hours(shift: WindowShift) -> float:
    """How long a finished shift lasted."""
    assert shift.ended_at is not None, shift
    return (shift.ended_at - shift.started_at).total_seconds() / 3600


def test_password_sign_in_gives_a_signed_token(hall: HallFixture) -> None:
    result = hall.services.authenticate(hall.code, "zhang", PASSWORD)
    claims = hall.services.verify_token(result.access_token)
    assert (claims.hall, claims.sub, claims.role) == (hall.code, "zhang", "staff")
    assert result.staff.qualification_valid
    with pytest.raises(NotAuthorizedError):
        hall.services.authenticate(hall.code, "zhang", "wrong")
    with pytest.raises(NotAuthorizedError):
        hall.services.authenticate(hall.code, "nobody", PASSWORD)
    body, sig = result.access_token.split(".")
    with pytest.raises(BadTokenError):
        hall.services.verify_token(body + "." + sig[::-1])
    hall.clock.advance(hours=13)  # past the 12 h lifetime
    with pytest.raises(BadTokenError):
        hall.services.verify_token(result.access_token)


def test_licensing_window_refuses_staff_without_a_valid_qualification(hall: HallFixture) -> None:
    for login in ("li", "wang"):  # none on file; expired in 2020
        with pytest.raises(RefusedError) as refused:
            hall.services.sign_in(hall.code, "2", actor=hall.staff(login))
        assert refused.value.code is ErrorCode.NOT_ELIGIBLE
    assert hall.services.sign_in(hall.code, "1", actor=hall.staff("li")).window.staff == "李*"
    signed = hall.services.sign_in(hall.code, "2", actor=hall.staff("zhang"))
    assert (signed.window.window, signed.staff.window, signed.rotation_due) == ("2", "2", False)
    with pytest.raises(InvalidStateError):  # one person per window
        hall.services.sign_in(hall.code, "2", actor=hall.staff("zhao"))


def test_shifts_are_recorded_and_moving_signs_out_of_the_old_window(hall: HallFixture) -> None:
    hall.services.sign_in(hall.code, "1", actor=hall.staff("zhang"))
    hall.services.open_window(hall.code, "1", actor=hall.staff("zhang"))
    hall.clock.advance(hours=2)
    moved = hall.services.sign_in(hall.code, "4", actor=hall.staff("zhang"))
    assert moved.staff.window == "4"
    assert hall.services.window_state(hall.code, "1").status is WindowStatus.CLOSED
    hall.clock.advance(hours=1)
    hall.services.sign_out(hall.code, actor=hall.staff("zhang"))
    with pytest.raises(InvalidStateError):
        hall.services.sign_out(hall.code, actor=hall.staff("zhang"))
    with Session(hall.engine) as s:
        shifts = s.exec(
            select(WindowShift).where(WindowShift.hall_id == hall.hall_id).order_by(col(WindowShift.id))
        ).all()
    spans = [_hours(shift) for shift in shifts]
    assert spans == [2.0, 1.0]


def test_rotation_is_flagged_after_two_years_at_the_same_window(hall: HallFixture) -> None:
    zhang = hall.staff("zhang")
    hall.clock.set(datetime(2023, 3, 13, 9, 0, tzinfo=SHANGHAI))
    hall.services.sign_in(hall.code, "1", actor=zhang)
    hall.services.sign_out(hall.code, actor=zhang)
    hall.clock.set(datetime(2025, 3, 12, 9, 0, tzinfo=SHANGHAI))  # one day short of two years
    first = hall.services.sign_in(hall.code, "1", actor=zhang)
    assert (first.rotation_due, first.days_at_window) == (False, 730)
    hall.services.sign_out(hall.code, actor=zhang)
    hall.clock.set(datetime(2025, 3, 13, 9, 0, tzinfo=SHANGHAI))
    assert hall.services.sign_in(hall.code, "1", actor=zhang).rotation_due is True
    hall.services.sign_out(hall.code, actor=zhang)
    # A shift at another window starts a new stint.
    hall.services.sign_in(hall.code, "4", actor=zhang)
    hall.services.sign_out(hall.code, actor=zhang)
    assert hall.services.sign_in(hall.code, "1", actor=zhang).rotation_due is False


def test_signing_out_with_a_citizen_at_the_window_is_refused(hall: HallFixture) -> None:
    hall.issue("A")
    actor = hall.open_window("1", "zhang")
    hall.services.call_next(hall.code, "1", actor=actor, request_id=hall.rid())
    with pytest.raises(InvalidStateError):
        hall.services.sign_out(hall.code, actor=actor)
