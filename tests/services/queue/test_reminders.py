"""Reminders before a slot through the notifier seam: the log (default), an HTTP SMS gateway against
a real local HTTP server, an e-mail gateway against a small local SMTP server (standard library)."""

from __future__ import annotations

import json
import logging
import socketserver
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlmodel import Session, select

from harness.factories import HallFixture
from queue_server.services.queue.notify import (
    HttpGateway,
    LogNotifier,
    NotifyError,
    Reminder,
    SmtpGateway,
    notifier_from_url,
)
from queue_server.store.tables import AppointmentReminder

from .booking_helpers import ID_B, at, book, scheduled_hall

MakeHall = Callable[..., HallFixture]
PHONE = "13812345678"


@dataclass
class Gateway:
    """A real HTTP server on a free loopback port that records each POST and answers `status`."""

    url: str
    received: list[dict[str, str]] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    box: list[Gateway] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            box[0].received.append(json.loads(self.rfile.read(length)))
            self.send_response(box[0].status)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    box.append(Gateway(f"http://127.0.0.1:{server.server_port}/sms"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box[0]
    server.shutdown()
    server.server_close()
    thread.join(5)


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: greeting, EHLO, MAIL, RCPT, DATA, QUIT."""

    def handle(self) -> None:
        assert isinstance(self.server, _SmtpServer)
        mails = self.server.mails
        self.wfile.write(b"220 test\r\n")
        rcpt = ""
        while line := self.rfile.readline().decode().strip():
            verb = line[:4].upper()
            if verb == "RCPT":
                rcpt = line.split(":", 1)[1].strip(" <>")
            if verb == "DATA":
                self.wfile.write(b"354 go\r\n")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data.decode())
                mails.append((rcpt, "".join(lines)))
            if verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            self.wfile.write(b"250 ok\r\n")


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Smtp)
        self.mails: list[tuple[str, str]] = []


def test_the_log_notifier_masks_the_phone(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        LogNotifier().send(Reminder(ref="hall-1", phone=PHONE, text="【大厅】预约码YY12345678"))
    assert "138****5678" in caplog.text and PHONE not in caplog.text and "YY12345678" not in caplog.text


def test_the_http_gateway_posts_json_and_reports_a_refusal(gateway: Gateway) -> None:
    notifier = HttpGateway(gateway.url)
    notifier.send(Reminder(ref="hall-1", phone=PHONE, text="提醒"))
    assert gateway.received == [{"to": PHONE, "text": "提醒", "ref": "hall-1"}]
    gateway.status = 503
    with pytest.raises(NotifyError, match="503"):
        notifier.send(Reminder(ref="hall-2", phone=PHONE, text="提醒"))
    with pytest.raises(NotifyError, match="unreachable"):
        HttpGateway("http://127.0.0.1:9/").send(Reminder(ref="hall-3", phone=PHONE, text="提醒"))


def test_the_smtp_gateway_mails_the_phones_address() -> None:
    server = _SmtpServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"smtp://127.0.0.1:{server.server_address[1]}?from=hall@example.org&domain=sms.example.org"
        notifier = notifier_from_url(url)
        assert isinstance(notifier, SmtpGateway)
        notifier.send(Reminder(ref="hall-1", phone=PHONE, text="您预约的业务将于明天开始"))
    finally:
        server.shutdown()
        server.server_close()
    [(rcpt, message)] = server.mails
    assert rcpt == f"{PHONE}@sms.example.org" and "Subject: hall-1" in message


def test_notifier_url_picks_the_notifier() -> None:
    assert isinstance(notifier_from_url(None), LogNotifier)
    assert isinstance(notifier_from_url("https://sms.example.org/send"), HttpGateway)
    with pytest.raises(ValueError):
        notifier_from_url("smtp://mail.example.org")  # no from / domain
    with pytest.raises(ValueError):
        notifier_from_url("file:///etc/passwd")


def _reminders(hall: HallFixture) -> list[AppointmentReminder]:
    with Session(hall.engine) as s:
        return list(s.exec(select(AppointmentReminder).where(AppointmentReminder.hall_id == hall.hall_id)))


def test_the_server_reminds_once_before_the_slot_through_the_log(
    make_hall: MakeHall, caplog: pytest.LogCaptureFixture
) -> None:
    hall = scheduled_hall(make_hall)  # the clock: 12 March 10:00; reminders 24 h ahead
    due = book(hall, at(13, 9), phone=PHONE)
    book(hall, at(14, 9), phone=PHONE, id_hash=ID_B)  # not due yet
    cancelled = book(hall, at(13, 9, 30), phone="13900000000", id_hash="c" * 64)
    hall.services.cancel_appointment(hall.code, cancelled.code, "c" * 64)
    book(hall, at(13, 10), id_hash="d" * 64)  # no phone
    with caplog.at_level(logging.INFO):
        assert hall.services.reminders.run_once()[hall.code] == 1
    assert hall.services.send_reminders(hall.code) == 0  # once
    [row] = _reminders(hall)
    assert (row.channel, row.state, row.phone_masked, row.attempts) == ("log", "sent", "138****5678", 1)
    assert f"YY{due.code}" in row.text and "3月13日09:00" in row.text
    assert "138****5678" in caplog.text and PHONE not in caplog.text
    hall.clock.set(at(13, 9, 1))
    assert hall.services.send_reminders(hall.code) == 1  # the 14th's is due now


def test_a_failed_gateway_send_is_recorded_and_tried_again(make_hall: MakeHall, gateway: Gateway) -> None:
    hall = scheduled_hall(make_hall)
    hall.services.notifier = HttpGateway(gateway.url)
    book(hall, at(13, 9), phone=PHONE)
    gateway.status = 500
    assert hall.services.send_reminders(hall.code) == 0
    [row] = _reminders(hall)
    assert (row.channel, row.state, row.attempts) == ("http", "failed", 1) and "500" in (row.error or "")
    gateway.status = 200
    assert hall.services.send_reminders(hall.code) == 1
    [row] = _reminders(hall)
    assert (row.state, row.attempts, row.error) == ("sent", 2, None)
    assert [r["to"] for r in gateway.received] == [PHONE, PHONE]
    assert hall.services.send_reminders(hall.code) == 0
