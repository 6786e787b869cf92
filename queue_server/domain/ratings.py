"""Ratings (好差评): five levels per visit; a bad one opens a rectification item."""

from __future__ import annotations

from datetime import date
from enum import IntEnum

from queue_server.domain.calendar import HallCalendar

# The regulation's rectification period for a bad rating, in working days.
RECTIFICATION_WORKING_DAYS = 15
# Scores at or below this are bad (不满意, 非常不满意).
BAD_THRESHOLD = 2


class RatingLevel(IntEnum):
    """A satisfaction level as pressed on the rating pad (5 best)."""

    VERY_DISSATISFIED = 1
    DISSATISFIED = 2
    BASICALLY_SATISFIED = 3
    SATISFIED = 4
    VERY_SATISFIED = 5

    @property
    def label_zh(self) -> str:
        """The level's words, as on the pad."""
        return _LABELS_ZH[self]

    @property
    def is_bad(self) -> bool:
        """Whether the level opens a rectification item."""
        return self <= BAD_THRESHOLD


_LABELS_ZH: dict[RatingLevel, str] = {
    RatingLevel.VERY_SATISFIED: "非常满意",
    RatingLevel.SATISFIED: "满意",
    RatingLevel.BASICALLY_SATISFIED: "基本满意",
    RatingLevel.DISSATISFIED: "不满意",
    RatingLevel.VERY_DISSATISFIED: "非常不满意",
}


def rating_level(score: int) -> RatingLevel:
    """The level for a raw score 1..5; ValueError otherwise."""
    try:
        return RatingLevel(score)
    except ValueError:
        raise ValueError(f"rating must be 1..5, got {score!r}") from None


def is_bad(score: int) -> bool:
    """Whether a score (1..5) is a bad rating (≤ 2)."""
    return rating_level(score).is_bad


def rectification_due(rated_on: date, calendar: HallCalendar) -> date:
    """The day a bad rating's rectification must be closed: 15 working days after the rating."""
    return calendar.add_working_days(rated_on, RECTIFICATION_WORKING_DAYS)
