"""The citizen page's own acts and details (SQLite and PostgreSQL): "I cannot wait" voids the waiting
ticket, once, audited, idempotent; a called ticket is the window's; the materials to bring, the
one-time notice and the appointment the citizen came for."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlmodel import Session, select

from harness.factories import SHANGHAI
from queue_server.errors import InvalidStateError
from queue_server.protocol.messages import AppointmentCheckinArgs
from queue_server.services.casework.models import CaseRequest
from queue_server.store.tables import Event, Ticket
from tests.services.helpers import DeskHall, citizen_token


def _void_events(dh: DeskHall) -> list[Event]:
    with Session(dh.hall.engine) as s:
        return list(s.exec(select(Event).where(Event.hall_id == dh.hall.hall_id, Event.kind == "void")))


def test_i_cannot_wait_voids_my_ticket_once(dh: DeskHall) -> None:
    ticket = dh.issue("A", matter="A01")
    behind = dh.issue("A")
    token = citizen_token(ticket)
    assert dh.services.citizen(token).can_cancel
    view = dh.services.citizen_cancel(token, request_id=dh.hall.rid())
    assert view.state == "void" and not view.can_cancel and "作废" in view.message
    again = dh.services.citizen_cancel(token, request_id=dh.hall.rid())  # a second tap: nothing more
    assert again == view
    [event] = _void_events(dh)
    assert event.staff_id is None and event.data["source"] == "citizen"
    with Session(dh.hall.engine) as s:
        row = s.exec(select(Ticket).where(Ticket.public_id == ticket.ticket_id)).one()
    assert row.state == "void" and row.finished_at is not None
    # The queue moves on without it.
    called = dh.serve("1", "zhang")
    assert called.ticket is not None and called.ticket.number == behind.number


def test_a_called_ticket_cannot_be_cancelled_from_the_page(dh: DeskHall) -> None:
    ticket = dh.issue("A")
    dh.serve("1", "zhang")
    token = citizen_token(ticket)
    assert not dh.services.citizen(token).can_cancel
    with pytest.raises(InvalidStateError):
        dh.services.citizen_cancel(token, request_id=dh.hall.rid())
    assert _void_events(dh) == []


def test_the_page_shows_materials_the_notice_and_the_appointment(dh: DeskHall) -> None:
    ticket = dh.issue("A", matter="A01", materials=["A01-M1"])
    token = citizen_token(ticket)
    view = dh.services.citizen(token)
    assert [(m.name, m.checked) for m in view.materials] == [
        ("居民户口簿", True),
        ("居民身份证", False),
        ("准予迁入证明", False),
    ]
    assert view.notice_url is None and view.appointment is None
    dh.serve("1", "zhang")
    case = dh.finish("1", "zhang", CaseRequest(case_type="supplement", missing_materials=["A01-M2"])).case
    assert dh.services.citizen(token).notice_url == f"/t/{token}/documents/{case.documents[0].id}"

    dh.clock.set(datetime(2025, 3, 12, 10, 0, tzinfo=SHANGHAI))
    start, end = datetime(2025, 3, 12, 10, 30, tzinfo=SHANGHAI), datetime(2025, 3, 12, 11, 0, tzinfo=SHANGHAI)
    booking = dh.services.book_appointment(dh.code, "A", start, end)
    came = dh.services.checkin_appointment(
        dh.code, AppointmentCheckinArgs(code=booking.code), request_id=dh.hall.rid(), device_id="kiosk-1"
    )
    appointment = dh.services.citizen(citizen_token(came)).appointment
    assert appointment is not None and appointment.code == booking.code
    assert (appointment.slot_start, appointment.slot_end) == (start.timestamp(), end.timestamp())
