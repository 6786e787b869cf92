"""Voiding a ticket before it is called: by the guide desk (with a reason) or by the citizen on the
ticket page ("I cannot wait"). A called or served ticket is the window's business, not voided here."""

from __future__ import annotations

from queue_server.errors import InvalidStateError
from queue_server.protocol.messages import TicketState
from queue_server.services.engine.lookup import ticket_by_token
from queue_server.services.engine.tx import Tx
from queue_server.services.views import citizen
from queue_server.services.views.models import CitizenView
from queue_server.store.tables import Ticket

VOIDABLE = frozenset({TicketState.WAITING.value, TicketState.HELD.value})
CITIZEN_REASON = "市民自行取消（无法等候）"
CITIZEN_REFUSED = "您的号票已叫号或已办理，不能取消；如需帮助请到窗口或导办台。"


def lock(tx: Tx, ticket: Ticket) -> Ticket:
    """The row locked and read again: a window may have called it since it was read (PostgreSQL)."""
    tx.session.refresh(ticket, with_for_update=True)
    return ticket


def void_waiting(
    tx: Tx, ticket: Ticket, *, reason: str, staff_id: int | None, source: str, refused: str
) -> None:
    """The ticket leaves the queue for good (``void``): counted as voided, never called. ``refused``:
    the words when it is no longer waiting or held."""
    if lock(tx, ticket).state not in VOIDABLE:
        raise InvalidStateError(refused, ticket=ticket.number, state=ticket.state)
    ticket.state = TicketState.VOID.value
    # Its end, as for a no-show: statistics read how long it was in the hall from it.
    ticket.finished_at = tx.now
    tx.event("void", ticket=ticket, staff_id=staff_id, number=ticket.number, reason=reason, source=source)
    tx.changes.hall_changed = True


def cancel_by_citizen(tx: Tx, token: str) -> CitizenView:
    """The citizen gives up their own waiting ticket. Idempotent: cancelled already, the page as is."""
    ticket_by_token(tx, token, lock=True)  # one cancel at a time per visit
    current = lock(tx, citizen.chain(tx, token)[-1])
    if current.state != TicketState.VOID.value:
        void_waiting(
            tx, current, reason=CITIZEN_REASON, staff_id=None, source="citizen", refused=CITIZEN_REFUSED
        )
    return citizen.view(tx, token)
