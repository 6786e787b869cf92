"""Announcements: a call's words as a clip sequence, joined into one WAV in memory.

"请 A012 号 到 5 号窗口 办理" becomes the clips
``chime qing A 0 1 2 hao dao 5 hao_chuangkou banli``: the ticket is read character by character
(digits one by one: A零一二, as halls read ticket numbers), the window as a number (5 → 五,
12 → 十二, 20 → 二十) because that is how its sign reads; anything not numeric is read character by
character. The sentence is repeated ``repeat`` times with ``repeat_gap_s`` of silence between.

Joining is plain byte concatenation with the stdlib ``wave`` writer: well under a millisecond.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass

from .pack import CHANNELS, CHIME, SAMPLE_RATE, SAMPLE_WIDTH, VoicePack

# Short pauses keep trimmed clips from running into each other; measured by ear against espeak-ng.
WORD_GAP_S = 0.05
CHIME_GAP_S = 0.3
REPEAT_GAP_S = 1.0


def char_clips(text: str) -> list[str]:
    """Clip keys reading ``text`` character by character; characters with no clip are skipped."""
    keys: list[str] = []
    for ch in text.upper():
        if ch.isascii() and (ch.isdigit() or ch.isalpha()):
            keys.append(ch)
    return keys


def number_clips(text: str) -> list[str]:
    """A window number read as a Chinese number up to 99 (十二, 二十, 二十五); else char by char."""
    if not (text.isascii() and text.isdigit()):
        return char_clips(text)
    n = int(text)
    if not 10 <= n <= 99 or len(text) != len(str(n)):  # 0-9, 100+, or "05": read as written
        return char_clips(text)
    tens, ones = divmod(n, 10)
    keys = ([] if tens == 1 else [str(tens)]) + ["shi"]
    return keys + ([str(ones)] if ones else [])


def sentence_clips(ticket: str, window: str) -> list[str]:
    """请 {ticket} 号 到 {window} 号窗口 办理."""
    return ["qing", *char_clips(ticket), "hao", "dao", *number_clips(window), "hao_chuangkou", "banli"]


@dataclass(frozen=True, slots=True)
class Announcement:
    """A ready-to-play WAV and the clip keys it was joined from, in order (silences left out)."""

    wav: bytes
    clips: tuple[str, ...]
    seconds: float


@dataclass(frozen=True, slots=True)
class VoiceSettings:
    repeat: int = 1
    repeat_gap_s: float = REPEAT_GAP_S
    word_gap_s: float = WORD_GAP_S
    chime: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.repeat <= 5:
            raise ValueError("repeat must be 1..5")
        if not 0 <= self.repeat_gap_s <= 10 or not 0 <= self.word_gap_s <= 1:
            raise ValueError("gaps must be 0..10 s (repeat) and 0..1 s (word)")


class AnnouncementBuilder:
    """Builds call announcements from a voice pack. Thread-safe (no mutable state)."""

    def __init__(self, pack: VoicePack, settings: VoiceSettings | None = None) -> None:
        self.pack = pack
        self.settings = settings or VoiceSettings()

    def clip_plan(self, ticket: str, window: str, *, repeat: int | None = None) -> list[str]:
        """The clip keys of the announcement, silences left out: what a listener hears, in order."""
        times = self.settings.repeat if repeat is None else repeat
        head = [CHIME] if self.settings.chime else []
        return head + sentence_clips(ticket, window) * max(1, times)

    def build(self, ticket: str, window: str, *, repeat: int | None = None) -> Announcement:
        s = self.settings
        times = max(1, s.repeat if repeat is None else repeat)
        sentence = sentence_clips(ticket, window)
        word_gap = _silence(s.word_gap_s)
        parts: list[bytes] = []
        if s.chime:
            parts += [self.pack[CHIME].frames, _silence(CHIME_GAP_S)]
        for i in range(times):
            if i:
                parts.append(_silence(s.repeat_gap_s))
            for j, key in enumerate(sentence):
                if j:
                    parts.append(word_gap)
                parts.append(self.pack[key].frames)
        frames = b"".join(parts)
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(CHANNELS)
            w.setsampwidth(SAMPLE_WIDTH)
            w.setframerate(SAMPLE_RATE)
            w.writeframes(frames)
        clips = self.clip_plan(ticket, window, repeat=times)
        seconds = len(frames) / (SAMPLE_RATE * SAMPLE_WIDTH * CHANNELS)
        return Announcement(buf.getvalue(), tuple(clips), seconds)


_SILENCE_CACHE: dict[float, bytes] = {}


def _silence(seconds: float) -> bytes:
    cached = _SILENCE_CACHE.get(seconds)
    if cached is None:
        cached = bytes(int(seconds * SAMPLE_RATE) * SAMPLE_WIDTH * CHANNELS)
        _SILENCE_CACHE[seconds] = cached
    return cached
