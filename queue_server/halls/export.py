"""Read a hall back out of the database as a hall file: the inverse of ``loader.load_hall``.

``export_hall`` gives the hall file's data (a dict in the file's section order), ``export_toml`` its
TOML text. Loading the export into an empty database gives the same hall (``tests/halls/
test_export.py`` compares the tables), and exporting that again gives the same text.

What is written:

- only what is current: active services, the newest version of each matter whose service is still
  active (published or not), windows that still serve something, active staff, the devices;
- window and person references as the file spells them (department codes, service letters, window
  numbers); a window's services in the hall's service order (the file's order within ``primary`` is
  not stored and never used);
- a material's ``form`` and ``copies`` read back from the note the loader writes (``原件及复印件，2份；
  …``: :func:`material_fields`);
- never password material: a person keeps the ``password_env`` / ``password_file`` reference the
  hall file gave (stored by the loader), else nothing (a development account: see README.md).

One function per section (``_hall``, ``_hours``, ``_departments`` …), each given the
:class:`_Hall` context; a new section is one more function and one more line in ``SECTIONS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, inspect
from sqlmodel import Session, col, select

from queue_server.store import tables as t
from queue_server.store.tables.accounts import StaffAccount

from .booking import Booking
from .catalogue import MaterialForm
from .load_base import FORM_ZH, PRIMARY_WEIGHT
from .policies import COLUMNS as POLICY_COLUMNS
from .policies import Policies
from .schema import SCHEMA_VERSION, WEEKDAYS
from .supervision import Supervision
from .toml_out import dumps

# The loader's note heads read back; the longest first (原件 begins 原件及复印件).
_FORM_OF_HEAD = {head: form for form, head in sorted(FORM_ZH.items(), key=lambda item: -len(item[1]))}

HEADER = (
    "Exported by `hallq hall export` from the database. Passwords are never exported: people keep\n"
    "the password_env / password_file their hall file gave; a person with neither is a development\n"
    "account (see queue_server/halls/README.md)."
)


class ExportError(ValueError):
    """The database holds no such hall, or more than one and none was named."""


@dataclass
class _Hall:
    """What the section functions share: the session, the hall row, and codes by id."""

    s: Session
    hall: t.Hall
    departments: dict[int, str] = field(default_factory=dict)
    services: dict[int, str] = field(default_factory=dict)
    windows: dict[int, str] = field(default_factory=dict)

    @property
    def hall_id(self) -> int:
        assert self.hall.id is not None
        return self.hall.id


def export_hall(session_or_engine: Session | Engine, hall_code: str | None = None) -> dict[str, Any]:
    """The hall file data of ``hall_code`` (the only hall when None), in the file's section order."""
    if isinstance(session_or_engine, Session):
        return _export(session_or_engine, hall_code)
    with Session(session_or_engine) as session:
        return _export(session, hall_code)


def export_toml(session_or_engine: Session | Engine, hall_code: str | None = None) -> str:
    """The hall as hall file text (TOML)."""
    return dumps(export_hall(session_or_engine, hall_code), header=HEADER)


def _export(session: Session, hall_code: str | None) -> dict[str, Any]:
    ctx = _Hall(session, _find_hall(session, hall_code))
    ctx.departments = {
        d.id: d.code
        for d in session.exec(select(t.Department).where(t.Department.hall_id == ctx.hall_id))
        if d.id is not None
    }
    ctx.services = {
        s.id: s.code
        for s in session.exec(select(t.Service).where(t.Service.hall_id == ctx.hall_id))
        if s.id is not None
    }
    ctx.windows = {
        w.id: w.number
        for w in session.exec(select(t.Window).where(t.Window.hall_id == ctx.hall_id))
        if w.id is not None
    }
    data: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
    for name, section in SECTIONS:
        data[name] = section(ctx)
    return data


def _find_hall(session: Session, code: str | None) -> t.Hall:
    # The session's own connection: a new one would wait for the caller's write lock (SQLite).
    if not inspect(session.connection()).has_table(t.Hall.__tablename__):
        raise ExportError("the database has no hall tables (load a hall file first)")
    query = select(t.Hall) if code is None else select(t.Hall).where(t.Hall.code == code)
    halls = session.exec(query.order_by(col(t.Hall.code))).all()
    if not halls:
        raise ExportError("no hall in the database" if code is None else f"no hall {code!r} in the database")
    if len(halls) > 1:
        codes = ", ".join(h.code for h in halls)
        raise ExportError(f"the database holds several halls ({codes}): name one with --hall")
    return halls[0]


# --- sections -------------------------------------------------------------------------------------


def _hall(ctx: _Hall) -> dict[str, Any]:
    h = ctx.hall
    return {
        "code": h.code,
        "name": h.name,
        "short_name": h.short_name,
        "tz": h.tz,
        "level": h.level,
        "parent": h.parent,
        "notice": h.notice,
        "address": h.address,
        "phone": h.phone,
    }


def _ranges(sessions: list[Any] | None) -> list[str]:
    return [f"{start}-{end}" for start, end in sessions or []]


def _hours(ctx: _Hall) -> dict[str, Any]:
    h = ctx.hall
    week = h.schedule or {}
    out: dict[str, Any] = {day: _ranges(week.get(str(i))) for i, day in enumerate(WEEKDAYS)}
    out["rest_day"] = _ranges(h.rest_day_schedule)
    out["extra_holidays"] = [date.fromisoformat(d) for d in h.extra_holidays]
    out["extra_workdays"] = [date.fromisoformat(d) for d in h.extra_workdays]
    out["confirmed_years"] = list(h.confirmed_years)
    return out


def _departments(ctx: _Hall) -> list[dict[str, Any]]:
    rows = ctx.s.exec(
        select(t.Department).where(t.Department.hall_id == ctx.hall_id).order_by(col(t.Department.id))
    )
    return [{"code": d.code, "name": d.name, "short_name": d.short_name} for d in rows]


def _active_services(ctx: _Hall) -> list[t.Service]:
    return list(
        ctx.s.exec(
            select(t.Service)
            .where(t.Service.hall_id == ctx.hall_id, col(t.Service.active))
            .order_by(col(t.Service.position), col(t.Service.code))
        )
    )


def _services(ctx: _Hall) -> list[dict[str, Any]]:
    return [
        {
            "code": s.code,
            "name": s.name,
            "description": s.description,
            "target_wait_min": s.target_wait_min,
            "max_wait_min": s.max_wait_min,
            "daily_cap": s.daily_cap,
            "cutoff_min": s.cutoff_min,
            # The loader keeps a weekend service's hours as the hall's (schedule NULL).
            "weekend": s.schedule is None,
            "interleave": s.interleave_n,
        }
        for s in _active_services(ctx)
    ]


def material_fields(note: str) -> dict[str, Any]:
    """``form``, ``copies`` and ``note`` of a material from the note the loader wrote."""
    head, _, rest = note.partition("；")
    form_text, _, copies_text = head.partition("，")
    form = _FORM_OF_HEAD.get(form_text)
    copies = copies_text.removesuffix("份")
    if form is None or (copies_text and not (copies_text.endswith("份") and copies.isdigit())):
        # Not a note the loader wrote: keep all of it as the note, with the file's defaults.
        return {"copies": 1, "form": MaterialForm.ORIGINAL.value, "note": note}
    return {"copies": int(copies) if copies_text else 1, "form": form.value, "note": rest}


def _matters(ctx: _Hall) -> list[dict[str, Any]]:
    rows = ctx.s.exec(
        select(t.Matter)
        .where(t.Matter.hall_id == ctx.hall_id)
        .order_by(col(t.Matter.code), col(t.Matter.version).desc())
    ).all()
    active = {s.id for s in _active_services(ctx)}
    newest: dict[str, t.Matter] = {}
    for row in rows:
        newest.setdefault(row.code, row)
    return [
        _matter(ctx, m) for m in sorted(newest.values(), key=lambda m: m.id or 0) if m.service_id in active
    ]


def _matter(ctx: _Hall, m: t.Matter) -> dict[str, Any]:
    materials = ctx.s.exec(
        select(t.Material).where(t.Material.matter_id == m.id).order_by(col(t.Material.position))
    )
    return {
        "code": m.code,
        "name": m.name,
        "service": ctx.services[m.service_id],
        "department": None if m.department_id is None else ctx.departments[m.department_id],
        "co_departments": list(m.co_departments),
        "case_type": m.case_type,
        "promised_days": m.promised_days,
        "licensing": m.licensing,
        "published": m.published,
        "content": m.content,
        "legal_basis": m.legal_basis,
        "conditions": m.conditions,
        "materials": [
            {"code": x.code, "name": x.name, "required": x.required, **material_fields(x.note)}
            for x in materials
        ],
        "procedure": m.procedure,
        "time_limit": m.time_limit,
        "fees": m.fees,
        "result": m.result,
    }


def _windows(ctx: _Hall) -> list[dict[str, Any]]:
    order = {s.id: i for i, s in enumerate(_active_services(ctx))}
    served: dict[int, list[tuple[int, int, str]]] = {}
    for ws in ctx.s.exec(select(t.WindowService).join(t.Window).where(t.Window.hall_id == ctx.hall_id)):
        if ws.service_id in order:
            served.setdefault(ws.window_id, []).append(
                (order[ws.service_id], ws.weight, ctx.services[ws.service_id])
            )
    out = []
    rows = ctx.s.exec(select(t.Window).where(t.Window.hall_id == ctx.hall_id).order_by(col(t.Window.id)))
    for w in rows:
        services = sorted(served.get(w.id or 0, []))
        if not services:
            continue  # a window that left the file: kept for its history, serves nothing
        out.append(
            {
                "number": w.number,
                "name": w.name,
                "zone": w.zone,
                "department": None if w.department_id is None else ctx.departments[w.department_id],
                "primary": [code for _, weight, code in services if weight >= PRIMARY_WEIGHT],
                "secondary": [code for _, weight, code in services if weight < PRIMARY_WEIGHT],
                "licensing": w.licensing,
                "extended_hours": w.extended_hours,
                "weekend": w.weekend,
                "military_priority": w.military_priority,
            }
        )
    return out


def _staff(ctx: _Hall) -> list[dict[str, Any]]:
    accounts = {
        a.staff_id: a for a in ctx.s.exec(select(StaffAccount).where(StaffAccount.hall_id == ctx.hall_id))
    }
    rows = ctx.s.exec(
        select(t.Staff).where(t.Staff.hall_id == ctx.hall_id, col(t.Staff.active)).order_by(col(t.Staff.id))
    )
    out = []
    for p in rows:
        account = accounts.get(p.id or 0)
        qualified = p.qualification_no is not None and p.qualification_expires is not None
        out.append(
            {
                "login": p.login,
                "name": p.name,
                "role": p.role,
                "department": None if p.department_id is None else ctx.departments.get(p.department_id),
                "windows": list(account.windows or []) if account is not None else [],
                "qualification": {"number": p.qualification_no, "expires": p.qualification_expires}
                if qualified
                else None,
                "password_env": p.password_env,
                "password_file": p.password_file,
            }
        )
    return out


def _appointment_slots(ctx: _Hall) -> list[dict[str, Any]]:
    capacity = {
        c.service_id: c
        for c in ctx.s.exec(select(t.BookingCapacity).where(t.BookingCapacity.hall_id == ctx.hall_id))
    }
    out = []
    for s in _active_services(ctx):
        c = capacity.get(s.id or 0)
        if c is not None and (c.morning or c.afternoon or c.rest_day):
            out.append(
                {"service": s.code, "morning": c.morning, "afternoon": c.afternoon, "rest_day": c.rest_day}
            )
    return out


def _devices(ctx: _Hall) -> list[dict[str, Any]]:
    rows = ctx.s.exec(select(t.Device).where(t.Device.hall_id == ctx.hall_id).order_by(col(t.Device.id)))
    return [
        {
            "id": d.device_id,
            "kind": d.kind,
            "name": d.name,
            "window": None if d.window_id is None else ctx.windows[d.window_id],
            "printer_width_mm": d.printer_width_mm,
            "services": list(d.services or []),
            "printer": d.printer,
        }
        for d in rows
    ]


def _row_fields(row: Any, model: type[Supervision] | type[Booking]) -> dict[str, Any]:
    return {} if row is None else {name: getattr(row, name) for name in model.model_fields}


def _supervision(ctx: _Hall) -> dict[str, Any]:
    return _row_fields(ctx.s.get(t.HallSupervision, ctx.hall_id), Supervision)


def _booking(ctx: _Hall) -> dict[str, Any]:
    return _row_fields(ctx.s.get(t.HallBooking, ctx.hall_id), Booking)


def _policies(ctx: _Hall) -> dict[str, Any]:
    stored = Policies.from_columns({column: getattr(ctx.hall, column) for column in POLICY_COLUMNS})
    return stored.model_dump(mode="json", exclude_none=True)


SECTIONS: list[tuple[str, Callable[[_Hall], Any]]] = [
    ("hall", _hall),
    ("hours", _hours),
    ("departments", _departments),
    ("services", _services),
    ("matters", _matters),
    ("windows", _windows),
    ("staff", _staff),
    ("appointment_slots", _appointment_slots),
    ("devices", _devices),
    ("supervision", _supervision),
    ("booking", _booking),
    ("policies", _policies),
]
"""The hall file's sections in file order: (key, the function reading it from the database)."""

__all__ = ["SECTIONS", "ExportError", "export_hall", "export_toml", "material_fields"]
