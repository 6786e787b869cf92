"""The facade's reads for screens and pages: hall snapshots, device configs, the console, the citizen page,
statistics."""

from __future__ import annotations

import time
from datetime import date
from typing import TypeVar

from pydantic import BaseModel
from sqlmodel import Session, col, select

from queue_server.documents import load_content, render_a4
from queue_server.protocol.messages import (
    CallsSinceResult,
    DeviceConfig,
    HallState,
    WindowState,
)
from queue_server.services.casework.models import (
    RatingAck,
)
from queue_server.services.engine.access import require_supervisor
from queue_server.services.engine.base import FacadePart
from queue_server.services.engine.lookup import window_by_number
from queue_server.services.engine.tx import Tx
from queue_server.services.people import devices
from queue_server.services.people.throttle import LoginThrottle
from queue_server.services.ports import Actor
from queue_server.services.queue import calls
from queue_server.services.usecases import UseCase
from queue_server.services.views import catalog, citizen, console, device_config, snapshots, stats
from queue_server.services.views.hall_info import HallInfoView, hall_info
from queue_server.services.views.models import (
    CitizenView,
    ConsoleView,
    Evaluation,
    Heatmap,
    Qualifications,
    Rotation,
    StatsResult,
)
from queue_server.services.views.overview import Overview, overview
from queue_server.store.engine import reader
from queue_server.store.tables import Window

R = TypeVar("R", bound=BaseModel)
T = TypeVar("T")


# The catalogue etag in every hall state is recomputed at most this often (it reads every matter).
ETAG_TTL_S = 10.0


class ViewUseCases(FacadePart):
    _etags: dict[str, tuple[float, str]]  # per hall: (when computed, the catalogue etag)
    _rating_throttle: LoginThrottle  # the citizen page's rating attempts, per token and per address

    # --- hall snapshots and devices ---------------------------------------------------------------

    def calls_since(self, hall: str, seq: int, limit: int) -> CallsSinceResult:
        return self._read(hall, lambda tx: calls.calls_since(tx.session, tx.hall_id, seq, limit))

    def hall_state(self, hall: str) -> HallState:
        return self._read(hall, lambda tx: snapshots.hall_state(tx, self._etag(tx)))

    def hall_info(self, hall: str) -> HallInfoView:
        return self._read(hall, hall_info)

    def window_states(self, hall: str) -> list[WindowState]:
        def read(tx: Tx) -> list[WindowState]:
            rows = tx.session.exec(
                select(Window).where(Window.hall_id == tx.hall_id).order_by(col(Window.id))
            )
            return [snapshots.window_state(tx, w) for w in rows]

        return self._read(hall, read)

    def window_state(self, hall: str, window: str) -> WindowState:
        return self._read(hall, lambda tx: snapshots.window_state(tx, window_by_number(tx, window)))

    def console(self, hall: str, window: str, *, actor: Actor) -> ConsoleView:
        return self._read(hall, lambda tx: console.console(tx, window, actor))

    def device_window(self, hall: str, device_id: str) -> str | None:
        return self._read(hall, lambda tx: devices.device_window(tx.conn, tx.hall_id, device_id))

    def device_configs(self, hall: str) -> dict[str, DeviceConfig]:
        """Every device's retained config (``dev/{id}/config``); see ``views/device_config.py``.

        A read; only a content never seen before is written (its new version), so the bridge may ask
        after every reconnect and on a timer at no cost to the ticket traffic.
        """
        configs, complete = self._read(hall, device_config.versioned)
        if complete:
            return configs
        model = device_config.DeviceConfigs
        return self._write(hall, UseCase.VERSION_DEVICE_CONFIGS, device_config.assign, model).root

    # --- the citizen page: the ticket's token is the key ------------------------------------------

    def citizen_hall(self, token: str) -> str:
        with Session(reader(self.engine)) as session:
            days = self.runner.settings.citizen_token_days
            return citizen.hall_of_token(session, token, self.clock(), days)

    def citizen(self, token: str) -> CitizenView:
        return self._read(self.citizen_hall(token), lambda tx: citizen.view(tx, token))

    def citizen_live(self, token: str) -> tuple[CitizenView, frozenset[str]]:
        """The view and the public ids of the visit's tickets (whose calls concern this page)."""
        return self._read(
            self.citizen_hall(token), lambda tx: (citizen.view(tx, token), citizen.public_ids(tx, token))
        )

    def citizen_rate(
        self, token: str, score: int, *, request_id: str | None = None, address: str | None = None
    ) -> RatingAck:
        citizen.count_rating_attempt(self._rating_throttle, token, address, self.clock().timestamp())
        hall = self.citizen_hall(token)
        ack = self._write(
            hall,
            UseCase.CITIZEN_RATING,
            lambda tx: citizen.rate(tx, token, score),
            RatingAck,
            request_id=request_id,
        )
        if ack.bad:
            self.hub.notify(hall, "rectification", {"opened": True})
        return ack

    def citizen_document(self, token: str, document_id: int) -> str:
        def page(tx: Tx) -> str:
            return render_a4(load_content(citizen.document_page_row(tx, token, document_id).content))

        return self._read(self.citizen_hall(token), page)

    # --- statistics (read from the rollups: queue_server/stats/) -----------------------------------

    def statistics(
        self, hall: str, date_from: date, date_to: date, group: str = "service", *, actor: Actor
    ) -> StatsResult:
        require_supervisor(actor)
        return self._read(hall, lambda tx: stats.statistics(tx, date_from, date_to, group, actor))

    def stats_heatmap(
        self, hall: str, date_from: date, date_to: date, measure: str, *, actor: Actor
    ) -> Heatmap:
        require_supervisor(actor)
        return self._read(hall, lambda tx: stats.heatmap(tx, date_from, date_to, measure))

    def staff_evaluation(self, hall: str, date_from: date, date_to: date, *, actor: Actor) -> Evaluation:
        require_supervisor(actor)
        return self._read(hall, lambda tx: stats.evaluation(tx, date_from, date_to))

    def rotation_list(self, hall: str, *, actor: Actor) -> Rotation:
        require_supervisor(actor)
        return self._read(hall, stats.rotation)

    def qualification_list(self, hall: str, *, actor: Actor) -> Qualifications:
        require_supervisor(actor)
        return self._read(hall, stats.qualifications)

    def hall_overview(self, hall: str, *, actor: Actor) -> Overview:
        """The managers' live overview: windows, waiting per service, today's totals, devices."""
        require_supervisor(actor)
        return self._read(hall, overview)

    def _etag(self, tx: Tx) -> str:
        cached = self._etags.get(tx.hall.code)
        now = time.monotonic()
        if cached is not None and now - cached[0] < ETAG_TTL_S:
            return cached[1]
        etag = catalog.catalog(tx, None).etag
        self._etags[tx.hall.code] = (now, etag)
        return etag
