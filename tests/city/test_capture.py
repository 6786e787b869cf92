"""The hall's outbox (SQLite): written only for a hall linked to a city (no trigger at all on an
appliance without one), every change of a shipped table in the transaction of the change, the history
before the link seeded once, the triggers back after a table copy, migration 0021 on a database of
the first 0019; the credential command; ``hallq server``'s wiring of the link and the shipper."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from harness.factories import HallFixture, build_hall, make_settings, seed_small_hall
from harness.processes import hallq_command
from queue_server.city import capture
from queue_server.city.credential import PURPOSE, Proof, make_credential, proof_of
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


def _triggers(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        found = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {str(r[0]) for r in found if str(r[0]).startswith("city_outbox_")}


ALL_TRIGGERS = {s.split()[2] for s in capture.create_statements()}


def test_each_change_of_a_shipped_row_appends_to_the_outbox(hall: HallFixture) -> None:
    if hall.engine.dialect.name != "sqlite":
        with hall.engine.connect() as conn:
            assert capture.ensure(conn) == []  # a city-hosted hall has no outbox triggers
        hall.issue("A")
        assert _outbox(hall) == []
        return
    assert capture.link(hall.engine, hall.hall_id, datetime.now(UTC)) == 0  # no history yet
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


def test_a_hall_not_linked_writes_no_outbox_beside_a_linked_one(
    hall: HallFixture, make_hall: Callable[..., HallFixture]
) -> None:
    if hall.engine.dialect.name != "sqlite":
        pytest.skip("the outbox is SQLite's (a hall appliance)")
    other = make_hall()
    capture.link(other.engine, other.hall_id, datetime.now(UTC))  # the triggers exist in this database
    hall.issue("A")
    staff = hall.open_window("1", "zhang")
    hall.services.call_next(hall.code, "1", actor=staff, request_id=hall.rid())
    other.issue("A")
    assert _outbox(hall) == []  # their WHEN keeps the hall that is not linked out
    assert [t for t, _ in _outbox(other)] == ["ticket", "event"]


def test_the_link_seeds_the_history_once_and_the_triggers_follow_it(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0018")
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        hall = seed_small_hall(session, "old", now)
        hall_id = hall.id or 0
        session.add_all([Event(hall_id=hall_id, ts=now, kind="window_open") for _ in range(3)])
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM city_outbox").scalar() == 0
    assert _triggers(engine) == set()  # not linked: no trigger runs on any write
    assert capture.link(engine, hall_id, now) == 3  # the history, once
    assert capture.link(engine, hall_id, now) is None  # linked already: nothing added
    with engine.begin() as conn:
        backlog = conn.execute(text("SELECT tbl, COUNT(*) FROM city_outbox GROUP BY tbl")).all()
        assert [tuple(r) for r in backlog] == [("event", 3)]
        # A later migration copying a table (alembic's batch mode) drops its triggers with it.
        conn.exec_driver_sql("DROP TRIGGER city_outbox_ticket_update")
    upgrade(engine)  # the end of every migration run re-creates what is missing
    assert _triggers(engine) == ALL_TRIGGERS
    assert capture.unlink(engine, hall_id)
    assert _triggers(engine) == set()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM city_outbox").scalar() == 0
    engine.dispose()


def test_migration_0021_keeps_the_outbox_of_a_shipping_hall_only(tmp_path: Path) -> None:
    # A database that ran the first 0019: ungated triggers, every hall's history in the outbox.
    engine = make_engine(f"sqlite:///{tmp_path / 'v19.db'}")
    upgrade(engine, "0020")
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        shipping, idle = [seed_small_hall(session, code, now).id or 0 for code in ("ships", "idle")]
    with engine.begin() as conn:
        for statement in _first_0019_triggers():
            conn.exec_driver_sql(statement)
        for hall_id in (shipping, idle):
            conn.execute(
                text("INSERT INTO city_outbox (hall_id, tbl, row_id, at_s) VALUES (:h, 'event', 1, 0)"),
                [{"h": hall_id}, {"h": hall_id}],
            )
        conn.execute(text("INSERT INTO city_shipped (hall_id, acked_seq) VALUES (:h, 1)"), {"h": shipping})
    upgrade(engine)
    with engine.connect() as conn:
        left = conn.exec_driver_sql("SELECT hall_id, COUNT(*) FROM city_outbox GROUP BY hall_id").all()
        linked = [r[0] for r in conn.exec_driver_sql("SELECT hall_id FROM city_link")]
    assert [tuple(r) for r in left] == [(shipping, 2)] and linked == [shipping]
    assert _triggers(engine) == ALL_TRIGGERS
    with engine.connect() as conn:  # gated now: the same statements as a link creates
        sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'city_outbox_event_insert'")
        assert "city_link" in str(sql.scalar())
    engine.dispose()


def _first_0019_triggers() -> list[str]:
    # The first 0019's triggers were today's without their WHEN: every hall's every write.
    gate = f" WHEN {capture.LINKED}"
    return [statement.replace(gate, "") for statement in capture.create_statements()]


def test_hallq_city_credential_and_revoke_write_the_halls_current_credential(tmp_path: Path) -> None:
    secret = tmp_path / "secret.key"
    secret.write_text("ab" * 32)
    secret.chmod(0o600)
    database = f"sqlite:///{tmp_path / 'city.db'}"
    build_hall(database, code="county-a").close()
    env = {  # the city server's own environment
        **os.environ,
        "HALLQ_SECRET_KEY_FILE": str(secret),
        "HALLQ_ENVIRONMENT": "production",
        "HALLQ_BROKER_URL": "mqtt://hallq-server:pw@127.0.0.1:1883",
        "HALLQ_DATABASE_URL": database,
    }

    def city(*argv: str) -> subprocess.CompletedProcess[str]:
        command = [*hallq_command(), "city", *argv]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)

    key = make_settings(secret_key_file=secret).derive_key(PURPOSE)
    out = tmp_path / "hall.credential"
    done = city("credential", "--hall", "county-a", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    first = out.read_text().strip()
    assert proof_of(key, first) == Proof("county-a", 0) and first == make_credential(key, "county-a")
    assert proof_of(key, first.replace("county-a", "county-b")) is None
    assert proof_of(key, first.replace("county-a.0.", "county-a.1.")) is None  # no generation forged

    revoked = city("revoke", "--hall", "county-a")
    assert revoked.returncode == 0, revoked.stderr
    second = revoked.stdout.strip().splitlines()[-1]
    assert proof_of(key, second) == Proof("county-a", 1)
    again = city("credential", "--hall", "county-a")
    assert again.stdout.strip() == second  # the current one from now on
    out.chmod(0o644)  # a file left readable by an earlier hand: written over, it is private again
    rewritten = city("credential", "--hall", "county-a", "--out", str(out))
    assert rewritten.returncode == 0, rewritten.stderr
    assert out.stat().st_mode & 0o777 == 0o600 and out.read_text().strip() == second

    unknown = city("revoke", "--hall", "county-z")
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1
    assert "no hall 'county-z'" in unknown.stderr


def test_hallq_server_ships_only_from_a_sqlite_appliance(tmp_path: Path, pg_url: str) -> None:
    credential = tmp_path / "c"
    credential.write_text("h.x\n")
    hall = build_hall(f"sqlite:///{tmp_path / 'h.db'}", code="solo")
    try:
        hall.issue("A")
        linked = make_settings(hall="solo", city_url="http://127.0.0.1:9", city_credential_file=credential)
        shipper = start_city_link(linked, hall.engine)  # links the hall: its history queued
        assert shipper is not None
        shipper.stop()
        assert _linked(hall) and len(_outbox(hall)) == 2
        # Started again without city_url: no link, no shipper, the outbox gone with the triggers.
        assert start_city_link(make_settings(hall="solo"), hall.engine) is None
        assert not _linked(hall)
        assert _outbox(hall) == [] and _triggers(hall.engine) == set()
    finally:
        hall.close()
    settings = make_settings(city_url="https://city.example", city_credential_file=credential)
    engine = make_engine(pg_url)
    with pytest.raises(StartupError, match="SQLite"):
        start_city_link(settings, engine)
    engine.dispose()
    with pytest.raises(ValueError, match="city_credential_file"):
        make_settings(city_url="https://city.example")


def test_an_appliance_hall_without_a_city_writes_no_outbox(tmp_path: Path) -> None:
    # Issue 13: ~2% of the CPU of an issue went to an outbox nobody read. Without a link: no trigger.
    hall = build_hall(f"sqlite:///{tmp_path / 'h.db'}", code="solo")
    try:
        for _ in range(3):
            hall.issue("A")
        staff = hall.open_window("1", "zhang")
        hall.services.call_next(hall.code, "1", actor=staff, request_id=hall.rid())
        assert _outbox(hall) == [] and _triggers(hall.engine) == set()
    finally:
        hall.close()


def _linked(hall: HallFixture) -> bool:
    with hall.engine.connect() as conn:
        found = conn.execute(text("SELECT 1 FROM city_link WHERE hall_id = :h"), {"h": hall.hall_id})
        return found.first() is not None
