"""Every citizen flow of the kiosk view model, on a real broker, a contract-speaking server and a
simulated ESC/POS printer. No window: the model is plain Python."""

from __future__ import annotations

import json
import logging
from datetime import date

import pytest

from devices.scanner import classify
from devices.simulators import SimulatedPrinterState
from kiosk.demo_server import Appointment, DemoServer
from kiosk.hardware import read_of
from kiosk.outbox import EntryState
from kiosk.ports import IdRead, Read
from kiosk.screens import (
    CheckinLateScreen,
    CheckinScreen,
    GuideDeskScreen,
    HomeScreen,
    MaterialsScreen,
    MatterScreen,
    MissingScreen,
    NoticePrintedScreen,
    OptionsScreen,
    OutOfServiceScreen,
    RefusedScreen,
    ServiceScreen,
    TicketScreen,
    View,
)
from queue_server.protocol.messages import Op
from tests.devices.escpos_decoder import Cut, events_of, texts

from .conftest import FAST, Kiosk, KioskFactory, screen_of, view_of, wait_for

ID_KEY = b"k" * 32


def resident_id(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


OLD_ID = resident_id("11010119500307002")  # born 1950-03-07: 76 in 2026
YOUNG_ID = resident_id("11010119900307002")


def scanned(code: str) -> Read:
    """What the model learns from scanning ``code`` (every code a test scans is one it has a use for)."""
    read = read_of(classify(code), ID_KEY)
    assert read is not None, code
    return read


def journal_state(kiosk: Kiosk, request_id: str) -> EntryState:
    """Where the outbox journal has the request now (it must hold it)."""
    entry = kiosk.model.outbox.get(request_id)
    assert entry is not None, request_id
    return entry.state


def issue_requests(demo: DemoServer) -> list[str]:
    return [r.id for r in demo.requests_seen if r.op == Op.TICKET_ISSUE]


def home_ready(kiosk_model: object) -> bool:
    screen = getattr(kiosk_model, "screen", None)
    return isinstance(screen, HomeScreen) and bool(screen.tiles) and screen.catalog_ready


def to_options_via_materials(model: object, tick: tuple[str, ...] = ("ID", "HUKOU", "FORM-A1")) -> None:
    from kiosk.model import KioskModel

    assert isinstance(model, KioskModel)
    model.open_service("A")
    model.open_matter("A-001")
    model.start_materials()
    for code in tick:
        model.toggle_material(code)
    model.materials_done()


# --- home ----------------------------------------------------------------------------------------


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


def rule_widths(printed: bytes) -> set[int]:
    """The lengths of the printed ``-----`` separators: a rule spans the paper (32 columns on 58 mm)."""
    return {len(line) for line in texts(printed) if line and set(line) == {"-"}}


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


# --- materials and tickets ------------------------------------------------------------------------


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


# --- priority and the ID card ----------------------------------------------------------------------


def test_id_scan_offers_age_priority_and_the_number_never_leaves_the_kiosk(
    demo: DemoServer, kiosk_factory: KioskFactory
) -> None:
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    to_options_via_materials(k.model)
    read = read_of(classify(OLD_ID), ID_KEY)
    assert isinstance(read, IdRead) and read.birth_date == date(1950, 3, 7)
    k.model.scan(read)
    options = k.model.screen
    assert isinstance(options, OptionsScreen)
    assert options.id_read and options.age_priority and options.selected == "elderly"
    assert options.choices[0].code == "elderly" and options.choices[0].selected
    assert options.confirm_note == "已根据身份证为您选择老年人优先"
    k.model.take_ticket()
    assert isinstance(k.model.screen, TicketScreen)

    (req,) = [r for r in demo.requests_seen if r.op == Op.TICKET_ISSUE]
    assert req.args["priority"] == "elderly"
    assert req.args["birth_date"] == "1950-03-07"
    assert len(req.args["id_hash"]) == 64 and req.args["id_hash"] == read.id_hash
    wire = json.dumps([r.model_dump() for r in demo.requests_seen], ensure_ascii=False)
    assert OLD_ID not in wire and OLD_ID[:14] not in wire
    # Nothing on disk holds it either.
    for path in k.data_dir.rglob("*"):
        if path.is_file():
            assert OLD_ID.encode() not in path.read_bytes(), path


def test_younger_citizen_gets_no_age_priority(demo: DemoServer, kiosk_factory: KioskFactory) -> None:
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    to_options_via_materials(k.model)
    k.model.scan(scanned(YOUNG_ID))
    options = k.model.screen
    assert isinstance(options, OptionsScreen)
    assert options.id_read and not options.age_priority and options.selected is None
    assert "elderly" not in [c.code for c in options.choices]
    k.model.choose_priority("elderly")  # cannot be declared here
    assert screen_of(k.model, OptionsScreen).selected is None


def test_declared_priority_is_marked_for_confirmation_at_the_window(
    demo: DemoServer, kiosk_factory: KioskFactory
) -> None:
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    to_options_via_materials(k.model)
    k.model.choose_priority("military")
    options = k.model.screen
    assert isinstance(options, OptionsScreen) and options.selected == "military"
    assert "请在窗口出示相关证件确认" in options.confirm_note
    k.model.choose_priority("military")  # a second tap clears it
    assert screen_of(k.model, OptionsScreen).selected is None
    k.model.choose_priority("pregnant")
    k.model.take_ticket()
    ticket = k.model.screen
    assert isinstance(ticket, TicketScreen)
    assert ticket.confirm_note == "孕妇优先：请在窗口出示相关证件确认"
    (req,) = [r for r in demo.requests_seen if r.op == Op.TICKET_ISSUE]
    assert req.args["priority"] == "pregnant" and "id_hash" not in req.args


def test_priority_codes_are_the_servers() -> None:
    from kiosk import priority
    from queue_server.domain.priority import PriorityClass

    assert {o.code for o in priority.ALL} == {c.value for c in PriorityClass}
    for option in priority.ALL:
        server = PriorityClass(option.code)
        assert option.label == server.label_zh
        assert option.needs_confirmation == server.confirmation_needed


def test_server_refusal_is_shown_and_nothing_prints(demo: DemoServer, kiosk_factory: KioskFactory) -> None:
    demo.id_daily_limit = 0
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    to_options_via_materials(k.model)
    k.model.scan(scanned(YOUNG_ID))
    k.model.take_ticket()
    refused = k.model.screen
    assert isinstance(refused, RefusedScreen)
    assert refused.code == "id_daily_limit"
    assert refused.message == "您今日在该业务的取号次数已达上限。"
    assert k.printer.output == b""
    (rid,) = issue_requests(demo)
    assert journal_state(k, rid) is EntryState.REFUSED


# --- the ticket rule: one citizen, one ticket, one print --------------------------------------------


def test_lost_reply_is_resent_with_the_same_id_one_ticket_one_print(
    demo: DemoServer, kiosk_factory: KioskFactory
) -> None:
    demo.drop_replies = {Op.TICKET_ISSUE.value: 1}
    k = kiosk_factory(settings=FAST)
    wait_for(lambda: home_ready(k.model))
    to_options_via_materials(k.model)
    k.model.take_ticket()
    screen = k.model.screen
    assert isinstance(screen, TicketScreen) and screen.printed

    ids = issue_requests(demo)
    assert len(ids) >= 2 and len(set(ids)) == 1  # the same request id, sent again after the lost reply
    assert len(demo.tickets) == 1
    printed = k.printer.core.wait_output(lambda out: b"\x1dV" in out)
    assert len(events_of(printed, Cut)) == 1
    assert texts(printed).count(screen.ticket.number) == 1


def test_server_that_never_answers_sends_the_citizen_to_the_guide_desk(
    demo: DemoServer, kiosk_factory: KioskFactory
) -> None:
    k = kiosk_factory(settings=FAST)
    wait_for(lambda: home_ready(k.model))
    to_options_via_materials(k.model)
    demo.silent = True
    k.model.take_ticket()
    screen = k.model.screen
    assert isinstance(screen, GuideDeskScreen)
    assert "请到导办台咨询" in screen.message
    assert k.printer.output == b""  # never print without the server's reply
    ids = demo.requests_seen and issue_requests(demo)
    assert ids and len(set(ids)) == 1  # retried, always with the same id
    assert journal_state(k, ids[0]) is EntryState.ABANDONED

    # The kiosk now knows the server is unreachable: out of service once the result screen ends,
    # back in service when a probe gets an answer.
    assert not k.model.in_service
    k.model.home()
    assert view_of(k.model) is View.OUT_OF_SERVICE
    demo.silent = False
    k.clock.advance(10)
    k.model.tick()
    assert view_of(k.model) is View.HOME


def test_restart_mid_request_resends_the_same_id_and_prints_once(
    demo: DemoServer, kiosk_factory: KioskFactory
) -> None:
    """The journal a kiosk leaves when it dies after sending: the server issued, the reply was lost."""
    first = kiosk_factory(device_id="kiosk-r")
    wait_for(lambda: home_ready(first.model))
    demo.drop_replies = {Op.TICKET_ISSUE.value: 1}
    args = {"service": "C", "materials": []}
    rid = first.link.new_request_id()
    first.model.outbox.add(rid, Op.TICKET_ISSUE.value, args, first.clock.now().timestamp())
    first.link.device.send(Op.TICKET_ISSUE.value, args, rid)
    wait_for(lambda: len(demo.tickets) == 1, what="the server to issue")
    first.close()  # power cut: no reply, no print

    again = kiosk_factory(device_id="kiosk-r", data_dir=first.data_dir)
    screen = again.model.screen
    assert isinstance(screen, TicketScreen) and screen.printed
    assert screen.message.startswith("已为您补打")
    resent = issue_requests(demo)
    assert len(resent) >= 2 and set(resent) == {rid}
    assert len(demo.tickets) == 1
    printed = again.printer.core.wait_output(lambda out: b"\x1dV" in out)
    assert len(events_of(printed, Cut)) == 1
    assert journal_state(again, rid) is EntryState.PRINTED

    # A second restart finds nothing open: no third request, no second print.
    again.close()
    third = kiosk_factory(device_id="kiosk-r", data_dir=first.data_dir)
    assert view_of(third.model) is View.HOME
    assert issue_requests(demo) == resent
    assert len(events_of(third.printer.output, Cut)) == 1


def test_restart_prints_an_answered_ticket_without_asking_again_and_never_reprints(
    demo: DemoServer, kiosk_factory: KioskFactory
) -> None:
    from queue_server.protocol.messages import Response

    first = kiosk_factory(device_id="kiosk-s")
    wait_for(lambda: home_ready(first.model))
    answered = first.link.new_request_id()
    resp = first.link.request(
        Op.TICKET_ISSUE.value, {"service": "A"}, request_id=answered, timeout=2, attempts=1
    )
    first.model.outbox.add(answered, Op.TICKET_ISSUE.value, {"service": "A"}, first.clock.now().timestamp())
    first.model.outbox.answered(answered, resp, first.clock.now().timestamp())
    # Another one was being printed when the power went: paper may be out; never print it twice.
    printing = first.link.new_request_id()
    first.model.outbox.add(printing, Op.TICKET_ISSUE.value, {"service": "B"}, first.clock.now().timestamp())
    first.model.outbox.answered(printing, Response.success(printing, {"x": 1}), first.clock.now().timestamp())
    first.model.outbox.move(printing, EntryState.PRINTING, first.clock.now().timestamp())
    first.close()
    sent_before = len(demo.requests_seen)

    again = kiosk_factory(device_id="kiosk-s", data_dir=first.data_dir)
    screen = again.model.screen
    assert resp.result is not None
    assert isinstance(screen, TicketScreen) and screen.ticket.number == resp.result["number"]
    assert [r for r in demo.requests_seen[sent_before:] if r.op == Op.TICKET_ISSUE] == []
    assert len(events_of(again.printer.core.wait_output(lambda out: b"\x1dV" in out), Cut)) == 1
    assert journal_state(again, printing) is EntryState.PRINTING


def test_old_journal_entries_are_not_resent(demo: DemoServer, kiosk_factory: KioskFactory) -> None:
    first = kiosk_factory(device_id="kiosk-o")
    rid = first.link.new_request_id()
    long_ago = first.clock.now().timestamp() - 3600
    first.model.outbox.add(rid, Op.TICKET_ISSUE.value, {"service": "A"}, long_ago)
    first.close()
    again = kiosk_factory(device_id="kiosk-o", data_dir=first.data_dir)
    assert journal_state(again, rid) is EntryState.ABANDONED
    assert rid not in issue_requests(demo)
    assert again.printer.output == b""


# --- appointments ----------------------------------------------------------------------------------


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


# --- elderly mode and idle --------------------------------------------------------------------------


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


# --- catalog cache ------------------------------------------------------------------------------------


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
    wait_for(lambda: again.model._state is not None and again.model._state.catalog_etag == "demo-2")
    again.clock.advance(again.model.settings.probe_retry_s)
    again.model.tick()
    assert view_of(again.model) is View.HOME
    assert again.model.catalog.etag == "demo-2"
    assert isinstance(again.model.catalog.matter("A-009"), MatterInfo)
    assert json.loads((again.data_dir / "catalog.json").read_text())["etag"] == "demo-2"
    gets = [r for r in demo.requests_seen if r.op == Op.CATALOG_GET]
    assert gets[-1].args == {"etag": "demo-1"}


@pytest.mark.parametrize("query", ["", "  "])
def test_empty_search_shows_no_results(demo: DemoServer, kiosk_factory: KioskFactory, query: str) -> None:
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    k.model.set_search(query)
    assert screen_of(k.model, HomeScreen).results == ()


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
