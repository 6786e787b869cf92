"""The on-disk journal of ticket requests: one citizen, one ticket, one print, across a restart.

A ticket request is written here (``pending``) before it goes out, so a kiosk that loses power or
crashes mid-request resends it with the SAME id when it comes back; the server answers a known id with
the ticket it already issued, and the kiosk prints it once. Each entry moves forward only:

    pending ──reply──▶ answered ──▶ printing ──▶ printed
       │                  │            └──(error)──▶ print_failed
       ├──refusal──▶ refused
       └──gave up (citizen sent to the guide desk, or too old)──▶ abandoned

``printing`` is written before the bytes go to the printer. An entry found in ``printing`` after a
restart is NOT printed again: paper may already have come out, and two tickets for one citizen is the
failure the journal exists to prevent (the citizen can still ask the guide desk, who sees the ticket).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from queue_server.protocol.messages import Response


class EntryState(StrEnum):
    PENDING = "pending"
    ANSWERED = "answered"
    PRINTING = "printing"
    PRINTED = "printed"
    PRINT_FAILED = "print_failed"
    REFUSED = "refused"
    ABANDONED = "abandoned"


# States a restart must finish; every other state is final.
OPEN_STATES = (EntryState.PENDING, EntryState.ANSWERED)


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    request_id: str
    op: str
    args: dict[str, Any]
    state: EntryState
    created_at: float
    response: Response | None


_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    request_id TEXT PRIMARY KEY,
    op TEXT NOT NULL,
    args TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    response TEXT
)
"""


class Outbox:
    """SQLite file with one row per request; safe to use from the UI and worker threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        # FULL: an acknowledged write survives a power cut, which is the point of this file.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(self, request_id: str, op: str, args: dict[str, Any], now: float) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO outbox (request_id, op, args, state, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (request_id, op, json.dumps(args, ensure_ascii=False), EntryState.PENDING, now, now),
            )

    def answered(self, request_id: str, response: Response, now: float) -> None:
        """Keep the server's reply; a refusal is final, a ticket still has to be printed."""
        state = EntryState.ANSWERED if response.ok else EntryState.REFUSED
        with self._lock:
            self._db.execute(
                "UPDATE outbox SET state = ?, response = ?, updated_at = ?"
                " WHERE request_id = ? AND state = ?",
                (state, response.model_dump_json(), now, request_id, EntryState.PENDING),
            )

    def move(self, request_id: str, to: EntryState, now: float) -> bool:
        """Move an entry forward; False when it was not in a state that may move there."""
        allowed = _FROM[to]
        marks = ",".join("?" * len(allowed))
        with self._lock:
            cur = self._db.execute(
                f"UPDATE outbox SET state = ?, updated_at = ? WHERE request_id = ? AND state IN ({marks})",  # noqa: S608 - only '?' marks are formatted in
                (to, now, request_id, *allowed),
            )
            return cur.rowcount == 1

    def get(self, request_id: str) -> OutboxEntry | None:
        with self._lock:
            row = self._db.execute(
                "SELECT request_id, op, args, state, created_at, response FROM outbox WHERE request_id = ?",
                (request_id,),
            ).fetchone()
        return _entry(row) if row is not None else None

    def open_entries(self) -> list[OutboxEntry]:
        """Entries a restart must finish, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT request_id, op, args, state, created_at, response FROM outbox"
                " WHERE state IN (?, ?) ORDER BY created_at",
                OPEN_STATES,
            ).fetchall()
        return [_entry(r) for r in rows]

    def prune(self, before: float) -> int:
        """Forget final entries older than ``before`` (the journal is not an archive)."""
        finals = [s for s in EntryState if s not in OPEN_STATES]
        marks = ",".join("?" * len(finals))
        with self._lock:
            cur = self._db.execute(
                f"DELETE FROM outbox WHERE updated_at < ? AND state IN ({marks})",  # noqa: S608 - marks only
                (before, *finals),
            )
            return cur.rowcount


_FROM: dict[EntryState, tuple[EntryState, ...]] = {
    EntryState.PRINTING: (EntryState.ANSWERED,),
    EntryState.PRINTED: (EntryState.PRINTING,),
    EntryState.PRINT_FAILED: (EntryState.PRINTING, EntryState.ANSWERED),
    EntryState.ABANDONED: (EntryState.PENDING, EntryState.ANSWERED),
    EntryState.PENDING: (),
    EntryState.ANSWERED: (),
    EntryState.REFUSED: (),
}


def _entry(row: tuple[str, str, str, str, float, str | None]) -> OutboxEntry:
    rid, op, args, state, created, response = row
    return OutboxEntry(
        request_id=rid,
        op=op,
        args=json.loads(args),
        state=EntryState(state),
        created_at=created,
        response=Response.model_validate_json(response) if response else None,
    )
