"""The ID card reader: SAM frames and checksums, the card's base text, and the driver against the pty
simulator (find, select, read; no card; bad checksums; a silent reader; an unplug; a card left lying)."""

from __future__ import annotations

import logging
import pickle
import queue
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.errors import DeviceDisconnectedError, FrameError
from devices.idreader import (
    NO_EXPIRY,
    PHOTO_LENGTH,
    TEXT_LENGTH,
    Command,
    FrameReader,
    IdCard,
    IdCardReader,
    IdCardReadError,
    IdReaderConfig,
    IdReaderTimeoutError,
    Status,
    base_info,
    base_text,
    checksum,
    decode_base_text,
    encode_base_text,
    encode_command,
    encode_reply,
    parse_reply,
)
from devices.simulators import IdCardReaderSimulator, sample_card
from harness.waiting import eventually, scaled
from tests.devices.conftest import fast_port

# Born 1960-08-15 in Guyuan (6404); the check character computed by GB 11643.
CITIZEN_ID = "640402196008151235"
NAME = "欧阳娜娜"
ADDRESS = "宁夏回族自治区固原市原州区文化街12号"


def citizen_card() -> IdCard:
    return sample_card(CITIZEN_ID, name=NAME, address=ADDRESS)


def frames_of(data: bytes) -> list[bytes | FrameError]:
    return FrameReader().feed(data)


# --- frames ----------------------------------------------------------------------------------


def test_commands_are_the_published_bytes() -> None:
    assert encode_command(Command.FIND_CARD) == bytes.fromhex("AAAAAA9669 0003 2001 22")
    assert encode_command(Command.SELECT_CARD) == bytes.fromhex("AAAAAA9669 0003 2002 21")
    assert encode_command(Command.READ_BASE) == bytes.fromhex("AAAAAA9669 0003 3001 32")


def test_answers_of_a_real_reader_parse() -> None:
    found = bytes.fromhex("AAAAAA9669 0008 00009F 00000000 97")
    selected = bytes.fromhex("AAAAAA9669 000C 000090 0000000000000000 9C")
    (first, second) = frames_of(found + selected)
    assert isinstance(first, bytes) and isinstance(second, bytes)
    assert parse_reply(first).status is Status.CARD_FOUND and parse_reply(first).data == bytes(4)
    assert parse_reply(second).status is Status.OK and parse_reply(second).data == bytes(8)
    assert encode_reply(Status.CARD_FOUND, bytes(4)) == found


def test_checksum_is_the_xor_of_length_and_payload() -> None:
    assert checksum(bytes.fromhex("0003 2001")) == 0x22
    assert checksum(b"") == 0


@given(st.binary(max_size=300), st.integers(min_value=0, max_value=255))
def test_every_answer_reads_back_and_a_bad_checksum_is_refused(data: bytes, sw3: int) -> None:
    frame = encode_reply(sw3, data)
    (payload,) = frames_of(frame)
    assert (
        isinstance(payload, bytes) and parse_reply(payload).sw3 == sw3 and parse_reply(payload).data == data
    )
    broken = frame[:-1] + bytes([frame[-1] ^ 0x5A])
    (error,) = frames_of(broken)
    assert isinstance(error, FrameError)


def test_reader_resynchronises_on_noise_and_split_reads() -> None:
    reader = FrameReader()
    stream = (
        b"\x00\xaa\xaa" + encode_reply(Status.NO_CARD) + b"\xaa\xaa\xaa\x96" + encode_reply(Status.OK, b"xy")
    )
    got: list[bytes | FrameError] = []
    for byte in stream:
        got += reader.feed(bytes([byte]))
    assert [parse_reply(p).sw3 for p in got if isinstance(p, bytes)] == [Status.NO_CARD, Status.OK]
    assert not [p for p in got if isinstance(p, FrameError)]


def test_an_impossible_length_is_skipped() -> None:
    noise = b"\xaa\xaa\xaa\x96\x69\xff\xff"
    got = frames_of(noise + encode_reply(Status.OK))
    assert isinstance(got[0], FrameError)
    assert isinstance(got[-1], bytes) and parse_reply(got[-1]).status is Status.OK


# --- the card's text -------------------------------------------------------------------------


def _ucs2(text: str, width: int) -> bytes:
    raw = text.encode("utf-16-le")
    return raw + b"\x20\x00" * ((width - len(raw)) // 2)


def test_card_text_layout_decodes_field_by_field() -> None:
    text = b"".join(
        (
            _ucs2(NAME, 30),
            _ucs2("2", 2),
            _ucs2("01", 4),
            _ucs2("19600815", 16),
            _ucs2(ADDRESS, 70),
            _ucs2(CITIZEN_ID, 36),
            _ucs2("固原市公安局原州分局", 30),
            _ucs2("20160520", 16),
            _ucs2("20360520", 16),
            _ucs2("", 36),
        )
    )
    assert len(text) == TEXT_LENGTH
    card = decode_base_text(text)
    assert (card.name, card.sex, card.nation, card.address) == (NAME, "2", "01", ADDRESS)
    assert card.birth_date == date(1960, 8, 15)
    assert card.resident_id.reveal() == CITIZEN_ID
    assert card.authority == "固原市公安局原州分局"
    assert (card.valid_from, card.valid_until) == (date(2016, 5, 20), date(2036, 5, 20))
    assert encode_base_text(card) == text


def test_valid_for_life_and_round_trip() -> None:
    card = citizen_card()
    assert card.valid_until is None
    text = encode_base_text(card)
    assert _ucs2(NO_EXPIRY, 16) in text
    assert decode_base_text(text) == card


def test_the_photo_is_not_kept() -> None:
    text = encode_base_text(citizen_card())
    photo = bytes(range(256)) * (PHOTO_LENGTH // 256)
    assert base_text(base_info(text, photo)) == text
    with pytest.raises(FrameError):
        base_text(base_info(text[:-2], photo))


def test_a_card_never_shows_its_name_or_number() -> None:
    card = citizen_card()
    for shown in (repr(card), str(card), f"{card}", repr([card])):
        assert NAME not in shown and CITIZEN_ID not in shown and ADDRESS not in shown
    assert card.masked_name == "欧阳**"
    with pytest.raises(TypeError):
        pickle.dumps(card)


def test_an_invalid_number_on_the_card_is_refused_without_saying_it() -> None:
    bad = CITIZEN_ID[:-1] + ("0" if CITIZEN_ID[-1] != "0" else "1")
    text = encode_base_text(citizen_card()).replace(_ucs2(CITIZEN_ID, 36), _ucs2(bad, 36))
    with pytest.raises(FrameError) as caught:
        decode_base_text(text)
    assert bad not in str(caught.value) and bad not in str(caught.value.detail)


# --- the driver against the simulator ----------------------------------------------------------


@pytest.fixture
def reader_sim(tmp_path: Path) -> Iterator[IdCardReaderSimulator]:
    with IdCardReaderSimulator(tmp_path) as sim:
        yield sim


def config(
    sim: IdCardReaderSimulator, *, reply_timeout_s: float | None = None, removed_after_s: float = 1.0
) -> IdReaderConfig:
    return IdReaderConfig(
        port=fast_port(sim.path),
        reply_timeout_s=reply_timeout_s or scaled(2.0),
        poll_interval_s=0.05,
        removed_after_s=removed_after_s,
    )


def test_read_card_round_trip(reader_sim: IdCardReaderSimulator) -> None:
    with IdCardReader(config(reader_sim)) as reader:
        assert reader.wait_connected(scaled(5))
        assert reader.read_card() is None
        assert reader_sim.commands == [Command.FIND_CARD]
        reader_sim.place(citizen_card())
        card = reader.read_card()
        assert card == citizen_card()
        assert card is not None and card.birth_date == date(1960, 8, 15) and card.name == NAME
        assert reader_sim.commands[1:] == [Command.FIND_CARD, Command.SELECT_CARD, Command.READ_BASE]


def test_bad_checksums_and_refusals_are_typed_errors(reader_sim: IdCardReaderSimulator) -> None:
    reader_sim.place(citizen_card())
    with IdCardReader(config(reader_sim)) as reader:
        assert reader.wait_connected(scaled(5))
        reader_sim.corrupt(Command.FIND_CARD)
        with pytest.raises(FrameError):
            reader.read_card()
        reader_sim.corrupt(Command.READ_BASE)
        with pytest.raises(IdCardReadError) as caught:
            reader.read_card()
        assert caught.value.detail["cause"] == "bad_frame"
        reader_sim.fail_reads = 1
        with pytest.raises(IdCardReadError) as caught:
            reader.read_card()
        assert caught.value.detail["status"] == Status.READ_FAILED
        assert reader.read_card() == citizen_card()  # the next attempt reads it


def test_a_silent_reader_times_out(reader_sim: IdCardReaderSimulator) -> None:
    reader_sim.silent = True
    with IdCardReader(config(reader_sim, reply_timeout_s=0.3)) as reader:
        assert reader.wait_connected(scaled(5))
        with pytest.raises(IdReaderTimeoutError):
            reader.read_card()


def test_an_unplugged_reader_says_so_and_comes_back(reader_sim: IdCardReaderSimulator) -> None:
    cards: queue.Queue[IdCard] = queue.Queue()
    with IdCardReader(config(reader_sim), on_card=cards.put) as reader:
        assert reader.wait_connected(scaled(5))
        reader_sim.unplug()
        eventually(lambda: not reader.connected, what="the reader unplugged")
        with pytest.raises(DeviceDisconnectedError):
            reader.read_card()
        reader_sim.plug()
        assert reader.wait_connected(scaled(5))
        reader_sim.place(citizen_card())
        assert cards.get(timeout=scaled(5)) == citizen_card()
        assert reader.link.connects == 2


def _finds(sim: IdCardReaderSimulator) -> int:
    return sim.commands.count(Command.FIND_CARD)


def polled(sim: IdCardReaderSimulator, times: int) -> None:
    """Wait until the driver asked for a card ``times`` more times."""
    seen = _finds(sim)
    sim.wait_for(lambda: _finds(sim) >= seen + times, timeout=scaled(5))


def take_away(sim: IdCardReaderSimulator) -> None:
    """Take the card off and wait until the driver saw the reader empty."""
    sim.remove()
    polled(sim, 2)


def test_a_card_is_delivered_once_while_it_lies_there(reader_sim: IdCardReaderSimulator) -> None:
    cards: queue.Queue[IdCard] = queue.Queue()
    with IdCardReader(config(reader_sim, removed_after_s=0.0), on_card=cards.put) as reader:
        assert reader.wait_connected(scaled(5))
        reader_sim.place(citizen_card())
        assert cards.get(timeout=scaled(5)) == citizen_card()
        polled(reader_sim, 5)
        assert cards.empty()  # polled five more times: the card lying there is not read again
        assert reader_sim.commands.count(Command.READ_BASE) == 1
        take_away(reader_sim)
        other = sample_card()
        reader_sim.place(other)
        assert cards.get(timeout=scaled(5)) == other
        take_away(reader_sim)
        reader_sim.place(other)
        assert cards.get(timeout=scaled(5)) == other  # taken away and placed again: a new read


def test_the_same_card_glimpsed_away_for_a_moment_is_not_read_twice(
    reader_sim: IdCardReaderSimulator,
) -> None:
    cards: queue.Queue[IdCard] = queue.Queue()
    with IdCardReader(config(reader_sim, removed_after_s=60.0), on_card=cards.put) as reader:
        assert reader.wait_connected(scaled(5))
        reader_sim.place(citizen_card())
        assert cards.get(timeout=scaled(5)) == citizen_card()
        take_away(reader_sim)
        reader_sim.place(citizen_card())
        reads = reader_sim.commands.count(Command.READ_BASE)
        reader_sim.wait_for(lambda: reader_sim.commands.count(Command.READ_BASE) > reads, timeout=scaled(5))
        other = sample_card()
        take_away(reader_sim)
        reader_sim.place(other)
        assert cards.get(timeout=scaled(5)) == other  # the re-read card was the same: only the new one came
        assert cards.empty()


def test_a_bad_read_is_retried_then_reported_once(reader_sim: IdCardReaderSimulator) -> None:
    cards: queue.Queue[IdCard] = queue.Queue()
    failures: queue.Queue[IdCardReadError] = queue.Queue()
    with IdCardReader(config(reader_sim), on_card=cards.put, on_failure=failures.put) as reader:
        assert reader.wait_connected(scaled(5))
        reader_sim.corrupt(Command.READ_BASE)  # one bad answer: the second attempt reads the card
        reader_sim.place(citizen_card())
        assert cards.get(timeout=scaled(5)) == citizen_card()
        assert failures.empty()
        take_away(reader_sim)
        reader_sim.fail_reads = 100  # a damaged card
        reader_sim.place(sample_card())
        assert failures.get(timeout=scaled(5)).detail["status"] == Status.READ_FAILED
        polled(reader_sim, 5)
        assert failures.empty()  # told once while it lies there
        reader_sim.fail_reads = 0
        take_away(reader_sim)
        reader_sim.place(sample_card())
        assert cards.get(timeout=scaled(5)) == sample_card()


def test_a_hung_reader_is_a_fault_until_it_answers(reader_sim: IdCardReaderSimulator) -> None:
    cards: queue.Queue[IdCard] = queue.Queue()
    reader_sim.silent = True
    with IdCardReader(config(reader_sim, reply_timeout_s=0.2), on_card=cards.put) as reader:
        eventually(lambda: reader.fault == "id_reader_timeout", what="the timeout seen as a fault")
        reader_sim.silent = False
        reader_sim.place(citizen_card())
        assert cards.get(timeout=scaled(5)) == citizen_card()
        assert reader.fault is None


def test_nothing_a_card_says_reaches_the_logs(
    reader_sim: IdCardReaderSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    cards: queue.Queue[IdCard] = queue.Queue()
    failures: queue.Queue[IdCardReadError] = queue.Queue()
    with IdCardReader(config(reader_sim), on_card=cards.put, on_failure=failures.put) as reader:
        assert reader.wait_connected(scaled(5))
        reader_sim.place(citizen_card())
        assert cards.get(timeout=scaled(5)) == citizen_card()
        take_away(reader_sim)
        reader_sim.fail_reads = 100
        reader_sim.place(citizen_card())
        failures.get(timeout=scaled(5))
    assert any("card read" in r.getMessage() for r in caplog.records)  # logging did happen
    assert any("not read" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        message = record.getMessage() + str(record.args) + str(record.exc_info)
        for secret in (NAME, CITIZEN_ID, ADDRESS, "19600815", "娜娜"):
            assert secret not in message
