"""The caller keypad (呼叫器) line protocol (pure).

ASCII lines ending in LF (CRLF accepted), 9600 8N1.

Keypad → host: ``K<key>[<code>]`` where key is one letter and code optional digits (0-99), e.g. a
pause reason or a finish outcome chosen on the keypad's number keys:

====  ==========  ============================
 key   KeyPress    window action
====  ==========  ============================
 N     NEXT        call next (叫号)
 R     RECALL      recall (重呼)
 S     START       start handling (开始办理)
 F     FINISH      finish (办结); code = outcome
 X     NO_SHOW     no-show (过号)
 P     PAUSE       pause (暂停); code = reason
 C     RESUME      resume (恢复)
====  ==========  ============================

Host → keypad: ``D<text>`` shows one line on the keypad's display, GB18030, at most 32 bytes
(``D当前A023 等候5``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from devices.errors import FrameError

MAX_DISPLAY_BYTES = 32
_LINE = re.compile(rb"K([NRSFXPC])(\d{1,2})?")


class Key(StrEnum):
    NEXT = "N"
    RECALL = "R"
    START = "S"
    FINISH = "F"
    NO_SHOW = "X"
    PAUSE = "P"
    RESUME = "C"


@dataclass(frozen=True, slots=True)
class KeyPress:
    key: Key
    code: int | None = None


def encode_key(press: KeyPress) -> bytes:
    """What the keypad sends (used by the simulator)."""
    if press.code is not None and not 0 <= press.code <= 99:
        raise ValueError("a key code is 0..99")
    code = "" if press.code is None else str(press.code)
    return f"K{press.key.value}{code}\n".encode("ascii")


def parse_key_line(line: bytes) -> KeyPress:
    match = _LINE.fullmatch(line.strip())
    if match is None:
        raise FrameError("not a keypad key line")
    code = match.group(2)
    return KeyPress(Key(match.group(1).decode("ascii")), int(code) if code is not None else None)


def encode_display(text: str) -> bytes:
    """A ``D`` line; text is cut to what the display holds, never mid-character."""
    clean = "".join(ch for ch in text if ch.isprintable())
    data = clean.encode("gb18030")
    while len(data) > MAX_DISPLAY_BYTES:
        clean = clean[:-1]
        data = clean.encode("gb18030")
    return b"D" + data + b"\n"


def parse_display_line(line: bytes) -> str:
    """The text of a ``D`` line (used by the simulator)."""
    text = line.rstrip(b"\r\n")
    if text[:1] != b"D":
        raise FrameError("not a keypad display line")
    return text[1:].decode("gb18030", errors="replace")
