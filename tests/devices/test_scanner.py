"""The scanner: resident ID validation, classification, privacy, and reconnecting after an unplug."""

from __future__ import annotations

import logging
import pickle
import queue
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.privacy import mask_name as device_mask_name
from devices.scanner import (
    AppointmentScan,
    InvalidReason,
    InvalidResidentIdError,
    InvalidResidentIdScan,
    NoticeScan,
    OtherScan,
    ResidentIdScan,
    Scan,
    ScanKind,
    Scanner,
    TicketScan,
    check_character,
    classify,
    id_hash,
    mask_id,
    notice_payload,
    parse_resident_id,
    ticket_payload,
)
from devices.simulators import ScannerSimulator
from harness.waiting import eventually, scaled
from queue_server.domain.idcard import check_character as server_check_character
from queue_server.domain.masking import mask_id_number, mask_name
from tests.devices.conftest import fast_port

# The worked example of GB 11643-1999 (check character X), and a Guyuan (6404) number.
STANDARD = "11010519491231002X"
GUYUAN_17 = "64040219900101123"
GUYUAN = GUYUAN_17 + check_character(GUYUAN_17)
KEY = b"hall-secret-key-0123456789abcdef"


# --- resident ID -----------------------------------------------------------------------------


def test_standard_example_with_x() -> None:
    rid = parse_resident_id(STANDARD)
    assert rid.birth_date == date(1949, 12, 31)
    assert rid.region_code == "110105"
    assert rid.province_code == "11"
    assert not rid.is_male  # sequence 002: even
    assert rid.reveal() == STANDARD


def test_lowercase_x_and_spaces_are_normalised() -> None:
    assert parse_resident_id(" 11010519491231002x\r").reveal() == STANDARD


def test_check_character_matches_the_server_implementation() -> None:
    for first17 in (STANDARD[:17], GUYUAN_17, "44030419851018004", "33010219990909123"):
        assert check_character(first17) == server_check_character(first17)


FIRST17 = r"(11|32|44|64)[0-9]{4}(19[0-9]{2}|200[0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}"


@given(st.from_regex(FIRST17, fullmatch=True))
def test_every_number_with_its_check_character_parses_and_no_other_does(first17: str) -> None:
    good = check_character(first17)
    assert parse_resident_id(first17 + good).reveal() == first17 + good
    for wrong in "0123456789X":
        if wrong != good:
            with pytest.raises(InvalidResidentIdError) as caught:
                parse_resident_id(first17 + wrong)
            assert caught.value.reason is InvalidReason.CHECKSUM


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105194912310021", InvalidReason.CHECKSUM),
        ("11010519491231002", InvalidReason.FORMAT),
        ("1101051949123100X2", InvalidReason.FORMAT),
        ("99010519491231002X", InvalidReason.REGION),
        ("110105194902300021", InvalidReason.BIRTH_DATE),  # 30 February
        ("110105180001010021", InvalidReason.BIRTH_DATE),
    ],
)
def test_invalid_numbers(number: str, reason: InvalidReason) -> None:
    with pytest.raises(InvalidResidentIdError) as caught:
        parse_resident_id(number)
    assert caught.value.reason is reason
    assert number not in str(caught.value)


def test_age_on_a_given_day() -> None:
    rid = parse_resident_id(STANDARD)  # born 1949-12-31
    assert rid.age_on(date(2009, 12, 30)) == 59
    assert rid.age_on(date(2009, 12, 31)) == 60


def test_the_number_never_shows_in_text_forms() -> None:
    rid = parse_resident_id(GUYUAN)
    for text in (str(rid), repr(rid), f"{rid}", f"{rid!r}", repr(ResidentIdScan(rid)), rid.masked):
        assert GUYUAN not in text
        assert GUYUAN[6:14] not in text  # not even the birth date digits
    assert rid.masked == "6404**********" + GUYUAN[-4:]
    with pytest.raises(TypeError):
        pickle.dumps(rid)


def test_mask_matches_the_server_and_the_brief() -> None:
    assert mask_id(STANDARD) == "1101**********002X"
    assert mask_id(GUYUAN) == mask_id_number(GUYUAN)
    for name in ("张三", "欧阳娜娜", "买买提·艾力", "李", "", "诸葛亮"):
        assert device_mask_name(name) == mask_name(name)


def test_id_hash_is_keyed_stable_and_normalised() -> None:
    h = id_hash(STANDARD, KEY)
    assert len(h) == 64 and int(h, 16) >= 0
    assert id_hash(STANDARD.lower(), KEY) == h
    assert id_hash(STANDARD, KEY + b"x") != h
    assert id_hash(GUYUAN, KEY) != h
    assert parse_resident_id(STANDARD).hash(KEY) == h
    assert STANDARD not in h
    with pytest.raises(ValueError, match="at least"):
        id_hash(STANDARD, b"short")


# --- classification --------------------------------------------------------------------------


def test_classify_kinds() -> None:
    assert isinstance(classify(STANDARD), ResidentIdScan)
    bad = classify("110105194912310021")
    assert isinstance(bad, InvalidResidentIdScan)
    assert bad.masked == "1101**********0021" and bad.reason is InvalidReason.CHECKSUM
    assert classify("YY20260306") == AppointmentScan("YY20260306")
    assert classify("yy 2026 0306") == AppointmentScan("YY20260306")
    assert classify("hallq://a/YY20260306") == AppointmentScan("YY20260306")
    assert classify("hallq://t/Qm9vX2Zvb19iYXJf") == TicketScan("Qm9vX2Zvb19iYXJf")
    assert classify("HALLQ://n/GY-20260306-0008") == NoticeScan("GY-20260306-0008")
    assert classify("6901234567892") == OtherScan("6901234567892")
    assert classify("hallq://x/whatever") == OtherScan("hallq://x/whatever")
    assert classify("hallq://t/a b") == OtherScan("hallq://t/a b")
    assert classify("YY2026030") == OtherScan("YY2026030")  # 7 digits


def test_classify_citizen_urls_only_for_the_halls_hosts() -> None:
    url = "https://hall.example.cn/t/Qm9vX2Zvb19iYXJf"
    assert classify(url) == OtherScan(url)
    assert classify(url, citizen_hosts=["hall.example.cn"]) == TicketScan("Qm9vX2Zvb19iYXJf")
    assert classify(url, citizen_hosts=["other.example.cn"]) == OtherScan(url)
    notice = "https://HALL.example.cn/hallq/n/GY-20260306-0008"
    assert classify(notice, citizen_hosts=["hall.example.cn"]) == NoticeScan("GY-20260306-0008")
    tricky = "https://hall.example.cn/t/abcd?next=evil"
    assert classify(tricky, citizen_hosts=["hall.example.cn"]) == OtherScan(tricky)


def test_printed_payloads_scan_back() -> None:
    assert classify(ticket_payload("Qm9vX2Zvb19iYXJf")) == TicketScan("Qm9vX2Zvb19iYXJf")
    assert classify(notice_payload("GY-20260306-0008")) == NoticeScan("GY-20260306-0008")
    with pytest.raises(ValueError):
        ticket_payload("no spaces allowed")


def test_scan_kinds_are_exposed() -> None:
    scans: list[Scan] = [classify(STANDARD), classify("x"), classify("YY12345678")]
    assert [s.kind for s in scans] == [ScanKind.RESIDENT_ID, ScanKind.OTHER, ScanKind.APPOINTMENT]


# --- over a serial line ----------------------------------------------------------------------


def next_scan(scans: queue.Queue[Scan]) -> Scan:
    return scans.get(timeout=scaled(5))


def test_scanner_delivers_typed_scans(scanner_sim: ScannerSimulator) -> None:
    scans: queue.Queue[Scan] = queue.Queue()
    with Scanner(fast_port(scanner_sim.path), scans.put) as scanner:
        assert scanner.wait_connected(scaled(5))
        scanner_sim.scan(STANDARD)
        scanner_sim.scan("YY20260306")
        scanner_sim.terminator = b"\r\n"
        scanner_sim.scan("hallq://n/GY-20260306-0008")
        scanner_sim.terminator = b"\n"
        scanner_sim.scan("挂号单12345")  # UTF-8 Chinese
        scanner_sim.scan("身份证", encoding="gb18030")  # a scanner set to GBK output
        first = next_scan(scans)
        assert isinstance(first, ResidentIdScan) and first.resident_id.reveal() == STANDARD
        assert next_scan(scans) == AppointmentScan("YY20260306")
        assert next_scan(scans) == NoticeScan("GY-20260306-0008")
        assert next_scan(scans) == OtherScan("挂号单12345")
        assert next_scan(scans) == OtherScan("身份证")
        assert scans.empty()  # the CRLF pair made one scan, not two


def test_id_numbers_never_reach_the_logs(
    scanner_sim: ScannerSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    scans: queue.Queue[Scan] = queue.Queue()
    with Scanner(fast_port(scanner_sim.path), scans.put) as scanner:
        assert scanner.wait_connected(scaled(5))
        scanner_sim.scan(GUYUAN)
        scanner_sim.scan("110105194912310021")  # invalid: still private
        assert isinstance(next_scan(scans), ResidentIdScan)
        assert isinstance(next_scan(scans), InvalidResidentIdScan)
    assert any("resident_id scan" in r.getMessage() for r in caplog.records)  # logging did happen
    for record in caplog.records:
        message = record.getMessage() + str(record.args) + str(record.exc_info)
        for secret in (GUYUAN, GUYUAN[6:14], "110105194912310021", "1949123100"):
            assert secret not in message


def test_scanner_reconnects_after_unplug(
    scanner_sim: ScannerSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    scans: queue.Queue[Scan] = queue.Queue()
    with Scanner(fast_port(scanner_sim.path), scans.put) as scanner:
        assert scanner.wait_connected(scaled(5))
        scanner_sim.scan("before")
        assert next_scan(scans) == OtherScan("before")

        scanner_sim.unplug()
        eventually(lambda: not scanner.connected, what="the scanner unplugged")
        scanner_sim.plug()
        assert scanner.wait_connected(scaled(5))
        scanner_sim.scan("after")
        assert next_scan(scans) == OtherScan("after")
        assert scanner.link.connects == 2
    assert any("disconnected" in r.getMessage() for r in caplog.records)


def test_half_a_line_before_an_unplug_is_not_a_scan(scanner_sim: ScannerSimulator) -> None:
    scans: queue.Queue[Scan] = queue.Queue()
    with Scanner(fast_port(scanner_sim.path), scans.put) as scanner:
        assert scanner.wait_connected(scaled(5))
        scanner_sim.send(b"69012345")  # cut off by the unplug
        eventually(lambda: scanner_sim.plugged, what="the scanner replugged")
        scanner_sim.unplug()
        eventually(lambda: not scanner.connected, what="the scanner unplugged")
        scanner_sim.plug()
        assert scanner.wait_connected(scaled(5))
        scanner_sim.scan("6901234567892")
        assert next_scan(scans) == OtherScan("6901234567892")


def test_scanner_waits_for_a_device_that_is_not_there_yet(scanner_sim: ScannerSimulator) -> None:
    scanner_sim.unplug()
    scans: queue.Queue[Scan] = queue.Queue()
    with Scanner(fast_port(scanner_sim.path), scans.put) as scanner:
        assert not scanner.connected  # no device to open: it keeps trying
        scanner_sim.plug()
        assert scanner.wait_connected(scaled(5))
        scanner_sim.scan("late")
        assert next_scan(scans) == OtherScan("late")
