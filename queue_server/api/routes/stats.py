"""Statistics for managers: reports over any range of days up to a year, heatmaps, staff evaluation,
rotation and qualification lists. Reports download as xlsx or CSV with ``format``. Reports, heatmaps
and evaluations run in the statistics worker process (``services/views/stats_worker.py``) when the
database can be opened from another process. Every route here reads: a manager of the hall or of a
hall above it (``HallViewer``, ``services/people/scope.py``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from enum import StrEnum
from functools import partial
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from queue_server.api.deps import HallDep, HallViewer, ServicesDep
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.services import Services
from queue_server.services.engine.access import require_supervisor
from queue_server.services.engine.tx import Tx
from queue_server.services.ports import Actor
from queue_server.services.views import stats
from queue_server.services.views.models import Evaluation, Heatmap, Qualifications, Rotation, StatsResult
from queue_server.services.views.stats_worker import worker_for
from queue_server.stats.export import table, to_csv, to_xlsx, with_subtotals

router = APIRouter(prefix="/api/halls/{hall}", tags=["statistics"], responses=PROBLEM_RESPONSES)

DateFrom = Annotated[date, Query(description="first service day, hall-local")]
DateTo = Annotated[date, Query(description="last service day, inclusive (at most a year after date_from)")]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Format(StrEnum):
    JSON = "json"
    XLSX = "xlsx"
    CSV = "csv"


class Group(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    HOUR = "hour"
    WEEKDAY = "weekday"
    SERVICE = "service"
    WINDOW = "window"
    STAFF = "staff"
    DEPARTMENT = "department"
    CHANNEL = "channel"
    PRIORITY = "priority"
    HALL = "hall"


class HeatmapMeasure(StrEnum):
    ARRIVALS = "arrivals"
    WAIT_MEAN = "wait_mean"


_DOWNLOADS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {XLSX: {}, "text/csv": {}},
        "description": "the report; with format=xlsx or csv, a download of the same rows and total",
    }
}


T = TypeVar("T")


def _report(
    services: Services, hall: str, actor: Actor, fn: Callable[[Tx], T], in_process: Callable[[], T]
) -> T:
    """A report in the statistics worker process (``views/stats_worker.py``: a lower priority, off the
    server's interpreter lock), or in this process where no worker can open the database."""
    require_supervisor(actor)
    worker = worker_for(services.settings, services.engine)
    if worker is None:
        return in_process()
    return worker.run(hall, services.clock(), services.settings, fn)


def _json_from_worker(
    services: Services, hall: str, actor: Actor, fn: Callable[[Tx], BaseModel]
) -> Response | None:
    """A JSON report as the worker's own JSON bytes (None: no worker, run it here): the server neither
    unpickles its models nor encodes them again, off its interpreter lock (``views/stats_worker.py``)."""
    require_supervisor(actor)
    worker = worker_for(services.settings, services.engine)
    if worker is None:
        return None
    return Response(
        worker.run_json(hall, services.clock(), services.settings, fn), media_type="application/json"
    )


def _download(
    name: str, fmt: Format, rows: Sequence[Mapping[str, Any]], total: dict[str, Any] | None
) -> Response:
    header, body = table(rows, total)
    if fmt is Format.CSV:
        content, media = to_csv(header, body), "text/csv; charset=utf-8"
    else:
        content, media = to_xlsx(name, header, body), XLSX
    filename = f"{name}.{fmt.value}"
    return Response(
        content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.get("/stats", response_model=StatsResult, responses=_DOWNLOADS, summary="statistics grouped one way")
def statistics(
    hall: HallDep,
    staff: HallViewer,  # a manager of this hall or of a hall above it (services/people/scope.py)
    services: ServicesDep,
    date_from: DateFrom,
    date_to: DateTo,
    group: Annotated[Group, Query(description="how the rows are grouped")] = Group.SERVICE,
    format: Annotated[Format, Query(description="json, or a download")] = Format.JSON,
) -> StatsResult | Response:
    fn = partial(stats.statistics, date_from=date_from, date_to=date_to, group=group.value, actor=staff.actor)
    if format is Format.JSON and (answer := _json_from_worker(services, hall, staff.actor, fn)) is not None:
        return answer
    result = _report(
        services,
        hall,
        staff.actor,
        fn,
        lambda: services.statistics(hall, date_from, date_to, group.value, actor=staff.actor),
    )
    if format is Format.JSON:
        return result
    rows = with_subtotals(
        [row.model_dump() for row in result.rows], [s.model_dump() for s in result.subtotals]
    )
    name = f"stats-{hall}-{group.value}-{date_from}-{date_to}"
    return _download(name, format, rows, result.total.model_dump())


@router.get("/stats/heatmap", response_model=Heatmap, summary="arrivals or mean wait per weekday and hour")
def heatmap(
    hall: HallDep,
    staff: HallViewer,
    services: ServicesDep,
    date_from: DateFrom,
    date_to: DateTo,
    measure: Annotated[HeatmapMeasure, Query()] = HeatmapMeasure.ARRIVALS,
) -> Heatmap | Response:
    fn = partial(stats.heatmap, date_from=date_from, date_to=date_to, measure=measure.value)
    if (answer := _json_from_worker(services, hall, staff.actor, fn)) is not None:
        return answer
    return _report(
        services,
        hall,
        staff.actor,
        fn,
        lambda: services.stats_heatmap(hall, date_from, date_to, measure.value, actor=staff.actor),
    )


@router.get(
    "/stats/evaluation", response_model=Evaluation, responses=_DOWNLOADS, summary="staff evaluation (考核)"
)
def evaluation(
    hall: HallDep,
    staff: HallViewer,
    services: ServicesDep,
    date_from: DateFrom,
    date_to: DateTo,
    format: Annotated[Format, Query(description="json, or a download")] = Format.JSON,
) -> Evaluation | Response:
    fn = partial(stats.evaluation, date_from=date_from, date_to=date_to)
    if format is Format.JSON and (answer := _json_from_worker(services, hall, staff.actor, fn)) is not None:
        return answer
    result = _report(
        services,
        hall,
        staff.actor,
        fn,
        lambda: services.staff_evaluation(hall, date_from, date_to, actor=staff.actor),
    )
    if format is Format.JSON:
        return result
    rows = [row.model_dump() for row in result.rows]
    return _download(f"evaluation-{hall}-{date_from}-{date_to}", format, rows, None)


@router.get(
    "/stats/rotation", response_model=Rotation, summary="staff two years or more at one window (轮岗)"
)
def rotation(hall: HallDep, staff: HallViewer, services: ServicesDep) -> Rotation:
    return services.rotation_list(hall, actor=staff.actor)


@router.get("/stats/qualifications", response_model=Qualifications, summary="qualifications and their expiry")
def qualifications(hall: HallDep, staff: HallViewer, services: ServicesDep) -> Qualifications:
    return services.qualification_list(hall, actor=staff.actor)
