"""The shipper: a thread of ``hallq server`` on a hall appliance that posts the outbox to the city.

Loop: read the next batch (``city/batch.py``), POST it over HTTP(S) with the hall's credential, record
the position the city answers with, drop those outbox rows; a full batch is followed at once by the
next, an empty outbox is looked at again after ``city_ship_interval_s``. While the city cannot be
reached (or refuses a batch) the wait doubles from 1 s up to ``MAX_BACKOFF_S``; the outbox keeps
everything on disk meanwhile, so an outage of any length ends with the city exact. A crash between the
city's commit and the hall's acknowledgement resends the batch; the city finds it applied already.
"""

from __future__ import annotations

import http.client
import json
import logging
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine

from queue_server.city.batch import acknowledge, read_batch, waiting

log = logging.getLogger(__name__)

INGEST_PATH = "/api/city/batches"
MAX_BACKOFF_S = 60.0  # an outage is retried at least once a minute: the lag figure stays near the truth
FIRST_BACKOFF_S = 1.0
UNAUTHORIZED = 401  # the credential refused: forged, or revoked by the city (city/credential.py)


class CityLinkError(Exception):
    """The city did not take a batch: unreachable (``status`` 0) or an HTTP refusal."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class CityClient:
    """POSTs a batch to the city's ingest (HTTP or HTTPS, the city's CA file if given)."""

    url: str
    credential: str
    ca_file: Path | None = None
    timeout_s: float = 30.0

    def post(self, payload: dict[str, Any]) -> dict[str, Any]:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CityLinkError(f"city URL not usable: {self.url!r}")
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
            conn = http.client.HTTPSConnection(
                parts.hostname, parts.port, timeout=self.timeout_s, context=context
            )
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout_s)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.credential}"}
        try:
            conn.request("POST", parts.path.rstrip("/") + INGEST_PATH, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            raise CityLinkError(f"city unreachable: {exc}") from None
        finally:
            conn.close()
        if response.status != 200:
            raise CityLinkError(
                f"city refused the batch: HTTP {response.status} {text[:300]}", response.status
            )
        answer: dict[str, Any] = json.loads(text)
        return answer


@dataclass
class LinkState:
    """What the shipper knows now (the status endpoint and the log read it)."""

    running: bool = False
    last_ok: datetime | None = None
    last_error: str | None = None
    failures: int = 0
    shipped_rows: int = 0
    pending: int | None = None


class CityShipper:
    """Ships the hall ``hall`` of ``engine`` to the city through ``client`` until stopped."""

    def __init__(
        self,
        engine: Engine,
        hall: str,
        client: CityClient,
        *,
        batch_size: int = 500,
        interval_s: float = 5.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        backoff_s: tuple[float, float] = (FIRST_BACKOFF_S, MAX_BACKOFF_S),
        credential_file: Path | None = None,
    ) -> None:
        self.engine = engine
        # Read again when the city refuses the credential (401): after a revocation the operator
        # writes the new one there, and the shipper takes it without a restart.
        self.credential_file = credential_file
        self.hall = hall
        self.client = client
        self.batch_size = batch_size
        self.interval_s = interval_s
        self.clock = clock
        self.first_backoff_s, self.max_backoff_s = backoff_s
        self.state = LinkState()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def ship_once(self) -> int:
        """One batch read, posted and acknowledged; how many outbox rows it covered (0: none waited).
        Raises ``CityLinkError`` when the city does not take it (nothing is acknowledged then)."""
        batch = read_batch(self.engine, self.hall, self.batch_size)
        if batch is None:
            self.state.pending = 0
            return 0
        try:
            answer = self.client.post(batch.payload())
        except CityLinkError as exc:
            if exc.status != UNAUTHORIZED or not self._credential_renewed():
                raise
            answer = self.client.post(batch.payload())
        seq = int(answer["seq"])
        self.state.pending = acknowledge(self.engine, self.hall, seq, self.clock())
        self.state.shipped_rows += int(answer.get("applied", 0))
        self.state.last_ok = self.clock()
        return batch.count

    def _credential_renewed(self) -> bool:
        """Whether the credential file now holds another credential than the one refused (taken)."""
        if self.credential_file is None:
            return False
        try:
            fresh = read_credential(self.credential_file)
        except (OSError, IndexError):
            return False
        if fresh == self.client.credential:
            return False
        log.info("city link: the credential was refused; using the new one in %s", self.credential_file)
        self.client = replace(self.client, credential=fresh)
        return True

    def drain(self) -> int:
        """Ship until nothing waits (tests, ``hallq city ship``); how many outbox rows went."""
        total = 0
        while (n := self.ship_once()) > 0:
            total += n
        return total

    def start(self) -> None:
        self.state.running = True
        self._thread = threading.Thread(target=self._run, name="city-shipper", daemon=True)
        self._thread.start()
        log.info("city link: shipping hall %s to %s", self.hall, self.client.url)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.client.timeout_s + 5)
        self.state.running = False

    def _run(self) -> None:
        backoff = self.first_backoff_s
        while not self._stop.is_set():
            try:
                covered = self.ship_once()
            except CityLinkError as exc:
                self._failed(str(exc), backoff)
                self._stop.wait(backoff)
                backoff = min(self.max_backoff_s, backoff * 2)
                continue
            except Exception:  # a bug or the database: logged with its trace, retried like an outage
                log.exception("city link: shipping failed")
                self._failed("internal error (see the log)", backoff)
                self._stop.wait(backoff)
                backoff = min(self.max_backoff_s, backoff * 2)
                continue
            if self.state.failures:
                log.info("city link: the city took the batch again after %d failures", self.state.failures)
                self.state.failures, self.state.last_error = 0, None
            backoff = self.first_backoff_s
            if covered < self.batch_size:
                self._stop.wait(self.interval_s)

    def _failed(self, reason: str, backoff: float) -> None:
        self.state.failures += 1
        self.state.last_error = reason
        # One warning when the link goes down, then one a minute or so (the back-off's ceiling).
        if self.state.failures == 1 or backoff >= self.max_backoff_s:
            self.state.pending = waiting(self.engine, self.hall)
            log.warning(
                "city link: %s; %s rows waiting; retrying in %.0f s", reason, self.state.pending, backoff
            )


def make_shipper(engine: Engine, hall: str, url: str, credential_file: Path, **kw: Any) -> CityShipper:
    """A shipper with the credential read from its file (the first line)."""
    ca_file = kw.pop("ca_file", None)
    client = CityClient(url, read_credential(credential_file), ca_file)
    return CityShipper(engine, hall, client, credential_file=credential_file, **kw)


def read_credential(path: Path) -> str:
    """The credential in ``path`` (its first line; IndexError when the file is empty)."""
    return path.read_text(encoding="utf-8").strip().splitlines()[0]
