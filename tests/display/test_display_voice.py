"""Voice calls on real audio: clips made by espeak-ng and sox, announcements joined with ``wave``."""

from __future__ import annotations

import io
import subprocess
import threading
import time
import wave
from pathlib import Path

import pytest

from display.voice.announcer import AnnouncementQueue, Spoken
from display.voice.builder import (
    CHIME_GAP_S,
    AnnouncementBuilder,
    VoiceSettings,
    number_clips,
    sentence_clips,
)
from display.voice.pack import (
    ALL_KEYS,
    SAMPLE_RATE,
    VoicePack,
    VoiceUnavailableError,
)
from display.voice.sinks import CommandSink, NullSink, open_sink
from harness.waiting import eventually, scaled
from tests.display.helpers import wav_rms

A012_TO_5 = ("chime", "qing", "A", "0", "1", "2", "hao", "dao", "5", "hao_chuangkou", "banli")
BYTES_PER_S = SAMPLE_RATE * 2


def test_announcement_a012_to_window_5_is_real_speech_of_the_expected_clips(voice_pack: VoicePack) -> None:
    ann = AnnouncementBuilder(voice_pack).build("A012", "5")
    assert ann.clips == A012_TO_5
    with wave.open(io.BytesIO(ann.wav), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, SAMPLE_RATE)
        frames = w.readframes(w.getnframes())
        seconds = w.getnframes() / w.getframerate()
    assert 2.0 <= seconds <= 8.0
    assert seconds == pytest.approx(ann.seconds)
    assert wav_rms(ann.wav) > 0.05, "announcement is (nearly) silent"
    # The clips really are in the WAV, in this order (not just listed): find each one after the last.
    pos = 0
    for key in A012_TO_5:
        found = frames.find(voice_pack[key].frames, pos)
        assert found >= pos, f"clip {key} not found in order"
        pos = found + len(voice_pack[key].frames)


def test_every_clip_is_speech_trimmed_of_silence(voice_pack: VoicePack) -> None:
    edge = int(0.03 * SAMPLE_RATE) * 2  # 30 ms
    for key in ALL_KEYS:
        clip = voice_pack[key]
        assert 0.1 < clip.seconds < 1.5, (key, clip.seconds)
        assert wav_rms(_wav(clip.frames)) > 0.03, f"clip {key} is silent"
        # trimmed: sound within the first and the last 30 ms (above 1 % of full scale)
        for part in (clip.frames[:edge], clip.frames[-edge:]):
            assert max(abs(s) for s in memoryview(part).cast("h")) > 327, f"clip {key} not trimmed"


def test_ticket_digits_one_by_one_and_window_as_a_number() -> None:
    expected = ["qing", "A", "0", "1", "2", "hao", "dao", "shi", "2", "hao_chuangkou", "banli"]
    assert sentence_clips("A012", "12") == expected
    assert number_clips("5") == ["5"]
    assert number_clips("10") == ["shi"]
    assert number_clips("20") == ["2", "shi"]
    assert number_clips("25") == ["2", "shi", "5"]
    assert number_clips("05") == ["0", "5"]  # written with a zero: read as written
    assert number_clips("101") == ["1", "0", "1"]
    assert number_clips("VIP") == ["V", "I", "P"]
    assert sentence_clips("b-03", "1")[1:4] == ["B", "0", "3"]  # lower case and punctuation


def test_repeat_count_and_gap(voice_pack: VoicePack) -> None:
    once = AnnouncementBuilder(voice_pack, VoiceSettings(repeat=1)).build("A012", "5")
    twice = AnnouncementBuilder(voice_pack, VoiceSettings(repeat=2, repeat_gap_s=1.5)).build("A012", "5")
    sentence = A012_TO_5[1:]
    assert twice.clips == ("chime", *sentence, *sentence)
    chime_part = voice_pack["chime"].seconds + CHIME_GAP_S
    sentence_s = once.seconds - chime_part
    assert twice.seconds == pytest.approx(chime_part + 2 * sentence_s + 1.5, abs=0.001)


def test_a_halls_recorded_clips_are_used_normalised_and_trimmed(voice_cache: Path, tmp_path: Path) -> None:
    rec = tmp_path / "recorded"
    rec.mkdir()
    # 请.wav: 44.1 kHz stereo, half a second of silence, then 0.4 s of sound
    stereo_44k = ["-r", "44100", "-c", "2", "-b", "16"]
    _sox("-n", *stereo_44k, str(rec / "请.wav"), "synth", "0.4", "sine", "440", "pad", "0.5")
    _sox("-n", "-r", "16000", "-c", "1", "-b", "16", str(rec / "A.wav"), "synth", "0.3", "square", "300")
    pack = VoicePack.load(voice_cache, rec)
    assert pack["qing"].source == "recorded" and pack["A"].source == "recorded"
    assert pack["hao"].source == "espeak-ng" and pack["chime"].source == "sox-synth"
    assert pack["qing"].seconds == pytest.approx(0.4, abs=0.03)  # leading silence gone
    ann = AnnouncementBuilder(pack).build("A1", "2")
    assert ann.wav.find(pack["qing"].frames) > 0


def test_clips_are_made_once_then_read_from_the_cache(voice_cache: Path, voice_pack: VoicePack) -> None:
    before = {p: p.stat().st_mtime_ns for p in voice_cache.rglob("*.wav")}
    again = VoicePack.load(voice_cache)
    after = {p: p.stat().st_mtime_ns for p in voice_cache.rglob("*.wav")}
    assert before == after
    assert again["qing"].frames == voice_pack["qing"].frames


def test_a_broken_recorded_clip_is_refused(voice_cache: Path, tmp_path: Path) -> None:
    (tmp_path / "号.wav").write_bytes(b"not a wav at all")
    with pytest.raises(VoiceUnavailableError):
        VoicePack.load(voice_cache, tmp_path)


# --- the announcement queue -----------------------------------------------------------------------


class RecordingSink:
    """A real sink that only notes when each sound started and ended (timed like the null sink)."""

    name = "recording"

    def __init__(self, time_scale: float = 0.005) -> None:
        self.inner = NullSink(time_scale)
        self.spans: list[tuple[float, float]] = []
        self.gate = threading.Event()
        self.gate.set()

    def play(self, wav: bytes, seconds: float) -> None:
        self.gate.wait(scaled(10))
        start = time.monotonic()
        self.inner.play(wav, seconds)
        self.spans.append((start, time.monotonic()))

    def close(self) -> None:
        self.gate.set()
        self.inner.close()


def test_the_queue_plays_in_order_one_at_a_time(voice_pack: VoicePack) -> None:
    sink = RecordingSink()
    events: list[str] = []
    q = AnnouncementQueue(
        AnnouncementBuilder(voice_pack),
        sink,
        on_start=lambda s: events.append(f"start {s.seq}"),
        on_finish=lambda s: events.append(f"end {s.seq}"),
    )
    q.start()
    try:
        for seq in range(1, 7):
            q.submit(Spoken(seq, f"A{seq:03d}", str(seq)))
        assert q.wait_idle(scaled(30))
    finally:
        q.stop()
    assert list(q.played) == [1, 2, 3, 4, 5, 6]
    assert events == [e for seq in range(1, 7) for e in (f"start {seq}", f"end {seq}")]
    for (_, end), (start, _) in zip(sink.spans, sink.spans[1:], strict=False):
        assert start >= end  # never two at once, none cut off
    assert q.dropped == 0


def test_a_full_queue_drops_the_oldest_waiting_never_the_one_playing(voice_pack: VoicePack) -> None:
    sink = RecordingSink()
    sink.gate.clear()  # the first announcement "plays" until we let it finish
    q = AnnouncementQueue(AnnouncementBuilder(voice_pack), sink, capacity=4)
    q.start()
    try:
        q.submit(Spoken(1, "A001", "1"))
        playing = eventually(lambda: q.current, 5, what="the first announcement playing", interval=0.005)
        assert playing is not None and playing.seq == 1
        for seq in range(2, 9):  # 7 more into 4 places: 2, 3, 4 are pushed out
            q.submit(Spoken(seq, f"A{seq:03d}", "1"))
        assert q.dropped == 3
        sink.gate.set()
        assert q.wait_idle(scaled(30))
    finally:
        q.stop()
    assert list(q.played) == [1, 5, 6, 7, 8]


def test_a_backlog_sheds_repeats_before_anything_else(voice_pack: VoicePack) -> None:
    sink = RecordingSink()
    sink.gate.clear()
    builder = AnnouncementBuilder(voice_pack, VoiceSettings(repeat=2))
    q = AnnouncementQueue(builder, sink, shed_after=2)
    q.start()
    try:
        q.submit(Spoken(1, "A001", "1"))
        eventually(lambda: q.current, 5, what="the first announcement playing", interval=0.005)
        for seq in (2, 3, 4):
            q.submit(Spoken(seq, f"A{seq:03d}", "1"))
        sink.gate.set()
        assert q.wait_idle(scaled(30))
    finally:
        q.stop()
    reps = [clips.count("qing") for clips in q.clips_played]
    # 1 started with nothing waiting: twice; 2 with two waiting: once; 3 and 4 with less: twice
    assert list(q.played) == [1, 2, 3, 4]
    assert reps == [2, 1, 2, 2]


def test_a_player_program_gets_the_wav(voice_pack: VoicePack) -> None:
    # sox reading the WAV from stdin and writing nowhere: a real player minus the loudspeaker.
    sink = CommandSink(("sox", "-q", "-t", "wav", "-", "-n"))
    ann = AnnouncementBuilder(voice_pack).build("A012", "5")
    sink.play(ann.wav, ann.seconds)
    assert sink.failures == 0


def test_a_failing_player_falls_back_to_silent_timing() -> None:
    sink = CommandSink(("false",), max_failures=2)
    wav = _wav(bytes(int(0.05 * SAMPLE_RATE) * 2))
    for _ in range(3):
        start = time.monotonic()
        sink.play(wav, 0.05)
        assert time.monotonic() - start >= 0.05  # the rhythm is kept even without sound
    assert sink.failures == 2


def test_open_sink() -> None:
    assert open_sink("null").name == "null"
    assert open_sink("auto").name in {"paplay", "aplay", "play", "null"}


def _wav(frames: bytes) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(frames)
    return buf.getvalue()


def _sox(*args: str) -> None:
    subprocess.run(["sox", *args], check=True, capture_output=True, timeout=scaled(30))
