"""People: signing in and out at a window (shifts, the windows the hall file allows), the rotation flag.
Passwords and tokens: ``accounts.py`` and ``signin.py``."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import col, select

from queue_server.errors import InvalidStateError, NotAuthorizedError, RefusedError
from queue_server.protocol.messages import ErrorCode, WindowStatus
from queue_server.services.engine.lookup import staff_by_login, window_by_number
from queue_server.services.engine.tx import Tx, pk
from queue_server.services.people.models import SignInResult, StaffInfo
from queue_server.services.ports import Actor, Role
from queue_server.services.views.snapshots import window_state
from queue_server.store.tables import Pause, Staff, Window, WindowShift
from queue_server.store.tables.accounts import StaffAccount

# docs/design/DOMAIN.md: staff at the same window for 2 years or more are flagged for rotation (轮岗).
ROTATION_YEARS = 2
_BUSY = (WindowStatus.CALLING.value, WindowStatus.SERVING.value)


def info(tx: Tx, staff: Staff) -> StaffInfo:
    window = tx.session.exec(select(Window.number).where(Window.staff_id == staff.id)).first()
    return StaffInfo(
        login=staff.login,
        name=staff.name,
        role=staff.role,
        window=window,
        qualification_no=staff.qualification_no,
        qualification_valid=qualified(staff, tx.today),
        must_change_password=account(tx, staff).must_change_password,
    )


def account(tx: Tx, staff: Staff, *, lock: bool = False) -> StaffAccount:
    """The person's account row; a person without one has the defaults (the row is added when
    ``lock``: the caller is about to change it)."""
    row = tx.session.get(StaffAccount, pk(staff), with_for_update=lock)
    if row is None:
        row = StaffAccount(staff_id=pk(staff), hall_id=tx.hall_id)
        if lock:
            tx.session.add(row)
    return row


def qualified(staff: Staff, today: date) -> bool:
    """A law enforcement qualification on file and not expired (licensing windows require one)."""
    return (
        bool(staff.qualification_no)
        and staff.qualification_expires is not None
        and (staff.qualification_expires >= today)
    )


def sign_in(tx: Tx, window_no: str, actor: Actor) -> SignInResult:
    staff = staff_by_login(tx, actor.id)
    if staff.role == Role.GUIDE.value:  # the guide desk serves no window (engine/access.py GUIDE_DESK)
        raise NotAuthorizedError("导办台工作人员不在窗口签到。", window=window_no)
    window = window_by_number(tx, window_no, lock=True)
    allowed = account(tx, staff).windows  # the hall file's staff.windows; none listed: any window
    if allowed and window.number not in allowed:
        raise NotAuthorizedError("您未被安排在该窗口，不能在此签到。", window=window.number, allowed=allowed)
    if staff.department_id is not None and window.department_id != staff.department_id:
        # Staff are bound to their department (the hall file's staff.department; none: any window).
        raise NotAuthorizedError("该窗口不属于您所在的部门，不能在此签到。", window=window.number)
    if window.staff_id is not None and window.staff_id != staff.id:
        raise InvalidStateError("该窗口已有工作人员签到。", window=window.number)
    if window.licensing and not qualified(staff, tx.today):
        raise RefusedError(
            "该窗口办理许可事项，须持有效执法资格证方可签到。",
            code=ErrorCode.NOT_ELIGIBLE,
            window=window.number,
        )
    for other in tx.session.exec(select(Window).where(Window.staff_id == staff.id, Window.id != window.id)):
        _leave(tx, other, staff)
    if window.staff_id is None:
        window.staff_id = staff.id
        tx.session.add(
            WindowShift(hall_id=tx.hall_id, staff_id=pk(staff), window_id=pk(window), started_at=tx.now)
        )
        tx.session.flush()
    since = stint_start(tx, staff, window)
    due = rotation_due(since.astimezone(tx.zone).date(), tx.today)
    tx.event("sign_in", window=window, staff_id=staff.id, rotation_due=due)
    tx.changes.touch(window)
    return SignInResult(
        window=window_state(tx, window),
        staff=info(tx, staff),
        rotation_due=due,
        days_at_window=(tx.today - since.astimezone(tx.zone).date()).days,
    )


def sign_out(tx: Tx, actor: Actor) -> StaffInfo:
    staff = staff_by_login(tx, actor.id)
    windows = tx.session.exec(select(Window).where(Window.staff_id == staff.id).with_for_update()).all()
    if not windows:
        raise InvalidStateError("您当前未在任何窗口签到。")
    for window in windows:
        _leave(tx, window, staff)
    return info(tx, staff)


def stint_start(tx: Tx, staff: Staff, window: Window) -> datetime:
    """When the person's unbroken run of shifts at this window began (no shift elsewhere since)."""
    shifts = tx.session.exec(
        select(WindowShift)
        .where(WindowShift.staff_id == staff.id)
        .order_by(col(WindowShift.started_at).desc())
    ).all()
    start = tx.now
    for shift in shifts:
        if shift.window_id != window.id:
            break
        start = shift.started_at
    return start


def rotation_due(since: date, today: date) -> bool:
    try:
        due = since.replace(year=since.year + ROTATION_YEARS)
    except ValueError:  # 29 February
        due = date(since.year + ROTATION_YEARS, 3, 1)
    return today >= due


def _leave(tx: Tx, window: Window, staff: Staff) -> None:
    if window.status in _BUSY:
        raise InvalidStateError("请先办结或转移当前号票再签退。", window=window.number, status=window.status)
    shift = tx.session.exec(
        select(WindowShift).where(
            WindowShift.staff_id == staff.id,
            WindowShift.window_id == window.id,
            col(WindowShift.ended_at).is_(None),
        )
    ).first()
    if shift is not None:
        shift.ended_at = tx.now
    if window.pause_id is not None:
        pause = tx.session.get(Pause, window.pause_id)
        if pause is not None:
            pause.ended_at = tx.now
        window.pause_id = None
    window.staff_id = None
    window.status = WindowStatus.CLOSED.value
    window.status_since = tx.now
    tx.event("sign_out", window=window, staff_id=staff.id)
    tx.changes.touch(window)
