"""The ticket flow (``kiosk.flows.issuing``): the priority options page with the ID card, the server's
refusal, and the ticket rule (one citizen, one ticket, one print) across lost replies and restarts.
On a real broker, a contract-speaking server and a simulated ESC/POS printer."""

from __future__ import annotations

import json
from datetime import date

from devices.scanner import classify
from kiosk.demo_server import DemoServer
from kiosk.flows.core import STILL_ISSUING_TEXT
from kiosk.hardware import read_of
from kiosk.model import KioskSettings
from kiosk.outbox import EntryState
from kiosk.ports import IdRead
from kiosk.screens import (
    GuideDeskScreen,
    IssuingScreen,
    OptionsScreen,
    RefusedScreen,
    TicketScreen,
    View,
)
from queue_server.protocol.messages import Op
from tests.devices.escpos_decoder import Cut, events_of, texts

from .conftest import FAST, KioskFactory, screen_of, view_of, wait_for
from .helpers import (
    ID_KEY,
    OLD_ID,
    YOUNG_ID,
    home_ready,
    issue_requests,
    journal_state,
    scanned,
    to_options_via_materials,
)

# --- priority and the ID card ---------------------------------------------------------------------


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


# --- the ticket rule: one citizen, one ticket, one print ------------------------------------------


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


def test_a_failover_longer_than_the_first_attempts_still_prints_the_one_ticket(
    demo: DemoServer, kiosk_factory: KioskFactory
) -> None:
    """Issue 13: the server that committed the ticket dies before its reply leaves, and its halls move
    for longer than the first attempts (2 x 1 s here). The kiosk asks the citizen to wait and goes on
    with the same id; the next server answers from the stored reply: one ticket, printed once."""
    demo.drop_replies = {Op.TICKET_ISSUE.value: 3}  # the ticket issued at the first, 3 replies lost
    patient = KioskSettings(issue_timeout_s=1.0, issue_attempts=2, issue_patience_s=5.0, probe_timeout_s=3.0)
    k = kiosk_factory(settings=patient)
    wait_for(lambda: home_ready(k.model))
    to_options_via_materials(k.model)
    k.model.toggle_voice()
    seen: list[object] = []
    k.model.on_change(lambda: seen.append(k.model.screen))
    k.model.take_ticket()
    screen = k.model.screen
    assert isinstance(screen, TicketScreen) and screen.printed
    waiting = [s for s in seen if isinstance(s, IssuingScreen) and s.message == STILL_ISSUING_TEXT]
    assert waiting and waiting[0].target_name  # asked to wait, for the same business
    assert STILL_ISSUING_TEXT in k.voice.said
    ids = issue_requests(demo)
    assert len(ids) >= 4 and set(ids) == {ids[0]}  # 2 attempts, then more with the same id
    assert len(demo.tickets) == 1
    printed = k.printer.core.wait_output(lambda out: b"\x1dV" in out)
    assert len(events_of(printed, Cut)) == 1


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
    ids = issue_requests(demo)
    assert len(ids) == 5 and len(set(ids)) == 1  # retried for the whole patience, always the same id
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
