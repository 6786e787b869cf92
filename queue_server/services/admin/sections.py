"""An administrator's edit of one hall-file section, as one use case in one transaction.

The hall is read from the database as hall-file data (``halls.export.export_hall``, the inverse of
the loader), the edited section put in its place, and the whole hall validated by
``halls.validate.validate_data``: the same models and cross-checks as ``hallq hall validate``,
every problem with its path (``services[2].daily_cap``). A valid hall is then written by the
loader's own ``load_sections`` (or ``halls.load_parts``, ``parts.py``: only the edited section, and
what follows from it), in the same transaction as the audit event (``hall_section``: who, when,
which fields from what to what; its id is the section's new version). Nothing of a refused edit is
written; each problem's message is in zh-CN (``halls.messages_zh``), its ``detail`` the English.
After commit the runner announces the hall state (and the windows' states) to displays; the facade
tells the MQTT door to republish the device configs that changed (``facade.py``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sqlmodel import col, select

from queue_server.domain.calendar import calendar_warnings, national_source
from queue_server.errors import BadRequestError, HallqError
from queue_server.halls.booking import Booking
from queue_server.halls.checks import KEYS
from queue_server.halls.errors import HallFileError
from queue_server.halls.export import export_hall
from queue_server.halls.messages_zh import zh
from queue_server.halls.passwords import PasswordError
from queue_server.halls.policies import Policies
from queue_server.halls.schema import HallFile
from queue_server.halls.supervision import Supervision
from queue_server.halls.validate import validate_data
from queue_server.protocol.messages import ErrorCode
from queue_server.services.engine.access import require_admin
from queue_server.services.engine.lookup import staff_by_login
from queue_server.services.engine.rules import hall_calendar
from queue_server.services.engine.tx import Tx, pk
from queue_server.services.ports import Actor
from queue_server.store import tables as t

from . import parts
from .models import CalendarYear, Change, FieldProblem, HistoryEntry, SectionName, SectionSaved, SectionView

EVENT_KIND = "hall_section"
DEFAULTS: dict[SectionName, dict[str, Any]] = {
    SectionName.SUPERVISION: Supervision().model_dump(mode="json"),
    SectionName.BOOKING: Booking().model_dump(mode="json"),
    SectionName.POLICIES: Policies().model_dump(mode="json"),
}
# What else a section's edit changes on the floor: the windows' published states list their services.
TOUCHES_WINDOWS = frozenset(
    {SectionName.SERVICES, SectionName.WINDOWS, SectionName.HOURS, SectionName.DEPARTMENTS}
)
INVALID = "设置有误，请按提示修改后再保存。"


def section_of(data: Mapping[str, Any], section: SectionName) -> list[dict[str, Any]] | dict[str, Any]:
    """The section of the hall data; a table section's keys left out (no row yet) at their defaults."""
    value: Any = data.get(section.value)
    if isinstance(value, list):
        return value
    return {**DEFAULTS.get(section, {}), **(value if isinstance(value, dict) else {})}


def etag_of(value: Any) -> str:
    """A stable digest of a section's content."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def hall_data(tx: Tx) -> dict[str, Any]:
    """The hall as its hall file would say it, read in this transaction."""
    return export_hall(tx.session, tx.hall.code)


def _view(tx: Tx, data: Mapping[str, Any], section: SectionName) -> SectionView:
    value = section_of(data, section)
    warnings = []
    if section is SectionName.HOURS:
        hall = tx.session.get(t.Hall, tx.hall_id)  # as this transaction left it (``tx.hall``: as it began)
        assert hall is not None
        warnings = calendar_warnings(hall_calendar(hall), tx.today)
    return SectionView(section=section, data=value, etag=etag_of(value), warnings=warnings)


def read_section(tx: Tx, section: SectionName, actor: Actor) -> SectionView:
    require_admin(actor)
    return _view(tx, hall_data(tx), section)


def problems(errors: list[HallFileError]) -> list[dict[str, str]]:
    """Validation errors as the API's field problems (``FieldProblem``)."""
    out = []
    for error in errors:
        section = error.path.split("[", 1)[0].split(".", 1)[0]
        problem = FieldProblem(
            path=error.path, section=section, message=zh(error.message), detail=error.message
        )
        out.append(problem.model_dump())
    return out


def validated(data: Mapping[str, Any]) -> HallFile:
    """The hall of ``data`` as ``hallq hall validate`` sees it; BadRequestError with every problem."""
    result = validate_data(data)
    if isinstance(result, list):
        raise BadRequestError(INVALID, errors=problems(result))
    return result


def save_section(
    tx: Tx,
    section: SectionName,
    value: list[dict[str, Any]] | dict[str, Any],
    actor: Actor,
    *,
    etag: str | None = None,
    passwords: Mapping[str, str] | None = None,
) -> SectionSaved:
    """Validate the hall with ``value`` as ``section`` and write it (see the module doc)."""
    require_admin(actor)
    before_all = hall_data(tx)
    before = section_of(before_all, section)
    if etag is not None and etag != etag_of(before):
        raise HallqError("该设置已被他人修改，请刷新后再改。", code=ErrorCode.CONFLICT, section=section.value)
    value = parts.prepared(section, before, value)
    refused = parts.refusals(section, before, value)
    if refused:
        raise BadRequestError(INVALID, errors=refused)
    hall_file = validated({**before_all, section.value: value})
    try:
        parts.load(tx, hall_file, section, passwords)
    except PasswordError as exc:
        raise BadRequestError(INVALID, errors=[_problem(section.value, str(exc))]) from None
    after_all = hall_data(tx)
    changes = diff(section, before, section_of(after_all, section))
    version = None
    if changes:
        version = _audit(tx, section, changes, actor)
        tx.changes.hall_changed = True
        if section in TOUCHES_WINDOWS:
            ids = tx.session.exec(select(t.Window.id).where(t.Window.hall_id == tx.hall_id)).all()
            tx.changes.windows.update(i for i in ids if i is not None)
    return SectionSaved(view=_view(tx, after_all, section), changes=changes, version=version)


def _problem(section: str, message: str) -> dict[str, str]:
    return FieldProblem(path=section, section=section, message=message, detail=message).model_dump()


def _audit(tx: Tx, section: SectionName, changes: list[Change], actor: Actor) -> int:
    """The audit row of the change; its id is the section's new version."""
    admin = staff_by_login(tx, actor.id)
    event = t.Event(
        hall_id=tx.hall_id,
        ts=tx.now,
        kind=EVENT_KIND,
        staff_id=admin.id,
        request_id=tx.request_id,
        data={
            "section": section.value,
            "changes": [c.model_dump(mode="json") for c in changes],
            "actor": f"{actor.role.value}:{actor.id}",
        },
    )
    tx.session.add(event)
    tx.session.flush()
    return pk(event)


def diff(section: SectionName, before: Any, after: Any) -> list[Change]:
    """What changed, field by field; list items by their key (``halls.checks.KEYS``)."""
    if isinstance(before, dict) and isinstance(after, dict):
        return _fields("", before, after)
    key = KEYS[section.value]
    old = {str(item[key]): item for item in before}
    new = {str(item[key]): item for item in after}
    changes: list[Change] = []
    for code, item in new.items():
        if code not in old:
            changes.append(Change(item=code, new=item))
        else:
            changes.extend(_fields(code, old[code], item))
    changes.extend(Change(item=code, old=item) for code, item in old.items() if code not in new)
    kept_old = [code for code in old if code in new]
    kept_new = [code for code in new if code in old]
    if kept_old != kept_new:
        changes.append(Change(field="order", old=kept_old, new=kept_new))
    return changes


def _fields(item: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    keys = list(dict.fromkeys([*before, *after]))
    return [
        Change(item=item, field=k, old=before.get(k), new=after.get(k))
        for k in keys
        if before.get(k) != after.get(k)
    ]


def history(tx: Tx, actor: Actor, section: SectionName | None, limit: int) -> list[HistoryEntry]:
    """The newest section changes, newest first: who, when, what."""
    require_admin(actor)
    rows = tx.session.exec(
        select(t.Event)
        .where(t.Event.hall_id == tx.hall_id, t.Event.kind == EVENT_KIND)
        .order_by(col(t.Event.id).desc())
        .limit(limit if section is None else limit * 10)
    )
    out = []
    for row in rows:
        name = str(row.data.get("section", ""))
        if section is not None and name != section.value:
            continue
        changes = [Change.model_validate(c) for c in row.data.get("changes", [])]
        actor_text = str(row.data.get("actor", ""))
        out.append(HistoryEntry(version=pk(row), ts=row.ts, section=name, actor=actor_text, changes=changes))
    return out[:limit]


def calendar_year(tx: Tx, year: int, actor: Actor) -> CalendarYear:
    """``hallq hall calendar --year YYYY --json`` with the hall's own days, as the server uses them."""
    require_admin(actor)
    calendar = tx.calendar
    off, working = calendar.year_days(year)
    source = "confirmed" if year in calendar.confirmed_years else national_source(year).value
    return CalendarYear(
        year=year,
        source=source,
        holidays=off,
        workdays=working,
        warnings=calendar_warnings(calendar, tx.today),
    )
