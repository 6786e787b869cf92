"""Supervision (电子监察) for managers: the hall's alerts, their acknowledgement with a note, and the
status of every device. The same open alerts are retained on MQTT ``…/alerts`` and pushed on the live
channel as event ``alerts``.

Reading (alerts, device status) is open to the hall's managers and to those of a hall above it
(``HallViewer``). Acknowledging stays with the hall's own managers (``HallSupervisor``): the note says
what was done on the floor, the audit names a person of the hall, and a city or county manager who
acknowledged a township's alert would silence its badge for the people who must act on it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from queue_server.api.deps import HallDep, HallSupervisor, HallViewer, RequestId, ServicesDep
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.services.supervision.models import (
    AcknowledgeRequest,
    AlertList,
    AlertsWanted,
    AlertView,
    DeviceStatusList,
)

router = APIRouter(prefix="/api/halls/{hall}", tags=["supervision"], responses=PROBLEM_RESPONSES)


@router.get("/alerts", response_model=AlertList, summary="supervision alerts (open, or all)")
def alerts(
    hall: HallDep,
    staff: HallViewer,
    services: ServicesDep,
    state: Annotated[
        AlertsWanted, Query(description="open: not yet resolved; all: with the resolved")
    ] = "open",
) -> AlertList:
    return services.alerts(hall, state)


@router.post("/alerts/{alert}/acknowledge", response_model=AlertView, summary="acknowledge with a note")
def acknowledge(
    hall: HallDep,
    alert: int,
    body: AcknowledgeRequest,
    staff: HallSupervisor,
    services: ServicesDep,
    key: RequestId,
) -> AlertView:
    return services.acknowledge_alert(hall, alert, body.note, actor=staff.actor, request_id=key)


@router.get("/devices/status", response_model=DeviceStatusList, summary="every device: online, paper, boots")
def device_status(hall: HallDep, staff: HallViewer, services: ServicesDep) -> DeviceStatusList:
    return services.device_statuses(hall)
