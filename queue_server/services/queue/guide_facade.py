"""The facade's guide-desk use cases (``guide.py``) and the citizen's own cancel (``voiding.py``)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from queue_server.documents.ticket_slip import render_slip
from queue_server.services.engine.base import FacadePart
from queue_server.services.ports import Actor
from queue_server.services.queue import guide, voiding
from queue_server.services.queue.guide_models import (
    EnquiryAck,
    EnquiryRequest,
    GuideIssueRequest,
    GuideSlip,
    GuideTicket,
    GuideTicketView,
    MatterHit,
)
from queue_server.services.usecases import UseCase
from queue_server.services.views import citizen
from queue_server.services.views.models import CitizenView
from queue_server.store.engine import reader


class GuideUseCases(FacadePart):
    def guide_matters(self, hall: str, query: str, *, actor: Actor) -> list[MatterHit]:
        return self._read(hall, lambda tx: guide.search_matters(tx, query, actor))

    def guide_issue(
        self, hall: str, request: GuideIssueRequest, *, actor: Actor, request_id: str | None = None
    ) -> GuideTicket:
        return self._write(
            hall,
            UseCase.GUIDE_ISSUE,
            lambda tx: guide.issue(tx, request, actor),
            GuideTicket,
            actor,
            request_id,
        )

    def guide_lookup(
        self, hall: str, query: str, day: date | None = None, *, actor: Actor
    ) -> list[GuideTicketView]:
        return self._read(hall, lambda tx: guide.lookup(tx, query, day, actor))

    def guide_void(
        self, hall: str, ticket_id: str, reason: str, *, actor: Actor, request_id: str | None = None
    ) -> GuideTicketView:
        return self._write(
            hall,
            UseCase.GUIDE_VOID,
            lambda tx: guide.void(tx, ticket_id, reason, actor),
            GuideTicketView,
            actor,
            request_id,
        )

    def guide_reprint(
        self, hall: str, ticket_id: str, *, actor: Actor, request_id: str | None = None
    ) -> GuideSlip:
        return self._write(
            hall,
            UseCase.GUIDE_REPRINT,
            lambda tx: guide.reprint(tx, ticket_id, actor),
            GuideSlip,
            actor,
            request_id,
        )

    def guide_slip(self, hall: str, ticket_id: str, *, actor: Actor) -> str:
        """The reprinted ticket as a printable page (HTML)."""
        return self._read(hall, lambda tx: render_slip(guide.slip_ticket(tx, ticket_id, actor)))

    def guide_enquiry(
        self, hall: str, request: EnquiryRequest, *, actor: Actor, request_id: str | None = None
    ) -> EnquiryAck:
        return self._write(
            hall,
            UseCase.GUIDE_ENQUIRY,
            lambda tx: guide.record_enquiry(tx, request, actor),
            EnquiryAck,
            actor,
            request_id,
        )

    def citizen_cancel(self, token: str, *, request_id: str | None = None) -> CitizenView:
        """ "I cannot wait": the citizen voids their own waiting ticket from the ticket page."""
        days = self.runner.settings.citizen_token_days
        with Session(reader(self.engine)) as session:
            hall = citizen.hall_of_token(session, token, self.clock(), days)
        return self._write(
            hall,
            UseCase.CITIZEN_CANCEL,
            lambda tx: voiding.cancel_by_citizen(tx, token),
            CitizenView,
            None,
            request_id,
        )
