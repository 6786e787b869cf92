"""Who may do what over HTTP: window printers are administrators' settings and only allow-listed
targets; supervision is the managers'; nobody rates their own visit or closes the rectification of
their own bad rating."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, col, select

from devices.printer import FileTransportConfig, PrinterConfig
from harness.factories import HallFixture
from queue_server.protocol.messages import RatingEvent
from queue_server.services.casework.models import CaseRequest
from queue_server.services.engine.tx import pk
from queue_server.store import tables as t
from queue_server.store.tables.casework import WindowPrinter
from tests.api.conftest import Api


def _serve_one(hall: HallFixture) -> None:
    """zhang at window 1 serves one visit to its end (the window's last visit)."""
    hall.issue("A")
    hall.open_window("1", "zhang")
    actor = hall.staff("zhang")
    hall.services.call_next(hall.code, "1", actor=actor, request_id=hall.rid())
    hall.services.start(hall.code, "1", actor=actor, request_id=hall.rid())
    hall.services.finish(hall.code, "1", None, actor=actor, request_id=hall.rid())


def test_window_printers_are_administrators_settings_and_allow_listed(api: Api, tmp_path: Path) -> None:
    url = f"{api.base}/windows/1/printer"
    admin, manager = api.token("admin"), api.token("manager")
    victim = tmp_path / "any-file-the-server-can-write"
    victim.write_bytes(b"")

    def put(transport: dict[str, object], who: dict[str, str]) -> int:
        return int(api.client.put(url, json={"transport": transport}, headers=who).status_code)

    assert put({"kind": "file", "path": "/dev/usb/lp0"}, manager) == 403  # settings: not the manager's
    assert put({"kind": "file", "path": str(victim)}, admin) == 422
    assert put({"kind": "file", "path": "/dev/usb/lp0/../../../etc/passwd"}, admin) == 422
    assert put({"kind": "serial", "path": "/tmp/ttyFAKE"}, admin) == 422
    assert put({"kind": "network", "host": "10.9.9.9", "port": 22}, admin) == 422  # not configured
    assert put({"kind": "serial", "path": "/dev/serial/by-id/usb-Printer_1234-if00"}, admin) == 200
    assert put({"kind": "network", "host": "127.0.0.1", "port": 9100}, admin) == 200  # on the list
    assert put({"kind": "file", "path": "/dev/usb/lp0"}, admin) == 200
    hall = api.hall
    with Session(hall.engine) as session:
        audited = session.exec(
            select(t.Event)
            .where(t.Event.hall_id == hall.hall_id, t.Event.kind == "window_printer")
            .order_by(col(t.Event.id))
        ).all()
    assert [(e.data or {}).get("target") for e in audited] == [
        "/dev/serial/by-id/usb-Printer_1234-if00",
        "127.0.0.1:9100",
        "/dev/usb/lp0",
    ]
    assert {(e.data or {}).get("actor") for e in audited} == {"admin:admin"}


def test_a_printer_stored_before_the_allow_list_is_never_opened(api: Api, tmp_path: Path) -> None:
    hall = api.hall
    victim = tmp_path / "appended-to"
    victim.write_bytes(b"")
    config = PrinterConfig(transport=FileTransportConfig(path=str(victim)))
    with Session(hall.engine) as session, session.begin():
        window = session.exec(
            select(t.Window).where(t.Window.hall_id == hall.hall_id, t.Window.number == "1")
        ).one()
        session.add(
            WindowPrinter(
                window_id=pk(window),
                hall_id=hall.hall_id,
                config=config.model_dump(mode="json"),
                updated_at=hall.clock(),
            )
        )
    hall.issue("A", matter="A01")
    hall.open_window("1", "zhang")
    actor = hall.staff("zhang")
    hall.services.call_next(hall.code, "1", actor=actor, request_id=hall.rid())
    hall.services.start(hall.code, "1", actor=actor, request_id=hall.rid())
    result = hall.services.finish_case(
        hall.code,
        "1",
        CaseRequest(case_type="supplement", missing_materials=["A01-M1"]),
        actor=actor,
        request_id=None,
    )
    assert [p.printed for p in result.printing] == [False]
    assert "不在允许范围内" in (result.printing[0].error or "")
    assert victim.read_bytes() == b""


def test_supervision_is_the_managers_not_the_administrators(api: Api) -> None:
    ratings = f"{api.base}/ratings"
    assert api.client.get(ratings, headers=api.token("manager")).status_code == 200
    assert api.client.get(ratings, headers=api.token("admin")).status_code == 403
    special = {"service": "A", "reason": "急需办理"}
    assert (
        api.client.post(f"{api.base}/tickets/special", json=special, headers=api.token("admin")).status_code
        == 403
    )


def test_staff_may_not_rate_their_own_visit(api: Api) -> None:
    hall = api.hall
    _serve_one(hall)
    rating = {"score": 5, "id": "console-rating-1"}
    own = api.client.post(f"{api.base}/windows/1/rating", json=rating, headers=api.token("zhang"))
    assert own.status_code == 403, own.text
    with Session(hall.engine) as session:
        assert session.exec(select(t.Rating).where(t.Rating.hall_id == hall.hall_id)).first() is None


def test_the_rated_person_may_not_close_the_rectification_of_their_bad_rating(api: Api) -> None:
    hall = api.hall
    _serve_one(hall)
    hall.services.record_rating(hall.code, "1", RatingEvent(id="pad-1", score=1), device_id="agent-1")
    zhang, manager = api.token("zhang"), api.token("manager")
    items = api.client.get(f"{api.base}/rectifications", headers=zhang).json()["items"]
    assert [i["assignee"] for i in items] == ["zhang"]
    item = f"{api.base}/rectifications/{items[0]['id']}"
    assert api.client.post(f"{item}/notes", json={"text": "已重新培训"}, headers=zhang).status_code == 200
    closed = api.client.post(f"{item}/close", json={"measures": "已整改"}, headers=zhang)
    assert closed.status_code == 403, closed.text
    closing = api.client.post(f"{item}/close", json={"measures": "已核实整改"}, headers=manager)
    assert closing.status_code == 200 and closing.json()["state"] == "closed"
