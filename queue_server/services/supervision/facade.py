"""The facade's supervision: alerts (list, acknowledge), device status, and the monitor that
evaluates the rules while the hall runs (``monitor.py``)."""

from __future__ import annotations

from queue_server.protocol.alerts import AlertsState
from queue_server.services.engine.base import FacadePart
from queue_server.services.ports import Actor
from queue_server.services.supervision import alerts, devices
from queue_server.services.supervision.models import AlertList, AlertsWanted, AlertView, DeviceStatusList
from queue_server.services.supervision.monitor import SupervisionMonitor
from queue_server.services.usecases import UseCase


class SupervisionUseCases(FacadePart):
    supervision: SupervisionMonitor  # set by ``Services.__init__``; started by ``hallq server``

    def alerts(self, hall: str, wanted: AlertsWanted = "open") -> AlertList:
        return self._read(hall, lambda tx: alerts.listing(tx, wanted))

    def alerts_state(self, hall: str) -> AlertsState:
        return self._read(hall, alerts.alerts_state)

    def acknowledge_alert(
        self, hall: str, alert_id: int, note: str, *, actor: Actor, request_id: str | None = None
    ) -> AlertView:
        view = self._write(
            hall,
            UseCase.ACKNOWLEDGE_ALERT,
            lambda tx: alerts.acknowledge(tx, alert_id, note, actor),
            AlertView,
            actor,
            request_id,
        )
        self.supervision.publish(hall)
        return view

    def device_statuses(self, hall: str) -> DeviceStatusList:
        return self._read(hall, devices.device_statuses)
