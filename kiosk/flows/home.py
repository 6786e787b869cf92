"""The home screen: search, 返回首页, the elderly mode (适老化) with its voice prompts, and the idle reset
that forgets the citizen."""

from __future__ import annotations

from kiosk.screens import View

from .core import CODE_MAX, PROMPTS, Citizen
from .health import ServiceHealth

# Result screens go home by themselves after ``result_screen_s``.
_RESULT_VIEWS = frozenset({View.TICKET, View.GUIDE_DESK, View.REFUSED, View.NOTICE_PRINTED})


class HomeFlow(ServiceHealth):
    """Home, search, elderly mode and idle: the start and the end of every visit."""

    # --- home, search, elderly mode ---------------------------------------------------------------

    def touch(self) -> None:
        """Any touch on the screen counts as activity (scrolling a long disclosure too)."""
        with self._lock:
            self._last_touch = self.clock.monotonic()

    def home(self) -> None:
        """The citizen pressed 返回首页: forget what they entered, keep the elderly mode."""
        with self._lock:
            elderly, voice = self._elderly, self._voice_on
            self._citizen = Citizen()
            self._elderly, self._voice_on = elderly, voice
            self._set(self._home_screen())
        self._notify()

    def reset(self) -> None:
        """Idle or end of a visit: home, the citizen's data forgotten, normal mode."""
        with self._lock:
            self._citizen = Citizen()
            self._elderly = False
            self._voice_on = False
            self._set(self._home_screen())
        self._notify()

    def toggle_elderly(self) -> None:
        """One tap: large fonts and high contrast, and voice prompts with it (适老化)."""
        with self._lock:
            self._elderly = not self._elderly
            self._voice_on = self._elderly
            self._touch()
            self._say(PROMPTS[View.HOME] if self._elderly else "")
        self._notify()
        self._publish_health()

    def toggle_voice(self) -> None:
        with self._lock:
            self._voice_on = not self._voice_on
            self._touch()
            self._say(PROMPTS.get(self._screen.view, ""))
        self._notify()

    def type_search(self, text: str) -> None:
        """Append letters or characters to the search (the on-screen keyboard sends one at a time)."""
        with self._lock:
            self._citizen.query = (self._citizen.query + text)[:CODE_MAX]
            self._touch()
            self._refresh_search()
        self._notify()

    def set_search(self, text: str) -> None:
        with self._lock:
            self._citizen.query = text[:CODE_MAX]
            self._touch()
            self._refresh_search()
        self._notify()

    def backspace_search(self) -> None:
        with self._lock:
            self._citizen.query = self._citizen.query[:-1]
            self._touch()
            self._refresh_search()
        self._notify()

    # --- internals: idle and search ---------------------------------------------------------------

    def _idle_over(self, now: float) -> bool:
        """Whether the visit has been idle long enough to go home. The caller holds the lock."""
        view = self._screen.view
        idle = now - self._last_touch
        limit = self.settings.elderly_idle_timeout_s if self._elderly else self.settings.idle_timeout_s
        if view in _RESULT_VIEWS:
            limit = min(limit, self.settings.result_screen_s)
        go_home = not self._busy and view is not View.HOME and idle >= limit
        if not go_home and view is View.HOME and idle >= limit and (self._elderly or self._citizen.query):
            go_home = True  # forget a half-typed search and the elderly mode too
        return go_home

    def _refresh_search(self) -> None:
        if self._screen.view is View.PICK:
            self._screen = self._pick_screen()
        else:
            self._screen = self._home_screen()
