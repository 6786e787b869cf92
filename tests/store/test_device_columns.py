"""Migration 0005 on SQLite and PostgreSQL: ``device.printer_width_mm`` and ``device.services`` come
and go with it, the rows already there survive both ways (NULL: "the hall file did not say"), and the
JSON list of service letters goes in and out unchanged."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlmodel import Session, col, select

from queue_server.store import init_db
from queue_server.store import tables as t
from queue_server.store.migrate import alembic_config

REVISION = "0005"
COLUMNS = {"printer_width_mm", "services"}


def _columns(engine: sa.Engine) -> set[str]:
    return {c["name"] for c in sa.inspect(engine).get_columns("device")}


def test_0005_adds_the_device_columns_and_keeps_the_rows(db_url: str) -> None:
    script = ScriptDirectory.from_config(alembic_config(db_url))
    assert script.get_revision(REVISION).down_revision == "0004"
    assert REVISION in {r.revision for r in script.walk_revisions()}, "0005 is on the line to head"
    engine = init_db(db_url)
    cfg = alembic_config(db_url)
    try:
        assert _columns(engine) >= COLUMNS
        with Session(engine) as s, s.begin():
            hall = t.Hall(code="h1", name="大厅", created_at=datetime.now(UTC))
            s.add(hall)
            s.flush()
            assert hall.id is not None
            s.add(t.Device(hall_id=hall.id, device_id="kiosk-1", kind="kiosk", boot=3))
            s.add(
                t.Device(
                    hall_id=hall.id,
                    device_id="kiosk-2",
                    kind="kiosk",
                    printer_width_mm=58,
                    services=["D", "E", "F"],
                )
            )

        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0004")
        assert not _columns(engine) & COLUMNS
        with engine.connect() as conn:
            kept = conn.execute(sa.text("SELECT device_id, boot FROM device ORDER BY device_id")).all()
        assert [tuple(r) for r in kept] == [("kiosk-1", 3), ("kiosk-2", 0)]

        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        assert _columns(engine) >= COLUMNS
        with Session(engine) as s:
            rows = {d.device_id: d for d in s.exec(select(t.Device).order_by(col(t.Device.device_id)))}
        # The values went with the columns; the rows came back with NULL ("not said").
        assert [(d.printer_width_mm, d.services, d.boot) for d in rows.values()] == [
            (None, None, 3),
            (None, None, 0),
        ]

        with Session(engine) as s, s.begin():
            row = s.exec(select(t.Device).where(t.Device.device_id == "kiosk-2")).one()
            row.printer_width_mm, row.services = 58, ["F", "D"]
            s.add(row)
        with Session(engine) as s:
            row = s.exec(select(t.Device).where(t.Device.device_id == "kiosk-2")).one()
            assert (row.printer_width_mm, row.services) == (58, ["F", "D"])
    finally:
        engine.dispose()
