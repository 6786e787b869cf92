"""The matter flow (``kiosk.flows.matter``): a service, a matter's page, the materials check (tapped or
scanned), the one-time notice and the checklist, up to the ticket. On a real broker, a
contract-speaking server and a simulated ESC/POS printer."""

from __future__ import annotations

from kiosk.demo_server import DemoServer
from kiosk.outbox import EntryState
from kiosk.screens import (
    MaterialsScreen,
    MatterScreen,
    MissingScreen,
    NoticePrintedScreen,
    OptionsScreen,
    ServiceScreen,
    TicketScreen,
    View,
)
from queue_server.protocol.messages import Op
from tests.devices.escpos_decoder import Cut, events_of, texts

from .conftest import KioskFactory, screen_of, view_of, wait_for
from .helpers import (
    home_ready,
    issue_requests,
    scanned,
    to_options_via_materials,
)


def test_matter_page_shows_the_eight_disclosures(demo: DemoServer, kiosk_factory: KioskFactory) -> None:
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    k.model.open_service("A")
    assert isinstance(k.model.screen, ServiceScreen)
    k.model.open_matter("A-001")
    screen = k.model.screen
    assert isinstance(screen, MatterScreen)
    labels = [s.label for s in screen.sections]
    assert labels == [
        "事项内容",
        "设定依据",
        "申请条件",
        "申请材料",
        "办理流程",
        "承诺时限",
        "收费标准",
        "办理结果",
    ]
    texts_by_label = {s.label: s.text for s in screen.sections}
    assert "社会保险法" in texts_by_label["设定依据"]
    assert "1. 居民身份证原件（必需）" in texts_by_label["申请材料"]
    assert "视情况提供" in texts_by_label["申请材料"]
    assert screen.can_queue


def test_ticket_with_all_materials_checked_prints_the_servers_ticket(
    demo: DemoServer, kiosk_factory: KioskFactory
) -> None:
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    to_options_via_materials(k.model)
    assert isinstance(k.model.screen, OptionsScreen)  # nothing missing: straight on
    k.model.take_ticket()
    screen = k.model.screen
    assert isinstance(screen, TicketScreen) and screen.printed
    assert screen.ticket.number == "A001"

    # The checked list travelled with the request and came back for the paper.
    (req,) = [r for r in demo.requests_seen if r.op == Op.TICKET_ISSUE]
    assert req.args["materials"] == ["FORM-A1", "HUKOU", "ID"]
    assert req.args["matter"] == "A-001"
    assert len(demo.tickets) == 1

    printed = k.printer.core.wait_output(lambda out: b"\x1dV" in out)
    lines = texts(printed)
    assert "A001" in lines
    assert "示范市政务服务中心" in lines
    assert "前面还有 12 人" in lines
    assert any("居民身份证原件" in line for line in lines)
    assert len(events_of(printed, Cut)) == 1
    assert k.model.outbox.get(req.id).state is EntryState.PRINTED


def test_missing_materials_offer_the_one_time_notice_of_all_of_them(
    demo: DemoServer, kiosk_factory: KioskFactory
) -> None:
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    to_options_via_materials(k.model, tick=("ID",))
    missing = k.model.screen
    assert isinstance(missing, MissingScreen)
    assert missing.missing == (
        "户口簿原件",
        "城乡居民基本养老保险参保登记表",
    )  # the optional photo is not listed

    k.model.print_missing_notice()
    done = k.model.screen
    assert isinstance(done, NoticePrintedScreen) and done.printed and done.can_queue
    lines = texts(k.printer.core.wait_output(lambda out: b"\x1dV" in out))
    joined = "\n".join(lines)
    assert "一次性告知书" in joined
    assert "户口簿原件" in joined and "城乡居民基本养老保险参保登记表" in joined
    assert "居民身份证原件" not in joined  # it was ticked
    assert "社会保险法" in joined  # the legal basis of the matter
    assert issue_requests(demo) == []  # a notice is not a ticket

    # Queue anyway after all: the partial checklist goes with the ticket.
    k.model.queue_anyway()
    k.model.take_ticket()
    assert isinstance(k.model.screen, TicketScreen)
    (req,) = [r for r in demo.requests_seen if r.op == Op.TICKET_ISSUE]
    assert req.args["materials"] == ["ID"]
    ticket = next(iter(demo.tickets.values()))
    assert [m.code for m in ticket.materials if m.checked] == ["ID"]


def test_materials_can_be_ticked_by_scanning_their_barcode(
    demo: DemoServer, kiosk_factory: KioskFactory
) -> None:
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    k.model.open_service("A")
    k.model.open_matter("A-001")
    k.model.start_materials()
    k.model.scan(scanned("HUKOU"))
    screen = k.model.screen
    assert isinstance(screen, MaterialsScreen)
    assert [line.code for line in screen.lines if line.checked] == ["HUKOU"]
    assert screen.message == "已确认：户口簿原件"
    k.model.scan(scanned("SOMETHING-ELSE"))
    assert "不属于本事项" in screen_of(k.model, MaterialsScreen).message


def test_checklist_only_prints_the_list_without_queueing(
    demo: DemoServer, kiosk_factory: KioskFactory
) -> None:
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    k.model.open_checklist()
    assert view_of(k.model) is View.PICK
    k.model.open_matter("B-001")
    assert isinstance(k.model.screen, MaterialsScreen)
    k.model.print_missing_notice()
    done = k.model.screen
    assert isinstance(done, NoticePrintedScreen) and done.printed and not done.can_queue
    joined = "\n".join(texts(k.printer.core.wait_output(lambda out: b"\x1dV" in out)))
    assert "材料清单" in joined and "不动产测绘报告" in joined
    assert issue_requests(demo) == []


def test_service_without_a_matter_queues_directly(demo: DemoServer, kiosk_factory: KioskFactory) -> None:
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    k.model.open_service("B")
    k.model.take_service_ticket()
    k.model.take_ticket()
    screen = k.model.screen
    assert isinstance(screen, TicketScreen) and screen.ticket.number == "B001"
    (req,) = [r for r in demo.requests_seen if r.op == Op.TICKET_ISSUE]
    assert req.args == {"service": "B", "materials": []}
