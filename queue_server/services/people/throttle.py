"""Failed sign-ins, counted in memory per login and per address: past the limit, answer 429.

In memory on purpose: counting a failure must not wait for the writer that ticket issues share, and
the state is worth nothing after a restart (each instance of a deployment counts its own; the audit
rows of ``login_failed`` are in the database). Times are the services' clock, passed in.
"""

from __future__ import annotations

import threading
from collections import deque

from queue_server.errors import NotAuthorizedError

# Keys remembered at most; past it the oldest go first (an attacker cycling through made-up logins
# cannot grow memory without bound; the per-address count still holds them).
MAX_KEYS = 10_000


class LoginThrottledError(NotAuthorizedError):
    """Too many failed sign-ins for this login or from this address (HTTP 429, Retry-After)."""

    def __init__(self, retry_after_s: int, *, first: bool = True) -> None:
        super().__init__("登录失败次数过多，请稍后再试。", retry_after_s=retry_after_s)
        self.retry_after_s = retry_after_s
        self.first = first  # the first refusal of this block (audited; the rest are not)


class LoginThrottle:
    """At most ``per_login`` failures for one login and ``per_address`` from one address within
    ``window_s``; beyond that, sign-ins are refused until the oldest counted failure is that old."""

    def __init__(self, per_login: int, per_address: int, window_s: float) -> None:
        self.limits = {"login": per_login, "address": per_address}
        self.window_s = window_s
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, str], deque[float]] = {}
        # Per key, the failure that started the block already refused once: a flood of refused
        # attempts is audited once per block, not once per request (each row is a write).
        self._reported: dict[tuple[str, str], float] = {}

    def check(self, login: str, address: str | None, now: float) -> None:
        """LoginThrottledError while either count is at its limit."""
        with self._lock:
            blocked: list[tuple[tuple[str, str], tuple[float, float]]] = []
            for key in self._keys(login, address):
                block = self._block(key, now)
                if block is not None:
                    blocked.append((key, block))
            if not blocked:
                return
            first = any(self._reported.get(key) != block[0] for key, block in blocked)
            for key, block in blocked:
                self._reported[key] = block[0]
            while len(self._reported) > MAX_KEYS:
                del self._reported[next(iter(self._reported))]
        wait = max(block[1] for _key, block in blocked)
        raise LoginThrottledError(max(1, int(wait + 0.999)), first=first)

    def failed(self, login: str, address: str | None, now: float) -> None:
        with self._lock:
            for key in self._keys(login, address):
                times = self._failures.pop(key, None) or deque()
                self._prune(times, now)
                times.append(now)
                self._failures[key] = times  # re-inserted: the dict's order is the eviction order
            while len(self._failures) > MAX_KEYS:
                del self._failures[next(iter(self._failures))]

    def succeeded(self, login: str) -> None:
        """A right password clears the login's count (not the address's: one known account must not
        reset the count of guesses at the others)."""
        with self._lock:
            self._failures.pop(("login", login), None)

    def _keys(self, login: str, address: str | None) -> list[tuple[str, str]]:
        keys = [("login", login)]
        if address:
            keys.append(("address", address))
        return keys

    def _block(self, key: tuple[str, str], now: float) -> tuple[float, float] | None:
        """(the failure that started the block, seconds left), or None when the key is not blocked."""
        times = self._failures.get(key)
        if times is None:
            return None
        self._prune(times, now)
        limit = self.limits[key[0]]
        if len(times) < limit:
            return None
        return times[-limit], times[-limit] + self.window_s - now

    def _prune(self, times: deque[float], now: float) -> None:
        while times and times[0] <= now - self.window_s:
            times.popleft()
