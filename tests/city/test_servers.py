"""Two real ``hallq server`` processes: the hall appliance (SQLite) with ``city_url`` and the city
(PostgreSQL). The hall's day was played before its server started (cut off); its server ships it,
killed with SIGKILL between batches and started again; the city's figures equal the hall's."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harness.broker import MosquittoBroker
from harness.factories import build_hall
from harness.processes import HallqServer, ServerConfig, secret_key_file
from harness.waiting import eventually
from queue_server.city.credential import PURPOSE, make_credential
from queue_server.city.status import link_status
from queue_server.settings import derive_key
from tests.city.test_outage_day import _figures
from tests.stats.test_fixed_day import HOURS, _play_the_day


@dataclass(frozen=True)
class ApplianceConfig(ServerConfig):
    """A hall appliance's unit environment with its city link."""

    city: tuple[tuple[str, str], ...] = ()

    def environment(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return super().environment(dict(self.city) | (extra or {}))


# Two servers started three times: ~20 s on an idle machine, minutes on a loaded one (its short
# version: tests/city/test_ingest.py, a batch resent after a lost acknowledgement).
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_hallq_server_ships_the_day_and_a_kill_between_batches_doubles_nothing(
    broker: MosquittoBroker, fresh_broker: MosquittoBroker, pg_url: str, hall_code: str, tmp_path: Path
) -> None:
    hall_url = f"sqlite:///{tmp_path / 'hall.db'}"
    hall = build_hall(hall_url, code=hall_code, schedule=HOURS)
    city = build_hall(pg_url, code=hall_code, schedule=HOURS)
    (tmp_path / "city").mkdir()
    (tmp_path / "hall").mkdir()
    city_server = HallqServer(ServerConfig(pg_url, fresh_broker.address.port, hall_code, tmp_path / "city"))
    key = derive_key(secret_key_file(tmp_path / "city").read_text().strip().encode(), PURPOSE)
    credential = tmp_path / "hall" / "city.credential"
    credential.write_text(make_credential(key, hall_code) + "\n")
    link = (
        ("HALLQ_CITY_URL", city_server.config.base_url),
        ("HALLQ_CITY_CREDENTIAL_FILE", str(credential)),
        ("HALLQ_CITY_BATCH_SIZE", "2"),  # ~40 batches: the kill lands among them
    )
    hall_config = ApplianceConfig(hall_url, broker.address.port, hall_code, tmp_path / "hall", city=link)
    hall_server = HallqServer(hall_config)
    _play_the_day(hall)
    try:
        city_server.start()
        hall_server.start()

        def status() -> tuple[int, int]:
            s = link_status(hall.engine, hall_code, datetime.now(UTC), None, None)
            return s.acked_seq, s.pending

        eventually(lambda: status()[0] > 0, what="a first batch acknowledged")
        os.kill(hall_server.pid, signal.SIGKILL)
        hall_server.stop()
        assert status()[1] > 0  # killed with batches still to go
        hall_server.start()
        eventually(lambda: status()[1] == 0, what="the rest shipped after the restart")
        city.clock.set(hall.clock())
        assert _figures(city) == _figures(hall)
        assert "city link: shipping hall" in hall_server.log_tail(100_000)
        assert "city ingest: hall" in city_server.log_tail(100_000)
    finally:
        hall_server.stop()
        city_server.stop()
        hall.close()
        city.close()
