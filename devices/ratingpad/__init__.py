"""The rating pad (评价器): five keys, one rating per visit. Protocol in ``devices.ratingpad.protocol``."""

from devices.ratingpad.pad import RatingPad
from devices.ratingpad.protocol import (
    CLEAR,
    SCORE_LABELS,
    HostCommand,
    HostCommandKind,
    Rating,
    RatingSession,
    ack,
    parse_host_line,
    parse_pad_line,
    press,
    prompt,
)

__all__ = [
    "CLEAR",
    "SCORE_LABELS",
    "HostCommand",
    "HostCommandKind",
    "Rating",
    "RatingPad",
    "RatingSession",
    "ack",
    "parse_host_line",
    "parse_pad_line",
    "press",
    "prompt",
]
