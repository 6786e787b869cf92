"""Issue limits: the daily cap of a service and the per-ID limit (anti-scalping).

Each check returns None when the ticket may be issued, or the refusal code to send the kiosk. The counts
come from the store inside the issuing transaction.
"""

from __future__ import annotations

from queue_server.domain.refusals import RefusalCode


def check_daily_cap(issued_today: int, cap: int | None) -> RefusalCode | None:
    """Refuse once `cap` tickets of the service were issued today; None = no cap."""
    if cap is not None and issued_today >= cap:
        return RefusalCode.DAILY_CAP_REACHED
    return None


def check_id_limit(tickets_for_id_today: int, limit: int | None) -> RefusalCode | None:
    """Refuse once one ID holds `limit` tickets of the service today; None = no limit."""
    if limit is not None and tickets_for_id_today >= limit:
        return RefusalCode.ID_DAILY_LIMIT
    return None


def first_refusal(*verdicts: RefusalCode | None) -> RefusalCode | None:
    """The first refusal among several checks, in the order given (None when all pass)."""
    return next((verdict for verdict in verdicts if verdict is not None), None)
