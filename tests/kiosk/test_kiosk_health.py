"""Service health (``kiosk.flows.health``). Out of service: broker gone, server silent, printer out of
paper — a clear screen, the kiosk's status published with its health, and recovery without anyone
touching the kiosk. And the checks behind it: the server probe that refreshes the cached catalog,
and the printer poll."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest

from devices.simulators import SimulatedPrinterState
from kiosk.demo_server import DemoServer
from kiosk.model import KioskSettings
from kiosk.screens import OutOfServiceScreen, TicketScreen, View
from queue_server.protocol import topics
from queue_server.protocol.client import MqttLink, Received
from queue_server.protocol.codec import decode
from queue_server.protocol.messages import DeviceStatus, Op, Request
from tests.conftest import MosquittoBroker
from tests.devices.escpos_decoder import Cut, events_of

from .conftest import FAST, KioskFactory, screen_of, view_of, wait_for
from .helpers import home_ready, issue_requests, to_options_via_materials


class StatusWatcher:
    """A plain MQTT client that keeps the kiosk's latest retained status."""

    def __init__(self, broker: MosquittoBroker, hall: str, device_id: str) -> None:
        self.latest: DeviceStatus | None = None
        self.link = MqttLink(f"watch-{hall}", broker.address)
        self.link.subscribe(topics.dev_status(hall, device_id), self._on)
        self.link.start()
        assert self.link.wait_connected(5)

    def _on(self, msg: Received) -> None:
        if msg.payload:
            self.latest = decode(DeviceStatus, msg.payload)

    def health(self, key: str) -> str | None:
        return self.latest.health.get(key) if self.latest is not None else None


@pytest.fixture
def outage_demo(fresh_broker: MosquittoBroker, hall_code: str) -> Iterator[DemoServer]:
    server = DemoServer(hall_code, fresh_broker.address)
    server.start()
    yield server
    server.stop()


def test_paper_out_stops_issuing_publishes_health_and_recovers(
    broker: MosquittoBroker, demo: DemoServer, kiosk_factory: KioskFactory, hall_code: str
) -> None:
    watcher = StatusWatcher(broker, hall_code, "kiosk-1")
    try:
        k = kiosk_factory()
        wait_for(lambda: home_ready(k.model))
        wait_for(lambda: watcher.health("printer") == "ok", what="online status with printer ok")
        assert (
            watcher.latest is not None and watcher.latest.state == "online" and watcher.latest.kind == "kiosk"
        )

        to_options_via_materials(k.model)
        k.printer.state = SimulatedPrinterState.PAPER_OUT
        k.clock.advance(k.model.settings.printer_poll_s)
        k.model.tick()
        screen = k.model.screen
        assert isinstance(screen, OutOfServiceScreen) and screen.reasons == ("打印纸已用完",)
        wait_for(lambda: watcher.health("printer") == "paper_out", what="paper_out published")
        assert watcher.health("service") == "out_of_service"

        k.model.take_ticket()  # a tap that slipped through: nothing may be issued without paper
        assert issue_requests(demo) == []

        k.printer.state = SimulatedPrinterState.OK
        k.clock.advance(k.model.settings.printer_poll_s)
        k.model.tick()
        assert view_of(k.model) is View.HOME  # the citizen's half-finished visit was dropped
        wait_for(lambda: watcher.health("service") == "ok", what="recovery published")
    finally:
        watcher.link.stop()


def test_printer_dying_between_status_and_ticket_sends_no_request(
    demo: DemoServer, kiosk_factory: KioskFactory
) -> None:
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    to_options_via_materials(k.model)
    k.printer.state = SimulatedPrinterState.COVER_OPEN  # the model has not polled since
    k.model.take_ticket()
    assert view_of(k.model) is View.GUIDE_DESK
    assert issue_requests(demo) == []
    assert k.printer.output == b""


def test_broker_outage_is_out_of_service_until_it_comes_back(
    fresh_broker: MosquittoBroker, outage_demo: DemoServer, kiosk_factory: KioskFactory
) -> None:
    k = kiosk_factory(address=fresh_broker.address)
    wait_for(lambda: home_ready(k.model))
    k.model.open_service("A")
    fresh_broker.stop()
    wait_for(lambda: view_of(k.model) is View.OUT_OF_SERVICE, what="out of service")
    assert screen_of(k.model, OutOfServiceScreen).reasons == ("网络连接中断",)
    k.model.take_ticket()
    assert view_of(k.model) is View.OUT_OF_SERVICE

    fresh_broker.start()
    wait_for(lambda: k.link.connected, timeout=15, what="reconnect")
    wait_for(lambda: outage_demo.link.connected, timeout=15, what="server reconnect")
    # and listening again: a probe sent before the broker has the server's new subscription is lost
    assert outage_demo.link.wait_subscribed(15)
    k.clock.advance(1)
    k.model.tick()  # the probe after a reconnect proves the server answers again
    assert view_of(k.model) is View.HOME
    to_options_via_materials(k.model)
    k.model.take_ticket()
    assert isinstance(k.model.screen, TicketScreen)


def test_reply_lost_in_a_broker_restart_still_gives_one_ticket_one_print(
    fresh_broker: MosquittoBroker, outage_demo: DemoServer, kiosk_factory: KioskFactory
) -> None:
    k = kiosk_factory(
        address=fresh_broker.address, settings=KioskSettings(issue_timeout_s=1.0, issue_attempts=8)
    )
    wait_for(lambda: home_ready(k.model))
    to_options_via_materials(k.model)

    restarted = threading.Event()

    def restart_before_reply(req: Request) -> None:
        # The ticket exists on the server now. The broker dies before the reply reaches the kiosk
        # (an acknowledged message in a broker without persistence is gone with it): drop the reply
        # and restart the broker, so the kiosk must reconnect and resend.
        if req.op == Op.TICKET_ISSUE and not restarted.is_set():
            restarted.set()
            outage_demo.drop_replies[Op.TICKET_ISSUE.value] = 1
            fresh_broker.restart(down_for=0.2)

    outage_demo.on_handled = restart_before_reply
    k.model.take_ticket()
    screen = k.model.screen
    assert restarted.is_set()
    assert isinstance(screen, TicketScreen) and screen.printed
    ids = issue_requests(outage_demo)
    assert len(ids) >= 2 and len(set(ids)) == 1
    assert len(outage_demo.tickets) == 1
    printed = k.printer.core.wait_output(lambda out: b"\x1dV" in out)
    assert len(events_of(printed, Cut)) == 1


# --- the catalog probe and the printer poll -------------------------------------------------------


def test_catalog_is_cached_on_disk_and_refreshed_when_the_etag_changes(
    demo: DemoServer, kiosk_factory: KioskFactory
) -> None:
    from kiosk.demo_server import demo_catalog
    from queue_server.protocol.messages import MatterInfo

    k = kiosk_factory(device_id="kiosk-c")
    wait_for(lambda: home_ready(k.model))
    cached = json.loads((k.data_dir / "catalog.json").read_text())
    assert cached["etag"] == "demo-1"
    k.close()

    # A restart has the catalog from the cache while the server is silent (and says it is out).
    demo.silent = True
    again = kiosk_factory(device_id="kiosk-c", data_dir=k.data_dir, settings=FAST)
    assert again.model.catalog.etag == "demo-1"
    assert [m.code for m in again.model.catalog.search("sfz")] == ["C-001"]
    assert screen_of(again.model, OutOfServiceScreen).reasons == ("取号系统暂时无法连接",)

    # The server publishes a new catalog version: the kiosk asks with its etag and gets it.
    demo.silent = False
    new = demo_catalog(etag="demo-2")
    extra = new.matters[0].model_copy(update={"code": "A-009", "name": "灵活就业人员参保登记"})
    demo.catalog = new.model_copy(update={"matters": [*new.matters, extra]})
    demo.publish_state()
    wait_for(
        lambda: (
            again.model.state.hall_state is not None and again.model.state.hall_state.catalog_etag == "demo-2"
        )
    )
    again.clock.advance(again.model.settings.probe_retry_s)
    again.model.tick()
    assert view_of(again.model) is View.HOME
    assert again.model.catalog.etag == "demo-2"
    assert isinstance(again.model.catalog.matter("A-009"), MatterInfo)
    assert json.loads((again.data_dir / "catalog.json").read_text())["etag"] == "demo-2"
    gets = [r for r in demo.requests_seen if r.op == Op.CATALOG_GET]
    assert gets[-1].args == {"etag": "demo-1"}


def test_printer_states_map_to_out_of_service_reasons(demo: DemoServer, kiosk_factory: KioskFactory) -> None:
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    for state, reason in [
        (SimulatedPrinterState.PAPER_OUT, "打印纸已用完"),
        (SimulatedPrinterState.COVER_OPEN, "打印机仓盖未关闭"),
        (SimulatedPrinterState.ERROR, "打印机未连接"),
    ]:
        k.printer.state = state
        k.model.refresh_printer()
        assert screen_of(k.model, OutOfServiceScreen).reasons == (reason,), state
    k.printer.state = SimulatedPrinterState.PAPER_NEAR_END
    k.model.refresh_printer()
    assert view_of(k.model) is View.HOME  # near end still prints
