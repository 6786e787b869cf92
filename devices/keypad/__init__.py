"""The caller keypad (呼叫器). Protocol in ``devices.keypad.protocol``."""

from devices.keypad.keypad import Keypad
from devices.keypad.protocol import (
    Key,
    KeyPress,
    encode_display,
    encode_key,
    parse_display_line,
    parse_key_line,
)

__all__ = [
    "Key",
    "KeyPress",
    "Keypad",
    "encode_display",
    "encode_key",
    "parse_display_line",
    "parse_key_line",
]
