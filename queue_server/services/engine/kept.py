"""What a hall's ticket issues read that no issue changes, kept from one batch to the next."""

from __future__ import annotations

import time
from collections.abc import Hashable
from typing import Any

# What issues read that no issue changes (Tx.kept) is carried from one batch to the next for this long
# at most, and dropped at once after any other write of the hall, which may change it: a change made
# outside this process (the hall file loaded again) shows within this time.
KEEP_S = 1.0


class KeptReads:
    """Each hall's ``Tx.kept`` between batches of issues (see ``KEEP_S`` and the ``tx`` module doc).

    ``take`` hands a batch the hall's kept reads (empty once older than ``keep_s``) and forgets them:
    only a batch that committed gives them back, so a failed one cannot leave anything behind. Per hall
    code; the writer threads of different halls (PostgreSQL) touch different entries.
    """

    def __init__(self, keep_s: float = KEEP_S) -> None:
        self.keep_s = keep_s
        self._halls: dict[str, tuple[float, dict[Hashable, Any]]] = {}

    def take(self, hall: str) -> tuple[float, dict[Hashable, Any]]:
        """(when they were first read, the reads) for a batch of ``hall``."""
        now = time.monotonic()
        since, values = self._halls.pop(hall, (now, {}))
        return (since, values) if now - since <= self.keep_s else (now, {})

    def give_back(self, hall: str, since: float, values: dict[Hashable, Any]) -> None:
        self._halls[hall] = (since, values)

    def drop(self, hall: str) -> None:
        self._halls.pop(hall, None)
