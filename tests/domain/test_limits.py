"""Daily cap and per-ID limit."""

from __future__ import annotations

from queue_server.domain.limits import check_daily_cap, check_id_limit, first_refusal
from queue_server.domain.refusals import RefusalCode


def test_daily_cap() -> None:
    assert check_daily_cap(199, 200) is None
    assert check_daily_cap(200, 200) == "daily_cap_reached"
    assert check_daily_cap(250, 200) is RefusalCode.DAILY_CAP_REACHED
    assert check_daily_cap(10_000, None) is None
    assert check_daily_cap(0, 0) is RefusalCode.DAILY_CAP_REACHED


def test_id_limit() -> None:
    assert check_id_limit(0, 1) is None
    assert check_id_limit(1, 1) == "id_daily_limit"
    assert check_id_limit(2, 3) is None
    assert check_id_limit(3, 3) is RefusalCode.ID_DAILY_LIMIT
    assert check_id_limit(99, None) is None


def test_first_refusal_keeps_the_order_of_checks() -> None:
    assert first_refusal(None, check_daily_cap(5, 5), check_id_limit(9, 1)) is RefusalCode.DAILY_CAP_REACHED
    assert first_refusal(None, None) is None


def test_every_refusal_has_a_chinese_message() -> None:
    assert all(code.message_zh for code in RefusalCode)
    assert "截止" in RefusalCode.CUTOFF_PASSED.message_zh
