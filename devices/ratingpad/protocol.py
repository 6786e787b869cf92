"""The rating pad (评价器) line protocol, and the one-rating-per-prompt session (pure).

ASCII lines ending in LF (the pad also accepts CRLF), 9600 8N1:

=========  ==================  ===============================================================
 from       line                meaning
=========  ==================  ===============================================================
 host       ``P <visit-id>``    prompt: a visit just ended, light all five keys. visit-id is
                                ``[A-Za-z0-9_-]{1,32}``; the pad may show it but need not.
 pad        ``R<1-5>``          a key was pressed: 5 非常满意 … 1 非常不满意
 host       ``A<1-5>``          acknowledge: light only the key that was taken, keys off
 host       ``C``               cancel/clear: all lights off, presses ignored
=========  ==================  ===============================================================

The pad sends ``R`` for every press; the host decides. It takes exactly one rating per prompt,
ignores presses while no prompt is open, ignores presses within a debounce window of the press it
took (a bounce or a double press must not rate the next citizen's visit), and ignores presses that
arrive sooner after a prompt than anyone could react to the lights (they were pressed before).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum

from devices.errors import FrameError

VISIT_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
SCORE_LABELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
CLEAR = b"C\n"
DEFAULT_DEBOUNCE_S = 0.5
# Nobody presses a key within 0.2 s of it lighting up: such a press was made before the prompt.
DEFAULT_PROMPT_GUARD_S = 0.2
REMEMBERED_VISITS = 256


def prompt(visit_id: str) -> bytes:
    if not VISIT_ID.fullmatch(visit_id):
        raise ValueError("visit id must be 1-32 of A-Z a-z 0-9 _ -")
    return f"P {visit_id}\n".encode("ascii")


def ack(score: int) -> bytes:
    _check_score(score)
    return f"A{score}\n".encode("ascii")


def press(score: int) -> bytes:
    """What the pad sends (used by the simulator)."""
    _check_score(score)
    return f"R{score}\n".encode("ascii")


def _check_score(score: int) -> None:
    if score not in SCORE_LABELS:
        raise ValueError("a score is 1..5")


def parse_pad_line(line: bytes) -> int:
    """The score of an ``R<n>`` line from the pad; FrameError for anything else."""
    text = line.strip()
    if len(text) == 2 and text[:1] == b"R" and text[1:] in (b"1", b"2", b"3", b"4", b"5"):
        return int(text[1:])
    raise FrameError("not a rating pad key press")


class HostCommandKind(StrEnum):
    PROMPT = "P"
    ACK = "A"
    CLEAR = "C"


@dataclass(frozen=True, slots=True)
class HostCommand:
    kind: HostCommandKind
    visit_id: str | None = None
    score: int | None = None


def parse_host_line(line: bytes) -> HostCommand:
    """A host command as the pad reads it (used by the simulator)."""
    text = line.strip().decode("ascii", errors="replace")
    if text == "C":
        return HostCommand(HostCommandKind.CLEAR)
    if text.startswith("P ") and VISIT_ID.fullmatch(text[2:]):
        return HostCommand(HostCommandKind.PROMPT, visit_id=text[2:])
    if len(text) == 2 and text[0] == "A" and text[1] in "12345":
        return HostCommand(HostCommandKind.ACK, score=int(text[1]))
    raise FrameError("not a rating pad command")


@dataclass(frozen=True, slots=True)
class Rating:
    visit_id: str
    score: int

    @property
    def label(self) -> str:
        return SCORE_LABELS[self.score]


class RatingSession:
    """The host's side of the protocol as a state machine; times come from the caller (monotonic s)."""

    def __init__(
        self, debounce_s: float = DEFAULT_DEBOUNCE_S, prompt_guard_s: float = DEFAULT_PROMPT_GUARD_S
    ) -> None:
        self.debounce_s = debounce_s
        self.prompt_guard_s = prompt_guard_s
        self.visit_id: str | None = None
        self.presses = 0
        self._prompted_at: float | None = None
        self._last_taken: float | None = None
        self._rated: OrderedDict[str, int] = OrderedDict()
        self.lit: int | None = None

    @property
    def open(self) -> bool:
        return self.visit_id is not None

    def prompt(self, visit_id: str, now: float) -> bytes:
        """Open a prompt. A visit already rated is not opened again: its taken key is lit instead."""
        line = prompt(visit_id)
        if visit_id in self._rated:
            self.visit_id = None
            self.lit = self._rated[visit_id]
            return ack(self.lit)
        self.visit_id, self.lit, self._prompted_at = visit_id, None, now
        return line

    def cancel(self) -> bytes:
        self.visit_id, self.lit = None, None
        return CLEAR

    def press(self, score: int, now: float) -> tuple[Rating | None, bytes]:
        """The rating this press makes (at most one per prompt) and the bytes to send to the pad."""
        self.presses += 1
        if self._last_taken is not None and now - self._last_taken < self.debounce_s:
            return None, b""
        if self.visit_id is None:
            return None, b""
        if self._prompted_at is not None and now - self._prompted_at < self.prompt_guard_s:
            return None, b""
        rating = Rating(self.visit_id, score)
        self._last_taken = now
        self._rated[self.visit_id] = score
        while len(self._rated) > REMEMBERED_VISITS:
            self._rated.popitem(last=False)
        self.visit_id, self.lit = None, score
        return rating, ack(score)

    def restore(self) -> bytes:
        """What to send a pad that was just (re)connected so it shows the current state."""
        if self.visit_id is not None:
            return prompt(self.visit_id)
        if self.lit is not None:
            return ack(self.lit)
        return CLEAR
