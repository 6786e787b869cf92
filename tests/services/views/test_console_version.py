"""The version of the console's picture: the database's latest event id when the picture was read. It
grows with every change (each appends an event in its transaction) and stays put without one, so the
console can drop a picture older than the one it shows. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

from sqlalchemy import func, select

from queue_server.services.casework.models import CaseRequest
from queue_server.store.tables import Event
from tests.services.helpers import DeskHall


def _latest_event(dh: DeskHall) -> int:
    with dh.hall.engine.connect() as conn:
        return int(conn.execute(select(func.max(Event.id))).scalar_one() or 0)


def test_the_version_is_the_latest_event_and_grows_with_every_change(dh: DeskHall) -> None:
    zhang = dh.open("1", "zhang")
    services = dh.hall.services

    def version() -> int:
        return dh.services.console(dh.code, "1", actor=zhang).version

    seen = [version()]
    assert seen[0] == _latest_event(dh) > 0
    assert version() == seen[0]  # reading changes nothing

    changes: list[Callable[[], object]] = [
        lambda: dh.issue("A", matter="A01"),
        lambda: dh.call("1", "zhang"),
        lambda: services.recall(dh.code, "1", actor=zhang, request_id=dh.hall.rid()),
        lambda: services.start(dh.code, "1", actor=zhang, request_id=dh.hall.rid()),
        lambda: dh.finish("1", "zhang", CaseRequest(case_type="promised")),
        lambda: services.pause(dh.code, "1", "培训", actor=zhang, request_id=dh.hall.rid()),
        lambda: services.resume(dh.code, "1", actor=zhang, request_id=dh.hall.rid()),
    ]
    for change in changes:
        change()
        seen.append(version())
        assert seen[-1] == _latest_event(dh)
    assert all(a < b for a, b in pairwise(seen)), seen
    view = dh.services.console(dh.code, "1", actor=zhang)
    assert view.window.status.value == "idle" and view.recent_cases  # the picture of the last version


def test_a_change_at_another_window_is_a_newer_picture_too(dh: DeskHall) -> None:
    zhang = dh.open("1", "zhang")
    before = dh.services.console(dh.code, "1", actor=zhang)
    dh.issue("A")  # what the queue on the left shows
    dh.open("3", "zhao")
    after = dh.services.console(dh.code, "1", actor=zhang)
    assert after.version > before.version
    assert [s.waiting for s in after.services if s.code == "A"] == [1]
