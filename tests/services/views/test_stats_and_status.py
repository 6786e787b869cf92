"""Statistics against hand-computed figures; ticket status in the call-next order; estimates."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from harness.factories import SHANGHAI, HallFixture
from queue_server.errors import BadRequestError, NotAuthorizedError
from queue_server.services.ports import Actor

ELDERLY = date(1950, 1, 1)


def _serve(hall: HallFixture, window: str, actor: Actor, wait_min: int, handle_min: int) -> None:
    hall.clock.advance(minutes=wait_min)
    hall.services.call_next(hall.code, window, actor=actor, request_id=hall.rid())
    hall.services.start(hall.code, window, actor=actor, request_id=hall.rid())
    hall.clock.advance(minutes=handle_min)
    hall.services.finish(hall.code, window, None, actor=actor, request_id=hall.rid())


def test_statistics_match_hand_computed_figures(hall: HallFixture) -> None:
    hall.clock.set(datetime(2025, 3, 12, 9, 0, tzinfo=SHANGHAI))
    for _ in range(4):
        hall.issue("A")  # A001..A004 at 09:00
    hall.issue("B")  # B001 at 09:00
    zhang = hall.open_window("1", "zhang")
    _serve(hall, "1", zhang, wait_min=10, handle_min=5)  # A001: wait 10, handling 5   (09:15)
    _serve(hall, "1", zhang, wait_min=15, handle_min=7)  # A002: wait 30, handling 7   (09:37)
    hall.clock.advance(minutes=3)  # A003 called at 09:40: wait 40, no-show
    hall.services.call_next(hall.code, "1", actor=zhang, request_id=hall.rid())
    hall.services.no_show(hall.code, "1", actor=zhang, request_id=hall.rid())
    zhao = hall.open_window("4", "zhao")
    # Window 4 serves A and B with equal weight: the older... A004 and B001 both 09:00; B001's id is
    # higher (issued after A004), so A004 first.
    _serve(hall, "4", zhao, wait_min=0, handle_min=9)  # A004: wait 40, handling 9
    _serve(hall, "4", zhao, wait_min=1, handle_min=3)  # B001: wait 50, handling 3
    hall.clock.set(datetime(2025, 3, 13, 9, 0, tzinfo=SHANGHAI))
    hall.issue("A")  # another day: outside the range below

    with pytest.raises(NotAuthorizedError):
        hall.services.statistics(hall.code, date(2025, 3, 12), date(2025, 3, 12), actor=zhang)
    stats = hall.services.statistics(
        hall.code, date(2025, 3, 12), date(2025, 3, 12), "service", actor=hall.manager
    )
    by_service = {row.label: row for row in stats.rows}
    a, b = by_service["A 户籍业务"], by_service["B 企业开办"]
    assert (a.issued, a.served, a.no_show) == (4, 3, 1)
    assert a.wait_mean_s == (10 + 30 + 40 + 40) / 4 * 60
    assert a.wait_p90_s == 40 * 60  # nearest rank: ceil(0.9 * 4) = 4th of [10, 30, 40, 40]
    assert a.handling_mean_s == (5 + 7 + 9) / 3 * 60
    assert a.service_level == 1 / 4  # target 20 min: only A001
    assert (b.issued, b.served, b.wait_mean_s, b.service_level) == (1, 1, 50 * 60, 0.0)
    assert "C 社保业务" not in by_service  # nothing issued: no row
    windows = hall.services.statistics(
        hall.code, date(2025, 3, 12), date(2025, 3, 12), "window", actor=hall.manager
    )
    by_window = {row.label: row for row in windows.rows}
    assert (by_window["1号窗口"].visits, by_window["1号窗口"].served, by_window["1号窗口"].no_show) == (
        3,
        2,
        1,
    )
    assert (by_window["4号窗口"].served, by_window["4号窗口"].handling_mean_s) == (2, 6 * 60)
    assert stats.total.issued == 5 and stats.total.served == 4
    with pytest.raises(BadRequestError):
        hall.services.statistics(hall.code, date(2025, 3, 13), date(2025, 3, 12), actor=hall.manager)


def test_status_uses_the_call_next_order_and_estimates_the_wait(hall: HallFixture) -> None:
    normal = [hall.issue("A") for _ in range(3)]
    elderly = [hall.issue("A", birth_date=ELDERLY) for _ in range(3)]
    # Call order (interleave 2): E1 E2 N1 E3 N2 N3.
    expected = [elderly[0], elderly[1], normal[0], elderly[2], normal[1], normal[2]]
    positions = [hall.services.ticket_status(hall.code, t.ticket_id).position for t in expected]
    assert positions == [1, 2, 3, 4, 5, 6]
    actor = hall.open_window("1", "zhang")
    # No handling history yet: the service default (5 min) per person, one window open.
    assert hall.services.ticket_status(hall.code, normal[2].ticket_id).eta_min == 25
    for _ in range(3):
        hall.services.call_next(hall.code, "1", actor=actor, request_id=hall.rid())
        hall.services.start(hall.code, "1", actor=actor, request_id=hall.rid())
        hall.clock.advance(minutes=2)
        hall.services.finish(hall.code, "1", None, actor=actor, request_id=hall.rid())
    last = hall.services.ticket_status(hall.code, normal[2].ticket_id)
    assert (last.position, last.people_ahead, last.eta_min) == (3, 2, 4)  # median of 3 samples: 2 min
    hall.open_window("4", "zhao")
    assert hall.services.ticket_status(hall.code, normal[2].ticket_id).eta_min == 2  # two windows
