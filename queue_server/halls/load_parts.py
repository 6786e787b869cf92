"""The loader's writes for the hall-file sections ``loader.load_sections`` does not take alone: the
``[hall]`` table, the departments, the appointment capacities and the devices (the administrators'
pages, ``services/admin/parts.py``). The same ``_Loader`` methods as a whole load, so an edit stores
exactly what ``hallq hall load`` would; kept out of ``loader.py`` (a module under 500 lines).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from queue_server.store import tables as t

from .load_base import LoadReport
from .loader import _Loader
from .schema import HallFile

PARTS_LOADED_ALONE = frozenset({"hall", "departments", "appointment_slots", "devices"})
"""The sections ``load_parts`` writes on their own."""


class _PartsLoader(_Loader):
    def run_parts(self, sections: frozenset[str]) -> LoadReport:
        if "hall" in sections:
            hall = self._hall()  # its hours and policies too, as the file (the database's own) says them
        else:
            hall = self.s.exec(select(t.Hall).where(t.Hall.code == self.f.hall.code)).one()
        assert hall.id is not None
        self.report.hall_id = hall.id
        self._known_ids(hall.id)
        if "departments" in sections:
            self._departments(hall.id)
        if "appointment_slots" in sections:
            self._services(hall.id)  # a service's own capacity column (a half-day's, the smaller)
            self._booking(hall.id)  # the capacity per morning, afternoon and rest-day session
        if "devices" in sections:
            self._devices(hall.id)
        self.s.flush()
        return self.report


def load_parts(
    session: Session, hall_file: HallFile, sections: frozenset[str], *, now: datetime
) -> LoadReport:
    """Upsert only what ``sections`` (of ``PARTS_LOADED_ALONE``) of the validated ``hall_file`` say, in
    the caller's transaction (it only flushes). A department that left the file is not removed (the
    administrators' pages refuse that edit); a device that left it is (``loader._devices``)."""
    unknown = sections - PARTS_LOADED_ALONE
    if unknown:
        raise ValueError(f"sections not loaded alone: {sorted(unknown)}")
    return _PartsLoader(session, hall_file, now, allow_dev=False).run_parts(sections)
