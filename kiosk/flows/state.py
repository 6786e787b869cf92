"""The state every kiosk flow shares, in one place: who is in front of the kiosk, what it shows, and
whether it can serve.

One :class:`KioskState` exists per kiosk. The model creates it, and every flow object receives the
same instance: a flow changes the fields it owns (see each field's comment) and reads the others.
Every read and write of a field happens under :attr:`KioskState.lock`, so the model is safe to call
from any thread (the UI's, paho's network thread, the workers').
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from kiosk.ports import CapturedPage, PrinterStatus
from kiosk.screens import Purpose, Screen
from queue_server.protocol.messages import DeviceConfig, HallState


@dataclass
class Citizen:
    """Everything the kiosk knows about the person in front of it; forgotten on every reset."""

    query: str = ""  # the search typed on the home or pick screen
    service: str | None = None  # the service chosen (a tile's code)
    matter: str | None = None  # the matter chosen (a catalog code), if any
    purpose: Purpose = Purpose.QUEUE  # queueing, or only printing a checklist
    checked: set[str] = field(default_factory=set)  # material codes ticked or scanned
    id_hash: str | None = None  # keyed hash of a scanned ID card; never the number itself
    birth_date: date | None = None  # from the ID card, for the age priority
    priority: str | None = None  # the priority class chosen on the options page
    checkin_code: str = ""  # the appointment code typed so far
    late_code: str | None = None  # a too-late check-in's code, for the walk-in that may follow
    late_id_hash: str | None = None  # ... or its ID card
    message: str = ""  # a line for the options page (e.g. "已读取身份证")
    # The document camera (高拍仪): the materials still to photograph (code, name), the one at hand,
    # the page shown for confirmation, and the pages confirmed (uploaded once the ticket is issued).
    to_capture: list[tuple[str, str]] = field(default_factory=list)
    capturing: int = 0
    preview: bytes | None = field(default=None, repr=False)
    pages: list[CapturedPage] = field(default_factory=list)


@dataclass(eq=False)
class KioskState:
    """The fields the flows share. Read and write them only while holding ``lock``."""

    # The screen the flows last set; ``ServiceHealth.screen`` covers it while out of service.
    screen: Screen
    # Whether the broker connection is up (``ServiceHealth.connection``).
    connected: bool
    # Monotonic seconds of the last touch or action: the idle reset counts from here.
    last_touch: float
    # Monotonic seconds when ``screen`` was set.
    screen_since: float
    # Monotonic seconds when the next server probe (``catalog.get``) is due.
    next_probe: float
    # Monotonic seconds when the next printer status poll is due.
    next_poll: float
    # Re-entrant: a flow holding it calls helpers that take it again.
    lock: threading.RLock = field(default_factory=threading.RLock)
    # Called after every change (the UI redraws); each is called without the lock held.
    listeners: list[Callable[[], None]] = field(default_factory=list)
    citizen: Citizen = field(default_factory=Citizen)
    # The hall's retained state (waiting counts, open services, notice, catalog version).
    hall_state: HallState | None = None
    # This kiosk's retained config (services offered, paper width, hall name); newest version wins.
    config: DeviceConfig | None = None
    # False after a probe or a ticket request got no answer, until one does.
    server_ok: bool = True
    printer: PrinterStatus = PrinterStatus.UNKNOWN
    # Out of service until the printer was asked once.
    printer_checked: bool = False
    # The elderly mode (适老化: large fonts, high contrast) and whether prompts are spoken.
    elderly: bool = False
    voice_on: bool = False
    # A ticket, check-in or notice is being printed on the citizen worker: no second one starts.
    busy: bool = False
    # A server probe / a printer poll is claimed by a worker: no second one starts meanwhile.
    probing: bool = False
    polling: bool = False
    # The health last published, so that an unchanged one is not published again.
    last_health: dict[str, str] = field(default_factory=dict)

    @classmethod
    def at_start(cls, screen: Screen, *, connected: bool, now: float) -> KioskState:
        """A kiosk just started: nobody in front of it, every check due now."""
        return cls(
            screen=screen,
            connected=connected,
            last_touch=now,
            screen_since=now,
            next_probe=now,
            next_poll=now,
        )
