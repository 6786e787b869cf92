"""The hall's outbox (SQLite): every change of a shipped table in the transaction of the change, the
history before migration 0019 put in first, the triggers back after a table copy; the credential
command; ``hallq server``'s wiring of the shipper."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from harness.factories import HallFixture, build_hall, make_settings, seed_small_hall
from harness.processes import hallq_command
from queue_server.city import capture
from queue_server.city.credential import PURPOSE, hall_of, make_credential
from queue_server.runtime.server_cmd import StartupError, start_city_link
from queue_server.store import make_engine
from queue_server.store.migrate import upgrade
from queue_server.store.tables import Event


def _outbox(hall: HallFixture) -> list[tuple[str, int]]:
    with hall.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT tbl, row_id FROM city_outbox WHERE hall_id = :h ORDER BY seq"), {"h": hall.hall_id}
        )
        return [(str(t), int(r)) for t, r in rows]


def test_each_change_of_a_shipped_row_appends_to_the_outbox(hall: HallFixture) -> None:
    if hall.engine.dialect.name != "sqlite":
        with hall.engine.connect() as conn:
            assert capture.ensure(conn) == []  # a city-hosted hall has no outbox triggers
        hall.issue("A")
        assert _outbox(hall) == []
        return
    ticket = hall.issue("A")
    staff = hall.open_window("1", "zhang")
    hall.services.call_next(hall.code, "1", actor=staff, request_id=hall.rid())
    rows = _outbox(hall)
    with hall.engine.connect() as conn:
        ticket_id = conn.execute(
            text("SELECT id FROM ticket WHERE public_id = :p"), {"p": ticket.ticket_id}
        ).scalar_one()
    # Issued (insert), then called (update): two positions, one row.
    assert [r for r in rows if r[0] == "ticket"] == [("ticket", ticket_id), ("ticket", ticket_id)]
    assert {"event", "window_shift"} <= {t for t, _ in rows}


def test_the_history_before_the_link_goes_first_and_the_triggers_survive_a_table_copy(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0018")
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        hall = seed_small_hall(session, "old", now)
        session.add_all([Event(hall_id=hall.id or 0, ts=now, kind="window_open") for _ in range(3)])
    upgrade(engine)
    with engine.begin() as conn:
        backlog = conn.execute(text("SELECT tbl, COUNT(*) FROM city_outbox GROUP BY tbl")).all()
        assert [tuple(r) for r in backlog] == [("event", 3)]
        # A later migration copying a table (alembic's batch mode) drops its triggers with it.
        conn.exec_driver_sql("DROP TRIGGER city_outbox_ticket_update")
    upgrade(engine)  # the end of every migration run re-creates what is missing
    with engine.connect() as conn:
        names = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {s.split()[2] for s in capture.create_statements()} <= names
    engine.dispose()


def test_hallq_city_credential_writes_the_halls_credential(tmp_path: Path) -> None:
    secret = tmp_path / "secret.key"
    secret.write_text("ab" * 32)
    secret.chmod(0o600)
    out = tmp_path / "hall.credential"
    env = {  # the city server's own environment
        **os.environ,
        "HALLQ_SECRET_KEY_FILE": str(secret),
        "HALLQ_ENVIRONMENT": "production",
        "HALLQ_BROKER_URL": "mqtt://hallq-server:pw@127.0.0.1:1883",
    }
    done = subprocess.run(
        [*hallq_command(), "city", "credential", "--hall", "county-a", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    key = make_settings(secret_key_file=secret).derive_key(PURPOSE)
    credential = out.read_text().strip()
    assert hall_of(key, credential) == "county-a" and credential == make_credential(key, "county-a")
    assert hall_of(key, credential.replace("county-a", "county-b")) is None


def test_hallq_server_ships_only_from_a_sqlite_appliance(tmp_path: Path, pg_url: str) -> None:
    credential = tmp_path / "c"
    credential.write_text("h.x\n")
    assert start_city_link(make_settings(), make_engine("sqlite://")) is None  # no city_url: no link
    settings = make_settings(city_url="https://city.example", city_credential_file=credential)
    engine = make_engine(pg_url)
    with pytest.raises(StartupError, match="SQLite"):
        start_city_link(settings, engine)
    engine.dispose()
    with pytest.raises(ValueError, match="city_credential_file"):
        make_settings(city_url="https://city.example")


def test_an_appliance_hall_needs_no_city_to_serve(tmp_path: Path) -> None:
    # The outbox costs the hall one small row per change and nothing else: issuing works without a city.
    hall = build_hall(f"sqlite:///{tmp_path / 'h.db'}", code="solo")
    try:
        hall.issue("A")
        assert [t for t, _ in _outbox(hall)] == ["ticket", "event"]
    finally:
        hall.close()
