"""The agent's on-disk outbox: key presses and ratings, kept until the server has them.

Every window request and every rating goes through here, online or not, so there is one path and one
order. An entry is written (``synchronous=FULL``) before anything is sent and keeps its id for life: a
resend after a lost reply, a broker outage or an agent restart carries the SAME id, and the server,
idempotent by id, acts once. The worker deletes a request when its reply arrived (a rating is a
request too, ``rating.submit``: deleting it at the broker's PUBACK lost the ratings made while the
server restarted); nothing else removes an entry except :meth:`Outbox.expire`. ``EVENT`` entries are
only what an older agent left on disk; the worker sends them as requests.

A small key/value table beside it keeps what the agent must remember across a restart (the rating
prompt that was open).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0
    )
    """,
    "CREATE TABLE IF NOT EXISTS memo (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


class EntryKind(StrEnum):
    REQUEST = "request"
    """``name`` is the op, ``body`` its args; done when the reply arrives."""
    EVENT = "event"
    """``name`` is the event name, ``body`` the whole payload; done when the broker acknowledged it."""


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    seq: int
    id: str
    kind: EntryKind
    name: str
    body: dict[str, Any]
    created_at: float
    attempts: int


class Outbox:
    """One SQLite file; safe from the serial reader threads and the worker at once."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        # FULL: a press acknowledged on the keypad survives a power cut, which is the point of the file.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=5000")
        for statement in _SCHEMA:
            self._db.execute(statement)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(self, kind: EntryKind, entry_id: str, name: str, body: dict[str, Any], now: float) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO outbox (id, kind, name, body, created_at) VALUES (?, ?, ?, ?, ?)",
                (entry_id, kind.value, name, json.dumps(body, ensure_ascii=False), now),
            )

    def first(self) -> OutboxEntry | None:
        """The oldest entry: the worker sends strictly in order."""
        with self._lock:
            row = self._db.execute(
                "SELECT seq, id, kind, name, body, created_at, attempts FROM outbox ORDER BY seq LIMIT 1"
            ).fetchone()
        return _entry(row) if row is not None else None

    def entries(self) -> list[OutboxEntry]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, id, kind, name, body, created_at, attempts FROM outbox ORDER BY seq"
            ).fetchall()
        return [_entry(r) for r in rows]

    def attempted(self, entry_id: str) -> None:
        with self._lock:
            self._db.execute("UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", (entry_id,))

    def done(self, entry_id: str) -> bool:
        """Remove an entry whose reply or acknowledgement arrived; False if it was not there."""
        with self._lock:
            return self._db.execute("DELETE FROM outbox WHERE id = ?", (entry_id,)).rowcount == 1

    def expire(self, entry_id: str) -> bool:
        """Remove an entry that is too old to send (see ``AgentOptions.max_age_s``)."""
        return self.done(entry_id)

    def __len__(self) -> int:
        with self._lock:
            (count,) = self._db.execute("SELECT count(*) FROM outbox").fetchone()
        return int(count)

    # --- memo ----------------------------------------------------------------------------------

    def remember(self, key: str, value: str | None) -> None:
        """Keep ``value`` under ``key`` across restarts (None forgets it)."""
        with self._lock:
            if value is None:
                self._db.execute("DELETE FROM memo WHERE key = ?", (key,))
            else:
                self._db.execute(
                    "INSERT INTO memo (key, value) VALUES (?, ?)"
                    " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )

    def recall(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM memo WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])


def _entry(row: tuple[int, str, str, str, str, float, int]) -> OutboxEntry:
    seq, entry_id, kind, name, body, created_at, attempts = row
    return OutboxEntry(seq, entry_id, EntryKind(kind), name, json.loads(body), created_at, attempts)
