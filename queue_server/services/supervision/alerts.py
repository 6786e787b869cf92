"""Supervision alerts as use cases: evaluate the rules and keep the stored alerts in step, acknowledge,
list, and the open alerts as the retained MQTT message.

An evaluation compares what the rules find now (``domain.alerts.evaluate`` on the snapshot of
``snapshot.py``) with the unresolved rows: a new key is raised (one row, an ``alert_raised`` event); a
key whose severity changed is re-graded; an unresolved key the rules no longer find is resolved
(``resolved_at``, an ``alert_resolved`` event). The text of an open alert is kept as raised (its
minutes would otherwise change at every tick); a re-grade rewrites it.
"""

from __future__ import annotations

from sqlmodel import col, select

from queue_server.domain import alerts as rules
from queue_server.errors import NotFoundError
from queue_server.protocol.alerts import AlertInfo, AlertSeverity, AlertsState
from queue_server.services.engine.access import require_supervisor
from queue_server.services.engine.lookup import staff_by_login
from queue_server.services.engine.tx import Tx
from queue_server.services.ports import Actor
from queue_server.services.supervision.models import AlertList, AlertsWanted, AlertView, Evaluated
from queue_server.services.supervision.snapshot import read_snapshot, rules_of
from queue_server.store.tables import SupervisionAlert

_SEVERITY = {
    rules.Severity.INFO: AlertSeverity.INFO,
    rules.Severity.WARNING: AlertSeverity.WARNING,
    rules.Severity.CRITICAL: AlertSeverity.CRITICAL,
}


def findings(tx: Tx) -> dict[str, rules.Alert]:
    """What the rules find now, by key (the first of a key is the most severe: ``evaluate`` sorts)."""
    found: dict[str, rules.Alert] = {}
    thresholds = rules_of(tx)
    for alert in rules.evaluate(read_snapshot(tx, thresholds), tx.now, tx.calendar, thresholds):
        found.setdefault(alert.key, alert)
    return found


def _unresolved(tx: Tx, *, lock: bool = False) -> dict[str, SupervisionAlert]:
    query = select(SupervisionAlert).where(
        SupervisionAlert.hall_id == tx.hall_id, col(SupervisionAlert.resolved_at).is_(None)
    )
    if lock:
        query = query.with_for_update()
    return {row.key: row for row in tx.session.exec(query)}


def due(tx: Tx) -> bool:
    """Whether an evaluation would change anything (a read: most ticks change nothing)."""
    found, stored = findings(tx), _unresolved(tx)
    if found.keys() != stored.keys():
        return True
    return any(int(found[key].severity) != row.severity for key, row in stored.items())


def evaluate(tx: Tx) -> Evaluated:
    """Raise, re-grade and resolve the stored alerts to match what the rules find now."""
    found, stored = findings(tx), _unresolved(tx, lock=True)
    result = Evaluated()
    for key, alert in found.items():
        row = stored.get(key)
        if row is None:
            _raise(tx, alert)
            result.raised.append(key)
        elif row.severity != int(alert.severity):
            row.severity, row.detail = int(alert.severity), alert.message_zh
            tx.session.add(row)
            tx.event("alert_regraded", key=key, alert=row.id, severity=_SEVERITY[alert.severity].value)
            result.regraded.append(key)
    for key, row in stored.items():
        if key not in found:
            row.resolved_at = tx.now
            tx.session.add(row)
            tx.event("alert_resolved", key=key, alert=row.id)
            result.resolved.append(key)
    return result


def _raise(tx: Tx, alert: rules.Alert) -> None:
    row = SupervisionAlert(
        hall_id=tx.hall_id,
        kind=alert.kind.value,
        key=alert.key,
        severity=int(alert.severity),
        title=alert.title_zh,
        detail=alert.message_zh,
        window=alert.window,
        service=alert.service,
        device=alert.device,
        raised_at=tx.now,
    )
    tx.session.add(row)
    tx.session.flush()  # its id for the event
    tx.event(
        "alert_raised",
        key=alert.key,
        alert=row.id,
        alert_kind=alert.kind.value,
        severity=_SEVERITY[alert.severity].value,
        device=alert.device,
    )


def acknowledge(tx: Tx, alert_id: int, note: str, actor: Actor) -> AlertView:
    """A manager saw the alert and says what was done; audited. Acknowledging again replaces the note
    (each time recorded); a resolved alert can still be acknowledged after the fact."""
    require_supervisor(actor)
    row = tx.session.exec(
        select(SupervisionAlert)
        .where(SupervisionAlert.hall_id == tx.hall_id, SupervisionAlert.id == alert_id)
        .with_for_update()
    ).first()
    if row is None:
        raise NotFoundError("未找到该告警。", what="alert", alert=alert_id)
    staff = staff_by_login(tx, actor.id)
    row.acknowledged_at, row.acknowledged_by, row.note = tx.now, actor.id, note.strip()
    tx.session.add(row)
    tx.event("alert_acknowledged", staff_id=staff.id, key=row.key, alert=row.id, note=row.note)
    return view(row)


def listing(tx: Tx, wanted: AlertsWanted) -> AlertList:
    """Open alerts (most severe, then oldest first), or every alert of the hall, newest first."""
    query = select(SupervisionAlert).where(SupervisionAlert.hall_id == tx.hall_id)
    if wanted == "open":
        query = query.where(col(SupervisionAlert.resolved_at).is_(None)).order_by(
            col(SupervisionAlert.severity).desc(), col(SupervisionAlert.raised_at), col(SupervisionAlert.id)
        )
    else:
        query = query.order_by(col(SupervisionAlert.raised_at).desc(), col(SupervisionAlert.id).desc())
    return AlertList(alerts=[view(row) for row in tx.session.exec(query)])


def alerts_state(tx: Tx) -> AlertsState:
    """The open alerts as the retained ``…/alerts`` message."""
    return AlertsState(
        alerts=[AlertInfo(**a.model_dump(exclude={"resolved_at"})) for a in listing(tx, "open").alerts],
        ts=tx.now.timestamp(),
    )


def view(row: SupervisionAlert) -> AlertView:
    return AlertView(
        id=row.id or 0,
        kind=row.kind,
        key=row.key,
        severity=_SEVERITY[rules.Severity(row.severity)],
        title=row.title,
        detail=row.detail,
        window=row.window,
        service=row.service,
        device=row.device,
        raised_at=row.raised_at.timestamp(),
        acknowledged_at=None if row.acknowledged_at is None else row.acknowledged_at.timestamp(),
        acknowledged_by=row.acknowledged_by,
        note=row.note,
        resolved_at=None if row.resolved_at is None else row.resolved_at.timestamp(),
    )
