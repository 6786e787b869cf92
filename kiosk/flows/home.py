"""The home screen: search, 返回首页, the elderly mode (适老化) with its voice prompts, and the idle reset
that forgets the citizen."""

from __future__ import annotations

from kiosk.screens import View

from .core import CODE_MAX, PROMPTS, KioskCore
from .health import ServiceHealth
from .state import Citizen

# Result screens go home by themselves after ``result_screen_s``.
_RESULT_VIEWS = frozenset({View.TICKET, View.GUIDE_DESK, View.REFUSED, View.NOTICE_PRINTED})


class HomeFlow:
    """Home, search, elderly mode and idle: the start and the end of every visit."""

    def __init__(self, core: KioskCore, health: ServiceHealth) -> None:
        self.core = core
        self.state = core.state
        self.ports = core.ports
        self.health = health

    # --- home, search, elderly mode ---------------------------------------------------------------

    def touch(self) -> None:
        """Any touch on the screen counts as activity (scrolling a long disclosure too)."""
        with self.state.lock:
            self.core.touch()

    def home(self) -> None:
        """The citizen pressed 返回首页: forget what they entered, keep the elderly mode."""
        with self.state.lock:
            self.state.citizen = Citizen()
            self.core.set(self.core.home_screen())
        self.core.notify()

    def reset(self) -> None:
        """Idle or end of a visit: home, the citizen's data forgotten, normal mode."""
        s = self.state
        with s.lock:
            s.citizen = Citizen()
            s.elderly = False
            s.voice_on = False
            self.core.set(self.core.home_screen())
        self.core.notify()

    def toggle_elderly(self) -> None:
        """One tap: large fonts and high contrast, and voice prompts with it (适老化)."""
        s = self.state
        with s.lock:
            s.elderly = not s.elderly
            s.voice_on = s.elderly
            self.core.touch()
            self.core.say(PROMPTS[View.HOME] if s.elderly else "")
        self.core.notify()
        self.health.publish_health()

    def toggle_voice(self) -> None:
        s = self.state
        with s.lock:
            s.voice_on = not s.voice_on
            self.core.touch()
            self.core.say(PROMPTS.get(s.screen.view, ""))
        self.core.notify()

    def type_search(self, text: str) -> None:
        """Append letters or characters to the search (the on-screen keyboard sends one at a time)."""
        s = self.state
        with s.lock:
            s.citizen.query = (s.citizen.query + text)[:CODE_MAX]
            self.core.touch()
            self._refresh_search()
        self.core.notify()

    def set_search(self, text: str) -> None:
        with self.state.lock:
            self.state.citizen.query = text[:CODE_MAX]
            self.core.touch()
            self._refresh_search()
        self.core.notify()

    def backspace_search(self) -> None:
        s = self.state
        with s.lock:
            s.citizen.query = s.citizen.query[:-1]
            self.core.touch()
            self._refresh_search()
        self.core.notify()

    # --- idle -------------------------------------------------------------------------------------

    def idle_over(self, now: float) -> bool:
        """Whether the visit has been idle long enough to go home. The caller holds the lock."""
        s, settings = self.state, self.ports.settings
        view = s.screen.view
        idle = now - s.last_touch
        limit = settings.elderly_idle_timeout_s if s.elderly else settings.idle_timeout_s
        if view in _RESULT_VIEWS:
            limit = min(limit, settings.result_screen_s)
        go_home = not s.busy and view is not View.HOME and idle >= limit
        if not go_home and view is View.HOME and idle >= limit and (s.elderly or s.citizen.query):
            go_home = True  # forget a half-typed search and the elderly mode too
        return go_home

    def _refresh_search(self) -> None:
        if self.state.screen.view is View.PICK:
            self.state.screen = self.core.pick_screen()
        else:
            self.state.screen = self.core.home_screen()
