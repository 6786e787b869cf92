"""The check-in flow (``kiosk.flows.checkin``): typed and scanned appointment codes, too early, too late
(a walk-in instead) and unknown. On a real broker, a contract-speaking server and a simulated
ESC/POS printer."""

from __future__ import annotations

from kiosk.demo_server import Appointment, DemoServer
from kiosk.screens import (
    CheckinLateScreen,
    CheckinScreen,
    RefusedScreen,
    TicketScreen,
)
from queue_server.protocol.messages import Op
from tests.devices.escpos_decoder import texts

from .conftest import KioskFactory, screen_of, wait_for
from .helpers import (
    home_ready,
    scanned,
)


def test_checkin_by_typed_code(demo: DemoServer, kiosk_factory: KioskFactory) -> None:
    demo.appointments["a"] = Appointment("YY20260310", "B")
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    k.model.open_checkin()
    for ch in "yy2026031":
        k.model.checkin_key(ch)
    k.model.checkin_key("9")
    k.model.checkin_backspace()
    k.model.checkin_key("0")
    assert screen_of(k.model, CheckinScreen).code == "YY20260310"
    k.model.submit_checkin()
    screen = k.model.screen
    assert isinstance(screen, TicketScreen) and screen.ticket.appointment == "YY20260310"
    assert "【预约】" in texts(k.printer.core.wait_output(lambda out: b"\x1dV" in out))


def test_checkin_by_scanned_qr_from_the_home_screen(demo: DemoServer, kiosk_factory: KioskFactory) -> None:
    demo.appointments["a"] = Appointment("YY20260311", "A")
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    k.model.scan(scanned("hallq://a/YY20260311"))
    screen = k.model.screen
    assert isinstance(screen, TicketScreen) and screen.ticket.appointment == "YY20260311"


def test_checkin_too_early_is_explained(demo: DemoServer, kiosk_factory: KioskFactory) -> None:
    demo.appointments["a"] = Appointment("YY20260312", "A", status="too_early")
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    k.model.open_checkin()
    for ch in "YY20260312":
        k.model.checkin_key(ch)
    k.model.submit_checkin()
    screen = k.model.screen
    assert isinstance(screen, RefusedScreen) and screen.title == "尚未到签到时间"
    assert "签到开始时间" in screen.message
    assert k.printer.output == b""


def test_checkin_too_late_becomes_a_walk_in(demo: DemoServer, kiosk_factory: KioskFactory) -> None:
    demo.appointments["a"] = Appointment("YY20260313", "C", status="too_late")
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    k.model.open_checkin()
    for ch in "YY20260313":
        k.model.checkin_key(ch)
    k.model.submit_checkin()
    late = k.model.screen
    assert isinstance(late, CheckinLateScreen)
    assert "超过预约签到时间" in late.message
    assert k.printer.output == b""
    k.model.walk_in()
    screen = k.model.screen
    assert isinstance(screen, TicketScreen) and screen.ticket.appointment is None
    checkins = [r for r in demo.requests_seen if r.op == Op.APPOINTMENT_CHECKIN]
    assert [r.args.get("walk_in_if_late", False) for r in checkins] == [False, True]
    assert checkins[0].id != checkins[1].id  # a different request: the first one's answer stays a refusal


def test_unknown_appointment_stays_on_the_checkin_screen(
    demo: DemoServer, kiosk_factory: KioskFactory
) -> None:
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    k.model.open_checkin()
    k.model.submit_checkin()
    assert screen_of(k.model, CheckinScreen).message == "请先输入预约码"
    for ch in "YY99999999":
        k.model.checkin_key(ch)
    k.model.submit_checkin()
    screen = k.model.screen
    assert isinstance(screen, CheckinScreen) and "未找到该预约" in screen.message
