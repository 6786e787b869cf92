"""A supervision alert in Debian's Chromium: a citizen has waited past the service's target, the running
server's supervision raises an alert, the managers' overview shows it live, and the manager
acknowledges it with a note (read back from the API)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, expect
from sqlmodel import SQLModel

from queue_server.store.tables import Hall as HallRow
from queue_server.store.tables import Ticket
from tests.e2e.conftest import Hall
from tests.e2e.managers import issue, manager_page

pytestmark = [pytest.mark.browser, pytest.mark.broker]

TICKET = SQLModel.metadata.tables[Ticket.__tablename__]
HALL = SQLModel.metadata.tables[HallRow.__tablename__]


def test_a_manager_acknowledges_an_alert_raised_by_a_long_wait(hall: Hall, browser: Browser) -> None:
    assert hall.services is not None
    services = hall.services
    # The hall has entered the coming years' holiday arrangements: in November and December the
    # calendar rule would otherwise (rightly) raise its own alert before the one this test waits for.
    year = datetime.now(UTC).year
    with hall.engine.begin() as conn:
        conn.execute(sa.update(HALL).where(HALL.c.code == hall.code).values(confirmed_years=[year, year + 1]))
    # The monitor as the server runs it, ticking often: the wait rule is one of time alone.
    services.supervision.start([hall.code], tick_s=0.5)
    try:
        page = manager_page(hall, browser, "/console/overview")
        expect(page.locator("#alerts .empty")).to_have_text("当前没有告警")
        page.evaluate("window.__notReloaded = 42")

        number = issue(hall, 1, service="A")
        # The citizen has been waiting for 35 minutes (service A's target is 20): the ticket's times
        # moved back in the database, as if it had been issued then.
        with hall.engine.begin() as conn:
            issued_at = conn.execute(
                sa.select(TICKET.c.issued_at).where(TICKET.c.number == number)
            ).scalar_one()
            earlier = issued_at - timedelta(minutes=35)
            conn.execute(
                sa.update(TICKET)
                .where(TICKET.c.number == number)
                .values(issued_at=earlier, queued_at=earlier)
            )

        alert = page.locator('#alerts .alert[data-kind="wait_over_target"]')
        expect(alert).to_contain_text("户籍业务", timeout=15_000)
        expect(alert.locator(".meta")).to_contain_text("业务 A")
        alert_id = alert.get_attribute("data-alert")
        hall.screenshot(page, "26-manager-alert")
        alert.locator('input[name="note"]').fill("已加开3号窗口分流")
        alert.locator('button[type="submit"]').click()

        # As long as the alert's own wait above: on a loaded test machine the acknowledgement and the
        # overview's refetch after it took over the default 5 s once (how fast is the benchmarks' to say).
        expect(alert.locator(".acked")).to_contain_text("已加开3号窗口分流", timeout=15_000)
        expect(page.locator("#message")).to_contain_text("告警已确认", timeout=15_000)
        body = page.request.get(f"{hall.url}/api/halls/{hall.code}/alerts?state=open").json()
        acked = next(a for a in body["alerts"] if str(a["id"]) == alert_id)
        assert acked["kind"] == "wait_over_target"
        assert acked["service"] == "A"
        assert (acked["acknowledged_by"], acked["note"]) == ("manager", "已加开3号窗口分流")
        assert acked["resolved_at"] is None
        assert page.evaluate("window.__notReloaded") == 42
        page.context.close()
    finally:
        services.supervision.stop()
