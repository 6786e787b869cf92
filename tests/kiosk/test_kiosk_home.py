"""The home flow (``kiosk.flows.home``): services and waiting counts, search, what the config offers,
the elderly mode with its voice prompts, and the idle reset. On a real broker, a contract-speaking
server and a simulated ESC/POS printer; no window: the model is plain Python."""

from __future__ import annotations

import logging

import pytest

from kiosk.demo_server import DemoServer
from kiosk.screens import (
    HomeScreen,
    MissingScreen,
    OptionsScreen,
    RefusedScreen,
    TicketScreen,
    View,
)

from .conftest import KioskFactory, screen_of, view_of, wait_for
from .helpers import (
    OLD_ID,
    home_ready,
    issue_requests,
    rule_widths,
    scanned,
    to_options_via_materials,
)

# --- home -----------------------------------------------------------------------------------------


def test_home_shows_services_waiting_counts_and_closed_reason(
    demo: DemoServer, kiosk_factory: KioskFactory
) -> None:
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model), what="home with services")
    screen = k.model.screen
    assert isinstance(screen, HomeScreen)
    tiles = {t.code: t for t in screen.tiles}
    assert tiles["A"].open and tiles["A"].status_text == "等候 12 人 · 约 18 分钟"
    assert not tiles["D"].open
    assert tiles["D"].status_text.startswith("今日取号已截止 · ")
    assert tiles["D"].status_text.endswith("08:30 开始取号")
    assert screen.hall_name == "示范市政务服务中心"

    # A closed service explains itself and issues nothing.
    k.model.open_service("D")
    refused = k.model.screen
    assert isinstance(refused, RefusedScreen)
    assert "今日取号已截止" in refused.message
    assert issue_requests(demo) == []


def test_waiting_counts_follow_the_retained_hall_state(demo: DemoServer, kiosk_factory: KioskFactory) -> None:
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    demo.publish_state(waiting={"A": 40}, eta_min={"A": 55})
    wait_for(
        lambda: "等候 40 人 · 约 55 分钟" in [t.status_text for t in screen_of(k.model, HomeScreen).tiles]
    )


def test_config_limits_the_services_shown(
    demo: DemoServer, kiosk_factory: KioskFactory, caplog: pytest.LogCaptureFixture
) -> None:
    from queue_server.protocol import topics
    from queue_server.protocol.messages import DeviceConfig

    k = kiosk_factory()
    config = topics.dev_config(demo.hall, "kiosk-1")
    small = DeviceConfig(
        version=1,
        kind="kiosk",
        services=["B", "C"],
        printer_width_mm=58,
        hall_name="示范市政务服务中心（东区）",
    )
    demo.link.publish_and_wait(config, small, retain=True)
    wait_for(lambda: [t.code for t in getattr(k.model.screen, "tiles", ())] == ["B", "C"])
    assert k.model.hall_name == "示范市政务服务中心（东区）"
    k.model.open_service("A")  # not offered here: no button, and no way to it
    assert view_of(k.model) is View.HOME
    # Nor through its matters: search finds none of A's, and opening one by code does nothing.
    k.model.set_search("养老")
    assert [h.code for h in screen_of(k.model, HomeScreen).results if h.code.startswith("A-")] == []
    k.model.open_matter("A-001")
    assert view_of(k.model) is View.HOME
    k.model.set_search("")

    # Its tickets are laid out for the paper the config names.
    k.model.open_service("B")
    k.model.take_service_ticket()
    k.model.take_ticket()
    assert isinstance(k.model.screen, TicketScreen)
    assert rule_widths(k.printer.core.wait_output(lambda out: b"\x1dV" in out)) == {32}
    k.printer.core.clear()
    k.model.home()

    wide = DeviceConfig(version=2, kind="kiosk", services=[], printer_width_mm=80)
    demo.link.publish_and_wait(config, wide, retain=True)
    wait_for(lambda: len(getattr(k.model.screen, "tiles", ())) == 4, what="every service again")
    k.model.open_service("B")
    k.model.take_service_ticket()
    k.model.take_ticket()
    assert rule_widths(k.printer.core.wait_output(lambda out: b"\x1dV" in out)) == {48}
    k.printer.core.clear()
    k.model.home()

    # An older config arriving late (a broker's retained copy, a lagging server) changes nothing.
    with caplog.at_level(logging.INFO, logger="kiosk"):
        demo.link.publish_and_wait(config, small, retain=True)
        wait_for(lambda: "config version 1 ignored" in caplog.text, what="the stale config dropped")
    assert len(getattr(k.model.screen, "tiles", ())) == 4
    k.model.open_service("B")
    k.model.take_service_ticket()
    k.model.take_ticket()
    assert rule_widths(k.printer.core.wait_output(lambda out: b"\x1dV" in out)) == {48}


def test_search_finds_matters_by_chinese_and_pinyin_initials(
    demo: DemoServer, kiosk_factory: KioskFactory
) -> None:
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    for query, expected in [
        ("sfz", "C-001"),
        ("SFZ", "C-001"),
        ("养老", "A-001"),
        ("bdc", "B-001"),
        ("yiliao", "A-002"),
        ("jmsfzhl", "C-001"),
    ]:
        k.model.set_search(query)
        screen = k.model.screen
        assert isinstance(screen, HomeScreen)
        assert [h.code for h in screen.results][:1] == [expected], query
    k.model.set_search("xyzxyz")
    assert screen_of(k.model, HomeScreen).results == ()
    # The on-screen keyboard sends one letter at a time.
    k.model.set_search("")
    for ch in "bdc":
        k.model.type_search(ch)
    assert [h.code for h in screen_of(k.model, HomeScreen).results] == ["B-001"]
    k.model.backspace_search()
    assert screen_of(k.model, HomeScreen).query == "bd"


@pytest.mark.parametrize("query", ["", "  "])
def test_empty_search_shows_no_results(demo: DemoServer, kiosk_factory: KioskFactory, query: str) -> None:
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    k.model.set_search(query)
    assert screen_of(k.model, HomeScreen).results == ()


# --- elderly mode and idle ------------------------------------------------------------------------


def test_idle_timeout_goes_home_and_forgets_the_citizen(
    demo: DemoServer, kiosk_factory: KioskFactory
) -> None:
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    k.model.toggle_elderly()
    to_options_via_materials(k.model)
    k.model.scan(scanned(OLD_ID))
    assert screen_of(k.model, OptionsScreen).id_read
    k.clock.advance(k.model.settings.idle_timeout_s + 1)
    k.model.tick()
    assert view_of(k.model) is View.OPTIONS  # elderly mode gives twice the time
    k.clock.advance(k.model.settings.elderly_idle_timeout_s)
    k.model.tick()
    assert view_of(k.model) is View.HOME
    assert not k.model.elderly and not k.model.voice_on
    # Nothing of the previous citizen is left: the next one starts clean.
    to_options_via_materials(k.model, tick=())
    missing = k.model.screen
    assert isinstance(missing, MissingScreen) and len(missing.missing) == 3
    k.model.queue_anyway()
    options = k.model.screen
    assert isinstance(options, OptionsScreen) and not options.id_read and options.selected is None


def test_activity_postpones_the_idle_reset(demo: DemoServer, kiosk_factory: KioskFactory) -> None:
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    k.model.open_service("A")
    k.model.open_matter("A-001")
    k.clock.advance(k.model.settings.idle_timeout_s - 5)
    k.model.touch()  # scrolling the disclosures
    k.clock.advance(10)
    k.model.tick()
    assert view_of(k.model) is View.MATTER


def test_ticket_screen_returns_home_by_itself(demo: DemoServer, kiosk_factory: KioskFactory) -> None:
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    to_options_via_materials(k.model)
    k.model.take_ticket()
    assert view_of(k.model) is View.TICKET
    k.clock.advance(k.model.settings.result_screen_s + 1)
    k.model.tick()
    assert view_of(k.model) is View.HOME


def test_elderly_mode_speaks_prompts(demo: DemoServer, kiosk_factory: KioskFactory) -> None:
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    k.model.open_service("A")
    assert k.voice.said == []  # silent by default
    k.model.home()
    k.model.toggle_elderly()
    assert k.model.elderly and k.model.voice_on
    to_options_via_materials(k.model)
    k.model.take_ticket()
    assert k.voice.said[0] == "欢迎使用自助取号机，请选择要办理的业务"
    assert "请逐项核对您带齐的材料，已带的请打勾" in k.voice.said
    assert k.voice.said[-1] == "您的号码是A001，前面还有12人，请留意叫号"
    k.model.toggle_voice()
    assert not k.model.voice_on and k.model.elderly
