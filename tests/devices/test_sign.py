"""The window LED sign: frame round trip, checksum rejection, GB2312 text, the sign on a pty."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.errors import DeviceDisconnectedError, FrameError, SignError
from devices.sign import (
    ACK,
    CMD_SHOW,
    ETX,
    NAK,
    STX,
    Frame,
    FrameReader,
    ReplyReader,
    SignConfig,
    SignDisplay,
    SignStatus,
    WindowSign,
    checksum,
    decode_display,
    decode_frame,
    encode_display,
    encode_frame,
    reply,
    show_frame,
)
from devices.simulators import SignSimulator
from harness.waiting import eventually, scaled
from tests.devices.conftest import fast_port

SERVING = SignDisplay(window="3", status=SignStatus.SERVING, ticket="A023")
PAUSED = SignDisplay(window="3", status=SignStatus.PAUSED, reason="业务培训")


def test_frame_layout_is_the_documented_one() -> None:
    frame = encode_frame(7, CMD_SHOW, b"ab", seq=9)
    expected_checksum = 7 ^ 9 ^ CMD_SHOW ^ 0 ^ 2 ^ 0x61 ^ 0x62
    assert frame == bytes([STX, 7, 9, CMD_SHOW, 0, 2]) + b"ab" + bytes([expected_checksum, ETX])
    assert decode_frame(frame) == Frame(7, CMD_SHOW, b"ab", seq=9)


def test_replies_pair_with_their_sequence_number() -> None:
    reader = ReplyReader()
    stream = b"\x00" + reply(True, 5) + reply(False, ACK) + reply(True, NAK)
    assert reader.feed(stream[:2]) == []
    assert reader.feed(stream[2:]) == [(True, 5), (False, ACK), (True, NAK)]


def test_display_round_trip_in_gb2312() -> None:
    payload = encode_display(PAUSED)
    assert "业务培训".encode("gb2312") in payload
    assert decode_display(payload) == PAUSED
    frame = show_frame(1, PAUSED)
    assert decode_display(decode_frame(frame).payload) == PAUSED


@given(
    window=st.text(alphabet="0123456789窗口东区", min_size=1, max_size=6),
    status=st.sampled_from(SignStatus),
    ticket=st.none() | st.from_regex(r"[A-Z][0-9]{3}", fullmatch=True),
    reason=st.none() | st.text(alphabet="业务培训会议系统故障休息暂离，。", min_size=1, max_size=20),
    address=st.integers(1, 255),
)
def test_any_display_survives_a_frame(
    window: str, status: SignStatus, ticket: str | None, reason: str | None, address: int
) -> None:
    display = SignDisplay(window, status, ticket, reason)
    frame = decode_frame(show_frame(address, display))
    assert frame.address == address
    assert decode_display(frame.payload) == display


def test_checksum_mismatch_is_rejected() -> None:
    frame = bytearray(show_frame(1, SERVING))
    frame[6] ^= 0x01  # one bit flipped in the payload
    with pytest.raises(FrameError, match="checksum"):
        decode_frame(bytes(frame))
    assert checksum(bytes(frame[1:-2])) != frame[-2]


@pytest.mark.parametrize(
    "mangle",
    [
        lambda f: f[:-1],  # no ETX
        lambda f: f[:-1] + b"\x04",  # wrong end byte
        lambda f: b"\x00" + f[1:],  # no STX
        lambda f: f[:4] + b"\x00\x63" + f[6:],  # length field lies
    ],
)
def test_malformed_frames(mangle: object) -> None:
    assert callable(mangle)
    with pytest.raises(FrameError):
        decode_frame(mangle(show_frame(1, SERVING)))


def test_text_the_sign_font_lacks_is_refused_before_sending() -> None:
    with pytest.raises(ValueError, match="gb2312"):
        encode_display(SignDisplay("3", SignStatus.PAUSED, reason="𠈌"))
    assert decode_display(
        encode_display(SignDisplay("3", SignStatus.PAUSED, reason="𠈌"), "gb18030"), "gb18030"
    )


def test_reader_resynchronises_after_noise_and_a_bad_frame() -> None:
    good = show_frame(1, SERVING)
    bad = bytearray(show_frame(1, PAUSED))
    bad[-2] ^= 0xFF
    reader = FrameReader()
    stream = b"\x55\xaa" + bytes(bad) + good + good
    results: list[Frame | FrameError] = []
    for i in range(0, len(stream), 5):  # arrives in pieces
        results.extend(reader.feed(stream[i : i + 5]))
    assert [type(r) for r in results] == [FrameError, Frame, Frame]
    assert all(decode_display(r.payload) == SERVING for r in results if isinstance(r, Frame))


def test_display_text() -> None:
    assert SERVING.text() == "3号窗口 正在办理A023号"
    assert SignDisplay("3", SignStatus.CALLING, "A023").text() == "请A023号到3号窗口办理"
    assert PAUSED.text() == "3号窗口 暂停服务：业务培训"
    assert SignDisplay("3", SignStatus.CLOSED).text() == "3号窗口 已停止服务"
    assert SignDisplay("综合窗口", SignStatus.IDLE).text() == "综合窗口 欢迎您"


# --- the sign on a pty -----------------------------------------------------------------------


def sign_config(path: str, **overrides: object) -> SignConfig:
    return SignConfig.model_validate({"port": fast_port(path), **overrides})


def test_sign_shows_what_the_window_sends(sign_sim: SignSimulator) -> None:
    with WindowSign(sign_config(sign_sim.path)) as sign:
        assert sign.wait_connected(scaled(5))
        sign.show(SERVING)
        assert sign_sim.shown == SERVING
        assert sign_sim.text == "3号窗口 正在办理A023号"
        sign.show(PAUSED)
        assert sign_sim.text == "3号窗口 暂停服务：业务培训"
        sign.clear()
        assert sign_sim.shown is None and sign_sim.text == ""


def test_sign_silence_raises(sign_sim: SignSimulator) -> None:
    with WindowSign(sign_config(sign_sim.path, address=9, ack_timeout_s=0.2)) as sign:
        assert sign.wait_connected(scaled(5))
        with pytest.raises(SignError, match="did not acknowledge"):
            sign.show(SERVING)  # the sign on this line has address 1: it stays silent
        assert sign_sim.shown is None


def test_a_late_nak_for_another_frame_is_not_this_frames_answer(sign_sim: SignSimulator) -> None:
    with WindowSign(sign_config(sign_sim.path)) as sign:
        assert sign.wait_connected(scaled(5))
        corrupted = bytearray(show_frame(1, SERVING, seq=200))
        corrupted[7] ^= 0x01
        sign.link.write(bytes(corrupted))  # the sign NAKs seq 200 whenever it gets to it
        sign.show(PAUSED)
        assert sign_sim.shown == PAUSED
        sign_sim.wait_for(lambda: sign_sim.rejected == 1)
        sign.show(SERVING)
        assert sign_sim.shown == SERVING


def test_sign_nak_raises_sign_error(sign_sim: SignSimulator) -> None:
    sign_sim.encoding = "ascii"  # a sign that cannot decode the Chinese reason NAKs the frame
    with WindowSign(sign_config(sign_sim.path)) as sign:
        assert sign.wait_connected(scaled(5))
        with pytest.raises(SignError, match="NAK"):
            sign.show(PAUSED)


def test_replugged_sign_gets_its_display_back(sign_sim: SignSimulator) -> None:
    with WindowSign(sign_config(sign_sim.path)) as sign:
        assert sign.wait_connected(scaled(5))
        sign.show(SERVING)
        sign_sim.unplug()
        eventually(lambda: not sign.connected, what="the sign unplugged")
        with pytest.raises(DeviceDisconnectedError):
            sign.show(PAUSED)
        sign_sim.plug()  # blank after power-up
        assert sign_sim.wait_for(lambda: sign_sim.shown) == PAUSED


def test_ack_nak_bytes() -> None:
    assert (ACK, NAK) == (0x06, 0x15)
