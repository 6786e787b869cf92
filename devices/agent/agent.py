"""The window device agent: a window's caller keypad, rating pad and LED sign on the server's MQTT.

Threads (each device driver owns its serial reader; this module adds two):

- serial readers (keypad, rating pad, sign acknowledgements): a key or a rating goes into the outbox
  and the worker is woken; nothing there waits for the network;
- paho's network thread: window state, device config and server status arrive here; the pad prompt
  is a short serial write and happens here, the sign (which waits for its ACK) is left to the panel;
- the outbox worker: sends the outbox's oldest entry, in order, one at a time, and handles the reply;
- the panel (devices/agent/panel.py): puts the latest state on the sign and the latest line on the
  keypad display, re-sends them after a replug, and republishes the device status when a device
  comes or goes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from devices.agent.config import AgentConfig
from devices.agent.display import (
    done_line,
    expired_line,
    failure_line,
    pending_line,
    sign_display,
    waiting_line,
)
from devices.agent.keys import OP_LABELS, UnknownCodeError
from devices.agent.outbox import EntryKind, Outbox, OutboxEntry
from devices.agent.panel import Health, Panel
from devices.agent.visits import PadAction, VisitTracker, pad_visit_id
from devices.errors import DeviceDisconnectedError
from devices.keypad import Keypad, KeyPress
from devices.ratingpad import Rating, RatingPad
from devices.sign import WindowSign
from queue_server.protocol import topics
from queue_server.protocol.client import DeviceLink, Received, RequestTimeoutError, next_boot
from queue_server.protocol.codec import ProtocolError, decode
from queue_server.protocol.messages import (
    DeviceConfig,
    DeviceKind,
    Op,
    RatingEvent,
    RatingSubmitArgs,
    Response,
    ServerStatus,
    WindowOpResult,
    WindowState,
)

log = logging.getLogger(__name__)

VERSION = "0.1.0"
OUTBOX_FILE = "outbox.sqlite3"
BOOT_FILE = "boot"
PROMPT_MEMO = "rating_prompt"
# Replies that say "not now" rather than "no": the rating stays in the outbox and goes out again.
RETRY_CODES = frozenset({"internal", "unavailable"})
REMEMBERED_PROMPTS = 64

# The worker re-checks its conditions at least this often even when nobody woke it.
WORKER_TICK_S = 1.0


class WindowAgent:
    """Owns the devices and the link of one window. ``start()``, then ``stop()``; not restartable."""

    def __init__(self, config: AgentConfig, *, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.hall = config.device.hall
        self.device_id = config.device.id
        self.window = config.device.window
        self._clock = clock
        self._keys = config.agent.key_map()
        data_dir = config.data_dir()
        data_dir.mkdir(parents=True, exist_ok=True)
        self.outbox = Outbox(data_dir / OUTBOX_FILE)
        self.boot = next_boot(data_dir / BOOT_FILE)
        self.device = DeviceLink(
            self.hall,
            self.device_id,
            DeviceKind.WINDOW_AGENT.value,
            boot=self.boot,
            broker=config.broker.address,
            version=VERSION,
            health=self.health,
        )
        options = config.agent
        self.keypad = (
            Keypad(config.keypad, self._on_key, debounce_s=options.keypad_debounce_s)
            if config.keypad
            else None
        )
        self.pad = (
            RatingPad(
                config.rating_pad,
                self._on_rating,
                debounce_s=options.pad_debounce_s,
                prompt_guard_s=options.pad_prompt_guard_s,
            )
            if config.rating_pad
            else None
        )
        self.sign = WindowSign(config.sign) if config.sign else None
        self.visits = VisitTracker()
        self._pad_ids: OrderedDict[str, str] = OrderedDict()  # pad visit id → ticket id
        self._state: WindowState | None = None
        self._servers: dict[str, str] = {}  # server instance → "online"/"offline"
        self._lock = threading.Lock()
        self._wake_worker = threading.Condition()
        self.panel = Panel(self.sign, self.keypad)
        self._stopping = threading.Event()
        self._undo: list[Callable[[], None]] = []
        self._undo_state: Callable[[], None] | None = None
        self._threads: list[threading.Thread] = []

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        link = self.device.link
        self._follow_window(self.window)
        self._undo.append(link.subscribe(topics.dev_config(self.hall, self.device_id), self._on_config))
        self._undo.append(link.subscribe(topics.all_server_status(), self._on_server_status))
        self._undo.append(link.on_connect(self._wake_all))
        self._undo.append(link.on_disconnect(self._forget_servers))
        self._restore_prompt()
        for driver in (self.keypad, self.pad, self.sign):
            if driver is not None:
                driver.start()
        self._spawn(self._drain, "agent-outbox")
        self._spawn(self._run_panel, "agent-panel")
        self.device.start()
        log.info(
            "agent %s for window %s of %s started (boot %d)",
            self.device_id,
            self.window,
            self.hall,
            self.boot,
        )

    def stop(self) -> None:
        """Stop the threads, say offline, close the devices and the outbox. What is unsent stays on disk."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._wake_all()
        for thread in self._threads:
            thread.join(self.config.agent.request_timeout_s + 2.0)
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()
        if self._undo_state is not None:
            self._undo_state()
        self.device.stop()  # says offline (retained, PUBACK awaited) and disconnects
        for driver in (self.keypad, self.pad, self.sign):
            if driver is not None:
                driver.stop()
        self.outbox.close()

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _wake_all(self) -> None:
        with self._wake_worker:
            self._wake_worker.notify_all()
        self.panel.wake()

    # --- state for tests and status --------------------------------------------------------------

    def health(self) -> Health:
        """Each configured device: ``ok``, ``disconnected``, or for the sign ``no_reply``."""
        health: Health = {}
        if self.keypad is not None:
            health["keypad"] = "ok" if self.keypad.connected else "disconnected"
        if self.pad is not None:
            health["rating_pad"] = "ok" if self.pad.connected else "disconnected"
        if self.sign is not None:
            if not self.sign.connected:
                health["sign"] = "disconnected"
            else:
                health["sign"] = "no_reply" if self.panel.sign_failed else "ok"
        return health

    @property
    def window_state(self) -> WindowState | None:
        return self._state

    @property
    def server_online(self) -> bool:
        return "online" in self._servers.values()

    def ready(self) -> bool:
        """Whether the worker may send now: connected, and (by default) a server is there to answer."""
        if not self.device.link.connected:
            return False
        return self.server_online or not self.config.agent.require_server_online

    def wait_sent(self, timeout: float = 5.0) -> bool:
        """Wait until the outbox is empty (tests and a graceful shutdown)."""
        deadline = time.monotonic() + timeout
        while len(self.outbox) > 0:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    # --- keypad and rating pad (serial reader threads) ---------------------------------------------

    def _on_key(self, press: KeyPress) -> None:
        try:
            action = self._keys.action(press)
        except UnknownCodeError as exc:
            log.warning("keypad: %s", exc)
            self.panel.show_keypad(exc.message)
            return
        # Shown before the entry exists: the reply's line, which may come a millisecond later, wins.
        self.panel.show_keypad(pending_line(action.label, online=self.ready()))
        rid = self.device.new_request_id()
        self.outbox.add(EntryKind.REQUEST, rid, action.op.value, action.args, self._clock())
        log.info("key %s: %s queued as %s", press.key.name, action.op.value, rid)
        with self._wake_worker:
            self._wake_worker.notify_all()

    def _on_rating(self, rating: Rating) -> None:
        ticket_id = self._pad_ids.pop(rating.visit_id, rating.visit_id)
        # A request, not an event: it stays in the outbox until the server's reply, so a rating made
        # while the server restarts is resent (same id, answered once) instead of lost at PUBACK.
        args = RatingSubmitArgs(score=rating.score, visit=ticket_id).model_dump(mode="json")
        rid = self.device.new_request_id()
        self.outbox.add(EntryKind.REQUEST, rid, Op.RATING_SUBMIT.value, args, self._clock())
        self.visits.on_rated(ticket_id)
        self.outbox.remember(PROMPT_MEMO, None)
        log.info("rating %d for visit %s queued as %s", rating.score, ticket_id, rid)
        with self._wake_worker:
            self._wake_worker.notify_all()

    # --- MQTT (network thread) -----------------------------------------------------------------------

    def _follow_window(self, window: str) -> None:
        """Show ``window``'s retained state from now on (at start, and when the config rebinds us)."""
        with self._lock:
            if self._undo_state is not None:
                self._undo_state()
            self.window = window
            self._state = None
        self.panel.forget_state()
        with self._lock:
            self._undo_state = self.device.link.subscribe(
                topics.window_state(self.hall, window), self._on_state
            )

    def _on_state(self, msg: Received) -> None:
        if not msg.payload:
            return  # a cleared retained message: the window was removed
        try:
            state = decode(WindowState, msg.payload)
        except ProtocolError as exc:
            log.warning("window state unreadable: %s", exc)
            return
        with self._lock:
            if state.window != self.window:
                return
            if self._state is not None and state.ts < self._state.ts:
                return  # an older state than the one shown
            self._state = state
        self._apply_pad(self.visits.on_state(state))
        self.panel.show_state(state, sign_display(state, self._sign_encoding()))

    def _on_config(self, msg: Received) -> None:
        if not msg.payload:
            return
        try:
            config = decode(DeviceConfig, msg.payload)
        except ProtocolError as exc:
            log.warning("device config unreadable: %s", exc)
            return
        if config.window and config.window != self.window:
            try:
                topics.WindowTopic(self.hall, config.window)
            except ValueError:
                log.warning("device config names an invalid window %r; ignored", config.window)
                return
            log.warning("config moves this agent from window %s to window %s", self.window, config.window)
            self._follow_window(config.window)

    def _forget_servers(self) -> None:
        # What we knew about the servers is void once our link drops: after a broker restart their
        # subscriptions are gone until they come back and say so (their birth follows them).
        with self._lock:
            self._servers.clear()
        self._wake_all()

    def _on_server_status(self, msg: Received) -> None:
        try:
            topic = topics.parse_topic(msg.topic)
            status = decode(ServerStatus, msg.payload) if msg.payload else None
        except (ValueError, ProtocolError):
            return
        if not isinstance(topic, topics.ServerTopic):
            return
        with self._lock:
            if status is None:
                self._servers.pop(topic.instance, None)
            else:
                self._servers[topic.instance] = status.state
        with self._wake_worker:
            self._wake_worker.notify_all()

    # --- the rating pad --------------------------------------------------------------------------

    def _restore_prompt(self) -> None:
        ticket_id = self.outbox.recall(PROMPT_MEMO)
        if ticket_id is not None:
            self._apply_pad(self.visits.restore(ticket_id))

    def _apply_pad(self, action: PadAction) -> None:
        if self.pad is None:
            return
        try:
            if action.prompt is not None:
                pad_id = pad_visit_id(action.prompt)
                self._pad_ids[pad_id] = action.prompt
                while len(self._pad_ids) > REMEMBERED_PROMPTS:  # prompts never rated
                    self._pad_ids.popitem(last=False)
                self.outbox.remember(PROMPT_MEMO, action.prompt)
                log.info("rating pad prompted for visit %s", action.prompt)
                self.pad.prompt(pad_id)
            elif action.cancel:
                self.outbox.remember(PROMPT_MEMO, None)
                self.pad.cancel()
        except DeviceDisconnectedError:
            # The pad's session keeps the prompt; the driver sends it again when the pad is back.
            log.info("rating pad unplugged; its prompt goes out when it is back")

    # --- the outbox worker -----------------------------------------------------------------------

    def _drain(self) -> None:
        while not self._stopping.is_set():
            with self._wake_worker:
                entry = self.outbox.first()
                if entry is None or not self.ready():
                    self._wake_worker.wait(WORKER_TICK_S)
                    continue
            try:
                self._send(entry)
            except Exception:
                # One bad entry must not stop the window: it stays on disk and is tried again.
                log.exception("outbox entry %s failed", entry.id)
                self._stopping.wait(WORKER_TICK_S)

    def _send(self, entry: OutboxEntry) -> None:
        options = self.config.agent
        if entry.kind is EntryKind.EVENT:
            # A rating event an older agent left on disk: sent as the request it is now.
            try:
                event = RatingEvent.model_validate(entry.body)
            except ValueError:
                # Never sendable: retrying it would hold every later press behind it forever.
                log.error("outbox entry %s is not a valid %s event; dropped", entry.id, entry.name)
                self.outbox.done(entry.id)
                return
            args = RatingSubmitArgs(score=event.score, visit=event.visit).model_dump(mode="json")
            entry = replace(entry, kind=EntryKind.REQUEST, name=Op.RATING_SUBMIT.value, body=args)
        label = OP_LABELS.get(entry.name, entry.name)
        rating = entry.name == Op.RATING_SUBMIT.value
        # A rating never expires (it calls nobody); a "next" pressed an hour ago in an outage must
        # not call a citizen now.
        if not rating and options.max_age_s and self._clock() - entry.created_at > options.max_age_s:
            self.outbox.expire(entry.id)
            log.warning(
                "%s %s expired unsent after %.0f s", entry.name, entry.id, self._clock() - entry.created_at
            )
            self.panel.show_keypad(expired_line(label))
            return
        self.outbox.attempted(entry.id)
        try:
            response = self.device.request(
                entry.name, entry.body, request_id=entry.id, timeout=options.request_timeout_s
            )
        except RequestTimeoutError:
            log.info("%s %s: no reply yet; resending with the same id", entry.name, entry.id)
            if not rating:
                self.panel.show_keypad(waiting_line(label))
            return
        if rating:
            self._rating_answered(entry, response)
            return
        self.outbox.done(entry.id)
        self._handle_reply(entry, label, response)

    def _rating_answered(self, entry: OutboxEntry, response: Response) -> None:
        code = "ok" if response.ok else (response.error.code if response.error else "?")
        if code in RETRY_CODES:
            log.info("rating %s: the server could not record it yet (%s); resending later", entry.id, code)
            self._stopping.wait(WORKER_TICK_S)
            return
        # Recorded, or refused for good (the visit is rated already, not this window's): either way
        # the server has decided, and a resend would get the same answer.
        self.outbox.done(entry.id)
        log.info("rating %s answered by the server: %s", entry.id, code)

    def _handle_reply(self, entry: OutboxEntry, label: str, response: Response) -> None:
        if not response.ok:
            code = response.error.code if response.error else "?"
            log.info("%s %s refused: %s", entry.name, entry.id, code)
            self.panel.show_keypad(failure_line(label, response))
            return
        try:
            result = WindowOpResult.model_validate(response.result or {})
        except ValueError:
            log.warning("%s %s: the reply's result is unreadable", entry.name, entry.id)
            self.panel.show_keypad(done_line(label))
            return
        self.panel.show_state(result.window)
        if entry.name == Op.WINDOW_FINISH.value and result.ticket is not None:
            self._apply_pad(self.visits.on_finished(result.ticket.ticket_id))

    # --- the panel: sign, keypad display, status ---------------------------------------------------

    def _sign_encoding(self) -> str:
        return self.config.sign.encoding if self.config.sign else "gb2312"

    def _run_panel(self) -> None:
        self.panel.run(self._stopping, self.health, self.device)


def describe(agent: WindowAgent) -> dict[str, Any]:
    """A startup banner's worth of facts."""
    return {
        "hall": agent.hall,
        "device": agent.device_id,
        "window": agent.window,
        "boot": agent.boot,
        "broker": f"{agent.config.broker.host}:{agent.config.broker.port}",
        "data_dir": str(agent.config.data_dir()),
        "pending": len(agent.outbox),
    }
