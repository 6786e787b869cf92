"""Supervision while the hall runs, on SQLite and PostgreSQL: the stored alerts follow the rules (raised
once per key, re-graded, resolved by themselves), a manager acknowledges them with a note (audited),
and device status (heartbeats, paper) is shown and judged."""

from __future__ import annotations

import asyncio
import json
import time

from sqlmodel import Session, col, select

from harness.factories import HallFixture
from harness.waiting import scaled
from queue_server.errors import NotAuthorizedError
from queue_server.protocol.messages import DeviceStatus, RatingEvent
from queue_server.services.views.live import LiveEvent
from queue_server.store import tables as t


def stored(hall: HallFixture) -> list[t.SupervisionAlert]:
    with Session(hall.engine) as session:
        rows = list(
            session.exec(
                select(t.SupervisionAlert)
                .where(t.SupervisionAlert.hall_id == hall.hall_id)
                .order_by(col(t.SupervisionAlert.id))
            )
        )
        for row in rows:
            session.expunge(row)
        return rows


def events(hall: HallFixture, kind: str) -> list[t.Event]:
    with Session(hall.engine) as session:
        rows = list(
            session.exec(
                select(t.Event)
                .where(t.Event.hall_id == hall.hall_id, t.Event.kind == kind)
                .order_by(col(t.Event.id))
            )
        )
        for row in rows:
            session.expunge(row)
        return rows


def status(state: str = "online", boot: int = 1, **health: str) -> bytes:
    return (
        DeviceStatus(state=state, boot=boot, kind="kiosk", ts=time.time(), health=health)
        .model_dump_json()
        .encode()
    )


def test_a_long_wait_raises_one_alert_a_manager_acknowledges_and_the_call_resolves(hall: HallFixture) -> None:
    services, monitor = hall.services, hall.services.supervision
    staff = hall.open_window("1", "zhang")
    hall.issue("A")
    services.call_next(hall.code, "1", actor=staff, request_id=hall.rid())
    services.start(hall.code, "1", actor=staff, request_id=hall.rid())  # window 1 busy, not idle
    waiting = hall.issue("A")
    hall.clock.advance(minutes=19)
    assert monitor.evaluate(hall.code).raised == []
    hall.clock.advance(minutes=2)  # 21 minutes: over the target of 20

    assert monitor.evaluate(hall.code).raised == ["wait_over_target:A"]
    hall.clock.advance(minutes=5)
    assert not monitor.evaluate(hall.code).changed  # raised once per key, not once per evaluation
    [alert] = services.alerts(hall.code).alerts
    assert (alert.kind, alert.severity, alert.service, alert.window) == (
        "wait_over_target",
        "warning",
        "A",
        None,
    )
    assert (alert.title, alert.detail) == ("等候超时", "户籍业务当前最长等候21分钟，超过目标20分钟。")
    assert alert.resolved_at is None and alert.acknowledged_at is None

    try:
        services.acknowledge_alert(
            hall.code, alert.id, "看看", actor=hall.staff("zhang"), request_id=hall.rid()
        )
        raise AssertionError("window staff acknowledged an alert")
    except NotAuthorizedError:
        pass
    key = hall.rid()
    acked = services.acknowledge_alert(hall.code, alert.id, "已增派人员", actor=hall.manager, request_id=key)
    again = services.acknowledge_alert(hall.code, alert.id, "已增派人员", actor=hall.manager, request_id=key)
    assert again == acked
    assert (acked.acknowledged_by, acked.note, acked.acknowledged_at) == (
        "manager",
        "已增派人员",
        hall.clock().timestamp(),
    )
    [audit] = events(hall, "alert_acknowledged")
    assert audit.data["note"] == "已增派人员" and audit.staff_id is not None

    hall.clock.advance(minutes=20)  # 46 minutes: past twice the target
    assert monitor.evaluate(hall.code).regraded == ["wait_over_target:A"]
    assert services.alerts(hall.code).alerts[0].severity == "critical"

    services.finish(hall.code, "1", None, actor=staff, request_id=hall.rid())
    called = services.call_next(hall.code, "1", actor=staff, request_id=hall.rid())
    assert called.ticket is not None and called.ticket.ticket_id == waiting.ticket_id
    assert monitor.evaluate(hall.code).resolved == ["wait_over_target:A"]
    assert services.alerts(hall.code).alerts == []
    [row] = services.alerts(hall.code, "all").alerts
    assert row.resolved_at == hall.clock().timestamp() and row.note == "已增派人员"
    assert [e.data["key"] for e in events(hall, "alert_raised")] == ["wait_over_target:A"]
    assert len(stored(hall)) == 1


def test_devices_offline_after_their_heartbeats_stop_and_paper_low_or_out(hall: HallFixture) -> None:
    services, monitor = hall.services, hall.services.supervision
    services.record_device_status(hall.code, "kiosk-1", status(printer="ok"))
    [kiosk] = [d for d in services.device_statuses(hall.code).devices if d.id == "kiosk-1"]
    assert (kiosk.online, kiosk.boot_count, kiosk.paper, kiosk.kind) == (True, 1, "ok", "kiosk")
    [agent] = [d for d in services.device_statuses(hall.code).devices if d.id == "agent-1"]
    assert (agent.online, agent.last_seen, agent.window) == (False, None, "1")  # never reported: not judged
    assert monitor.evaluate(hall.code).raised == []

    for _ in range(3):  # heartbeats every 30 s keep it online
        hall.clock.advance(seconds=30)
        services.record_device_status(hall.code, "kiosk-1", status(printer="ok"))
        assert not monitor.evaluate(hall.code).changed
    hall.clock.advance(seconds=91)  # silent past the default 90 s
    assert monitor.evaluate(hall.code).raised == ["device_offline:kiosk-1"]
    [alert] = services.alerts(hall.code).alerts
    assert (alert.device, alert.severity, alert.title) == ("kiosk-1", "critical", "设备离线")
    assert [d.online for d in services.device_statuses(hall.code).devices if d.id == "kiosk-1"] == [False]

    services.record_device_status(hall.code, "kiosk-1", status(boot=2, printer="paper_near_end"))
    result = monitor.evaluate(hall.code)
    assert (result.raised, result.resolved) == (["printer_paper_low:kiosk-1"], ["device_offline:kiosk-1"])
    services.record_device_status(hall.code, "kiosk-1", status(boot=2, printer="paper_out"))
    result = monitor.evaluate(hall.code)
    assert (result.raised, result.resolved) == (["printer_paper_out:kiosk-1"], ["printer_paper_low:kiosk-1"])
    [kiosk] = [d for d in services.device_statuses(hall.code).devices if d.id == "kiosk-1"]
    assert (kiosk.paper, kiosk.boot_count, kiosk.online) == ("out", 2, True)

    # A Last Will: offline at once on the overview, an alert only once its grace has passed.
    services.record_device_status(hall.code, "kiosk-1", json.dumps({"state": "offline", "boot": 2}).encode())
    assert [d.online for d in services.device_statuses(hall.code).devices if d.id == "kiosk-1"] == [False]
    assert monitor.evaluate(hall.code).resolved == ["printer_paper_out:kiosk-1"]
    hall.clock.advance(seconds=91)
    assert monitor.evaluate(hall.code).raised == ["device_offline:kiosk-1"]


def test_pause_idle_window_no_show_streak_and_bad_rating_at_runtime(hall: HallFixture) -> None:
    services, monitor = hall.services, hall.services.supervision
    one = hall.open_window("1", "zhang")
    two = hall.open_window("2", "zhao")
    services.pause(hall.code, "2", "工作会议", actor=two, request_id=hall.rid())
    hall.issue("A")
    hall.clock.advance(minutes=6)  # window 1 idle with one waiting; window 2 paused 6 minutes
    assert monitor.evaluate(hall.code).raised == ["window_idle_with_waiting:1"]
    hall.clock.advance(minutes=10)
    assert monitor.evaluate(hall.code).raised == ["window_paused_too_long:2"]
    services.resume(hall.code, "2", actor=two, request_id=hall.rid())

    for _ in range(3):  # three called in a row who never came
        services.call_next(hall.code, "1", actor=one, request_id=hall.rid())
        services.no_show(hall.code, "1", actor=one, request_id=hall.rid())
        hall.issue("A")
    result = monitor.evaluate(hall.code)
    assert result.raised == ["no_show_streak:1"]
    assert set(result.resolved) == {"window_paused_too_long:2", "window_idle_with_waiting:1"}
    [streak] = services.alerts(hall.code).alerts
    assert streak.detail == "1号窗口连续3位群众过号未到，请核查叫号与广播是否正常。" and streak.window == "1"

    served = services.call_next(hall.code, "1", actor=one, request_id=hall.rid())
    services.start(hall.code, "1", actor=one, request_id=hall.rid())  # someone came: the streak ends
    services.finish(hall.code, "1", None, actor=one, request_id=hall.rid())
    assert monitor.evaluate(hall.code).resolved == ["no_show_streak:1"]

    assert served.ticket is not None
    rating = RatingEvent(id="r-1", score=1, visit=served.ticket.ticket_id)
    services.record_rating(hall.code, "1", rating, device_id="agent-1")  # the window's rating pad
    [bad] = monitor.evaluate(hall.code).raised
    assert bad == f"bad_rating:{served.ticket.number}"
    [item] = services.rectifications(hall.code, actor=hall.manager).items
    services.close_rectification(
        hall.code, item.id, "已约谈并培训", actor=hall.manager, request_id=hall.rid()
    )
    assert monitor.evaluate(hall.code).resolved == [bad]  # rectified: the condition has cleared
    assert services.alerts(hall.code).alerts == []
    assert {a.kind for a in services.alerts(hall.code, "all").alerts} == {
        "window_idle_with_waiting",
        "window_paused_too_long",
        "no_show_streak",
        "bad_rating",
    }


def test_the_open_alerts_reach_the_live_channel(hall: HallFixture) -> None:
    services = hall.services

    async def first_alerts_event() -> LiveEvent:
        opened = services.hub.subscribe(hall.code)
        hall.open_window("1", "zhang")
        hall.issue("A")
        hall.clock.advance(minutes=6)  # window 1 idle while one waits
        await asyncio.to_thread(services.supervision.evaluate, hall.code)
        while True:
            item = await opened.subscription.get(scaled(10))
            assert item is not None, "no alerts event on the live channel"
            if isinstance(item, LiveEvent) and item.kind == "alerts":
                return item

    event = asyncio.run(first_alerts_event())
    [alert] = json.loads(event.data)["alerts"]
    assert (alert["kind"], alert["window"]) == ("window_idle_with_waiting", "1")
