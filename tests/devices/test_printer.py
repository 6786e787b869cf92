"""The Printer service against simulated printers on a pty and on a TCP socket."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from devices.escpos import commands as c
from devices.printer import (
    FileTransportConfig,
    NetworkTransportConfig,
    PaperLayout,
    Printer,
    PrinterConfig,
    PrinterNotReadyError,
    PrinterOfflineError,
    PrinterStatus,
    PrinterWriteError,
    SerialTransport,
    SerialTransportConfig,
    TicketPrint,
    decode_status,
    open_printer,
    render_ticket,
)
from devices.simulators import STATUS_REPLIES, PtyPrinterSimulator, SimulatedPrinterState, TcpPrinterSimulator
from tests.devices.escpos_decoder import Cut, Qr, StatusQuery, decode, events_of, texts

STATE_TO_STATUS = [
    (SimulatedPrinterState.OK, PrinterStatus.OK),
    (SimulatedPrinterState.PAPER_NEAR_END, PrinterStatus.PAPER_NEAR_END),
    (SimulatedPrinterState.PAPER_OUT, PrinterStatus.PAPER_OUT),
    (SimulatedPrinterState.COVER_OPEN, PrinterStatus.COVER_OPEN),
    (SimulatedPrinterState.ERROR, PrinterStatus.OFFLINE),
    (SimulatedPrinterState.SILENT, PrinterStatus.UNKNOWN),
]
QUICK = 0.3  # status timeout: a silent printer costs this much per test


def ends_with_cut(data: bytes) -> bool:
    return data.endswith(c.cut())


@pytest.fixture(params=["pty", "tcp"])
def simulated(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[PtyPrinterSimulator | TcpPrinterSimulator, PrinterConfig]]:
    """The same printer simulator behind a serial pty and behind a TCP socket, with a config for each."""
    sim: PtyPrinterSimulator | TcpPrinterSimulator
    if request.param == "pty":
        sim = PtyPrinterSimulator(tmp_path)
        transport: SerialTransportConfig | NetworkTransportConfig = SerialTransportConfig(path=sim.path)
    else:
        sim = TcpPrinterSimulator()
    with sim:
        if isinstance(sim, TcpPrinterSimulator):
            transport = NetworkTransportConfig(host=sim.host, port=sim.port, connect_timeout_s=1.0)
        yield sim, PrinterConfig(transport=transport, status_timeout_s=QUICK)


@pytest.mark.parametrize(("state", "expected"), STATE_TO_STATUS)
def test_status_mapping_against_the_simulator(
    simulated: tuple[PtyPrinterSimulator | TcpPrinterSimulator, PrinterConfig],
    state: SimulatedPrinterState,
    expected: PrinterStatus,
) -> None:
    sim, config = simulated
    sim.state = state
    with open_printer(config) as printer:
        assert printer.status() is expected
    assert sim.core.status_queries == 3
    assert sim.output == b""  # status queries are not print data


def test_status_follows_state_changes(
    simulated: tuple[PtyPrinterSimulator | TcpPrinterSimulator, PrinterConfig],
) -> None:
    sim, config = simulated
    with open_printer(config) as printer:
        assert printer.status() is PrinterStatus.OK
        sim.state = SimulatedPrinterState.COVER_OPEN
        assert printer.status() is PrinterStatus.COVER_OPEN
        sim.state = SimulatedPrinterState.OK
        assert printer.status() is PrinterStatus.OK


def test_ticket_reaches_the_printer_intact(
    simulated: tuple[PtyPrinterSimulator | TcpPrinterSimulator, PrinterConfig], ticket: TicketPrint
) -> None:
    sim, config = simulated
    with open_printer(config) as printer:
        printer.print_ticket(ticket)
    received = sim.core.wait_output(ends_with_cut)
    assert received == render_ticket(ticket, PaperLayout.mm80())
    lines = texts(received)
    assert "固原市政务服务中心" in lines and "A023" in lines
    assert events_of(received, Qr)[0].payload.startswith(b"https://")
    assert events_of(received, Cut) == [Cut(partial=True)]
    assert not events_of(received, StatusQuery)


@pytest.mark.parametrize("state", [SimulatedPrinterState.PAPER_OUT, SimulatedPrinterState.COVER_OPEN])
def test_a_printer_that_cannot_print_refuses_the_job_and_gets_nothing(
    simulated: tuple[PtyPrinterSimulator | TcpPrinterSimulator, PrinterConfig],
    state: SimulatedPrinterState,
    ticket: TicketPrint,
) -> None:
    sim, config = simulated
    sim.state = state
    with open_printer(config) as printer, pytest.raises(PrinterNotReadyError) as caught:
        printer.print_ticket(ticket)
    assert caught.value.detail["status"] is decode_status(bytes(_replies(state)))
    assert caught.value.code == "printer_not_ready"
    assert sim.output == b""


def _replies(state: SimulatedPrinterState) -> list[int]:
    return [STATUS_REPLIES[state][n] for n in (1, 2, 4)]


def test_paper_near_end_still_prints(
    simulated: tuple[PtyPrinterSimulator | TcpPrinterSimulator, PrinterConfig], ticket: TicketPrint
) -> None:
    sim, config = simulated
    sim.state = SimulatedPrinterState.PAPER_NEAR_END
    with open_printer(config) as printer:
        printer.print_ticket(ticket)
    assert ends_with_cut(sim.core.wait_output(ends_with_cut))


def test_a_silent_printer_is_unknown_and_prints_unless_status_is_required(
    simulated: tuple[PtyPrinterSimulator | TcpPrinterSimulator, PrinterConfig], ticket: TicketPrint
) -> None:
    sim, config = simulated
    sim.state = SimulatedPrinterState.SILENT
    with open_printer(config.model_copy(update={"require_status": True})) as strict:
        with pytest.raises(PrinterNotReadyError):
            strict.print_ticket(ticket)
        assert sim.output == b""
    with open_printer(config) as lenient:
        assert lenient.status() is PrinterStatus.UNKNOWN
        lenient.print_ticket(ticket)
    assert ends_with_cut(sim.core.wait_output(ends_with_cut))


def test_connection_refused_is_offline_and_printing_raises(refused_port: int, ticket: TicketPrint) -> None:
    config = PrinterConfig(
        transport=NetworkTransportConfig(host="127.0.0.1", port=refused_port, connect_timeout_s=0.5)
    )
    with open_printer(config) as printer:
        assert printer.status() is PrinterStatus.OFFLINE
        with pytest.raises(PrinterOfflineError):
            printer.print_ticket(ticket)
        printer.check_before_print = False
        with pytest.raises(PrinterOfflineError):
            printer.print_job(b"\x1b@")


def test_unplugged_serial_printer_is_offline_and_printing_raises(
    pty_printer: PtyPrinterSimulator, ticket: TicketPrint
) -> None:
    config = PrinterConfig(transport=SerialTransportConfig(path=pty_printer.path), status_timeout_s=QUICK)
    with open_printer(config) as printer:
        assert printer.status() is PrinterStatus.OK
        pty_printer.unplug()
        assert printer.status() is PrinterStatus.OFFLINE
        with pytest.raises(PrinterOfflineError):
            printer.print_ticket(ticket)
        pty_printer.plug()
        assert printer.status() is PrinterStatus.OK  # the transport reopens by itself
        printer.print_ticket(ticket)
    assert ends_with_cut(pty_printer.core.wait_output(ends_with_cut))


def test_unplug_between_check_and_write_raises_a_write_error(
    pty_printer: PtyPrinterSimulator, ticket: TicketPrint
) -> None:
    config = PrinterConfig(
        transport=SerialTransportConfig(path=pty_printer.path),
        status_timeout_s=QUICK,
        check_before_print=False,
    )
    with open_printer(config) as printer:
        printer.print_job(c.ESC_INIT)  # the port is open now
        pty_printer.core.wait_output(lambda b: b == c.ESC_INIT)
        pty_printer.unplug()
        with pytest.raises(PrinterWriteError):
            printer.print_ticket(ticket)


def test_printer_that_vanished_on_the_network_raises(ticket: TicketPrint) -> None:
    sim = TcpPrinterSimulator().start()
    config = PrinterConfig(
        transport=NetworkTransportConfig(host=sim.host, port=sim.port, connect_timeout_s=0.5)
    )
    printer = open_printer(config)
    assert printer.status() is PrinterStatus.OK
    sim.stop()
    assert printer.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterOfflineError):
        printer.print_ticket(ticket)


def test_file_transport_prints_and_never_claims_ok(tmp_path: Path, ticket: TicketPrint) -> None:
    target = tmp_path / "lp0"
    target.touch()
    with open_printer(PrinterConfig(transport=FileTransportConfig(path=str(target)))) as printer:
        assert printer.status() is PrinterStatus.UNKNOWN
        printer.print_ticket(ticket)
        printer.print_ticket(ticket)
    data = target.read_bytes()
    assert list(decode(data)).count(Cut(partial=True)) == 2  # appended, no status bytes mixed in


def test_file_transport_to_a_missing_device_is_offline(tmp_path: Path, ticket: TicketPrint) -> None:
    missing = tmp_path / "usb" / "lp0"
    with open_printer(PrinterConfig(transport=FileTransportConfig(path=str(missing)))) as printer:
        assert printer.status() is PrinterStatus.OFFLINE
        with pytest.raises(PrinterOfflineError):
            printer.print_ticket(ticket)
    assert not missing.exists()  # never created by us


def test_printer_from_parts(pty_printer: PtyPrinterSimulator) -> None:
    printer = Printer(SerialTransport(pty_printer.path), PaperLayout.mm58(), status_timeout=QUICK)
    try:
        assert printer.status() is PrinterStatus.OK
        assert printer.layout.columns == 32
    finally:
        printer.close()


# --- pure status decoding --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (bytes([0x12, 0x12, 0x12]), PrinterStatus.OK),
        (bytes([0x12, 0x12, 0x1E]), PrinterStatus.PAPER_NEAR_END),
        (bytes([0x12, 0x12, 0x16]), PrinterStatus.PAPER_NEAR_END),  # one near-end sensor bit
        (bytes([0x1A, 0x32, 0x7E]), PrinterStatus.PAPER_OUT),
        (bytes([0x12, 0x12, 0x72]), PrinterStatus.PAPER_OUT),
        (bytes([0x1A, 0x16, 0x12]), PrinterStatus.COVER_OPEN),
        (bytes([0x1A, 0x36, 0x7E]), PrinterStatus.COVER_OPEN),  # cover open wins over paper out
        (bytes([0x1A, 0x12, 0x12]), PrinterStatus.OFFLINE),
        (bytes([0x12, 0x52, 0x12]), PrinterStatus.OFFLINE),  # error
        (b"", PrinterStatus.UNKNOWN),
        (bytes([0x12, 0x12]), PrinterStatus.UNKNOWN),  # answered only two of three
        (bytes([0x00, 0x00, 0x00]), PrinterStatus.UNKNOWN),  # fixed bits wrong: not a status byte
        (bytes([0xFF, 0x12, 0x12]), PrinterStatus.UNKNOWN),
    ],
)
def test_decode_status(reply: bytes, expected: PrinterStatus) -> None:
    assert decode_status(reply) is expected


def test_can_print() -> None:
    assert {s for s in PrinterStatus if s.can_print} == {PrinterStatus.OK, PrinterStatus.PAPER_NEAR_END}


# --- config ----------------------------------------------------------------------------------


def test_config_picks_transport_by_kind_and_forbids_unknown_fields() -> None:
    config = PrinterConfig.model_validate(
        {"transport": {"kind": "network", "host": "10.0.0.9"}, "width_mm": 58, "chinese_mode": "image"}
    )
    assert isinstance(config.transport, NetworkTransportConfig)
    assert config.transport.port == 9100
    assert config.layout() == PaperLayout.mm58(chinese_mode="image")
    with pytest.raises(ValidationError):
        PrinterConfig.model_validate({"transport": {"kind": "network", "host": "h", "colour": "red"}})
    with pytest.raises(ValidationError):
        PrinterConfig.model_validate({"transport": {"kind": "file"}, "width_mm": 76})
    with pytest.raises(ValidationError):
        PrinterConfig.model_validate({"transport": {"kind": "file"}, "chinese_mode": "latin"})
    with pytest.raises(ValidationError):
        PrinterConfig.model_validate({"transport": {"kind": "carrier-pigeon"}})
