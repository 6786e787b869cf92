"""The value types of the hall file: codes, texts, and opening-hour sessions (``"09:00-12:00"``).

Import-light like ``schema`` (pydantic and the standard library only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from queue_server.protocol.topics import ID_PATTERN, WINDOW_PATTERN

from .errors import Loc, ProblemsError

IdCode = Annotated[str, Field(pattern=f"^{ID_PATTERN.pattern}$")]
"""Hall codes and device ids: they are MQTT topic levels, client ids and broker usernames."""

DeptCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
ServiceCode = Annotated[str, Field(pattern=r"^[A-Z]$", description="the ticket prefix letter")]
MatterCode = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
WindowNo = Annotated[str, Field(pattern=f"^{WINDOW_PATTERN.pattern}$")]
Login = Annotated[str, Field(pattern=r"^[a-z][a-z0-9._-]{1,31}$")]
Text = Annotated[str, Field(min_length=1, max_length=4000)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
MidText = Annotated[str, Field(min_length=1, max_length=500)]
Name = Annotated[str, Field(min_length=1, max_length=100)]

_RANGE_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True, slots=True)
class TimeRange:
    """A session of opening hours, hall-local wall clock, written ``"09:00-12:00"`` (end exclusive)."""

    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    @property
    def minutes(self) -> int:
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)


def _parse_range(value: Any) -> Any:
    if not isinstance(value, str):
        return value  # a TimeRange already, or a wrong type pydantic reports
    m = _RANGE_RE.match(value)
    if m is None:
        raise ValueError(f"bad time range {value!r}: write it as HH:MM-HH:MM, e.g. 09:00-12:00")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError(f"bad time range {value!r}: hours 00-23, minutes 00-59")
    start, end = time(h1, m1), time(h2, m2)
    if not start < end:
        raise ValueError(f"bad time range {value!r}: it must start before it ends")
    return TimeRange(start, end)


Session = Annotated[TimeRange, BeforeValidator(_parse_range), PlainSerializer(str, return_type=str)]


def _in_order(sessions: list[TimeRange]) -> list[TimeRange]:
    problems: list[tuple[Loc, str]] = [
        ((i,), f"session {sessions[i]} overlaps or precedes session {sessions[i - 1]}")
        for i in range(1, len(sessions))
        if sessions[i].start < sessions[i - 1].end
    ]
    if problems:
        raise ProblemsError(problems)
    return sessions


DaySessions = Annotated[list[Session], AfterValidator(_in_order)]
"""The sessions of one day, in order and not overlapping; the gaps are lunch breaks."""


class Section(BaseModel):
    """A part of the hall file: unknown keys refused, frozen, text stripped."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
