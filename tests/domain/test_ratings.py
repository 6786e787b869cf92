"""Rating levels, bad ratings and the rectification deadline."""

from __future__ import annotations

from datetime import date

import pytest

from queue_server.domain.calendar import HallCalendar
from queue_server.domain.ratings import RatingLevel, is_bad, rating_level, rectification_due


def test_levels_and_labels() -> None:
    assert [level.label_zh for level in sorted(RatingLevel, reverse=True)] == [
        "非常满意",
        "满意",
        "基本满意",
        "不满意",
        "非常不满意",
    ]
    assert rating_level(5) is RatingLevel.VERY_SATISFIED


def test_bad_is_two_or_less() -> None:
    assert [is_bad(score) for score in range(1, 6)] == [True, True, False, False, False]
    for score in (0, 6, -1):
        with pytest.raises(ValueError):
            is_bad(score)


def test_rectification_due_in_15_working_days_across_national_day() -> None:
    cal = HallCalendar()
    # 28 Sep 2026 (Mon): 29, 30 Sep, 8, 9, 10 (make-up Sat), 12-16, 19-23 Oct = 15 working days.
    assert rectification_due(date(2026, 9, 28), cal) == date(2026, 10, 23)
    assert rectification_due(date(2026, 11, 2), cal) == date(2026, 11, 23)
