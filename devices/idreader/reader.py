"""The ID card reader over a serial line: find, select and read a card; poll for cards placed on it.

``IdCardReader(config, on_card).start()`` polls the reader every ``poll_interval_s``: a card placed on
it is read once and handed to ``on_card`` (in the poll thread). A card left lying there is not read
again; the same card comes again only after it was off the reader for ``removed_after_s`` (some
readers answer "no card" now and then for a card that never moved). A card found but not read (moved
away mid-read, a bad checksum, damaged) goes to ``on_failure`` once, until it is taken away.

Replugged readers come back through the ``SerialLink`` reconnect loop, like every serial device.
Nothing here logs what a card says; the poll thread logs only the kind of a fault, once per change.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from devices.errors import (
    DeviceDisconnectedError,
    FrameError,
    IdCardReadError,
    IdReaderError,
    IdReaderTimeoutError,
)
from devices.idreader.card import IdCard, base_text, decode_base_text
from devices.idreader.frame import Command, FrameReader, Reply, Status, encode_command, parse_reply
from devices.scanner.resident_id import ResidentId
from devices.serialport import SerialDevice, SerialLink, SerialPortConfig

log = logging.getLogger(__name__)

T = TypeVar("T")

# The SAM module's factory setting; 57600, 38400, 19200 and 9600 can be set on the reader.
DEFAULT_BAUDRATE = 115200
# How long the reply wait sleeps between looks at the stop flag.
_WAIT_SLICE_S = 0.1


def id_reader_port(path: str, baudrate: int = DEFAULT_BAUDRATE) -> SerialPortConfig:
    """The serial port of a reader at ``path``, at the SAM module's default 115200 baud."""
    return SerialPortConfig(path=path, baudrate=baudrate)


class IdReaderConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    port: SerialPortConfig
    # Reading the card over the air takes a real reader up to about a second; 1295 bytes at 9600 baud
    # take 1.3 s more.
    reply_timeout_s: float = Field(default=3.0, gt=0, le=30, description="wait for each answer")
    poll_interval_s: float = Field(default=0.3, gt=0, le=10, description="pause between find-card polls")
    read_attempts: int = Field(default=2, ge=1, le=5, description="tries for a card found but not read")
    removed_after_s: float = Field(
        default=1.0, ge=0, le=60, description="the same card counts as placed again after this long away"
    )


OnCard = Callable[[IdCard], None]
OnFailure = Callable[[IdCardReadError], None]


class IdCardReader(SerialDevice):
    """A SAM ID card reader. Without ``on_card`` it only answers ``read_card()`` (no polling)."""

    def __init__(
        self,
        config: IdReaderConfig,
        on_card: OnCard | None = None,
        on_failure: OnFailure | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._on_card = on_card
        self._on_failure = on_failure
        self._clock = clock
        self._replies: queue.SimpleQueue[bytes | FrameError] = queue.SimpleQueue()
        self._frames = FrameReader()
        self._lock = threading.Lock()  # one command and its answer at a time
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None
        # Poll state (the poll thread's, under _lock): the last card handed on, whether the card on the
        # reader was already dealt with, since when the reader has been empty.
        self._last: ResidentId | None = None
        self._holding = False
        self._absent_since: float | None = None
        self.fault: str | None = None  # the code of the reader's current fault, None when it works
        self.link = SerialLink(config.port, self._on_data, name="id-reader", on_connect=self._reset)

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        self._stop.clear()
        self.link.start()
        if self._on_card is not None:
            self._poller = threading.Thread(target=self._poll_loop, name="id-reader-poll", daemon=True)
            self._poller.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        poller, self._poller = self._poller, None
        if poller is not None and poller is not threading.current_thread():
            poller.join(self.config.poll_interval_s + 2.0)
        self.link.stop()

    # --- commands ------------------------------------------------------------------------------

    def find_card(self) -> bool:
        """Whether a card lies on the reader. IdReaderError, FrameError, DeviceDisconnectedError."""
        with self._lock:
            return self._find()

    def read_card(self) -> IdCard | None:
        """Find, select and read the card on the reader; None when there is none.

        IdCardReadError when a card was found but not read; IdReaderError (IdReaderTimeoutError) or
        FrameError when the reader itself misbehaves; DeviceDisconnectedError when it is unplugged.
        """
        with self._lock:
            if not self._find():
                return None
            return self._read_found()

    def _find(self) -> bool:
        reply = self._transact(Command.FIND_CARD)
        if reply.sw3 == Status.CARD_FOUND:
            return True
        if reply.sw3 == Status.NO_CARD:
            return False
        raise IdReaderError("ID card reader refused find card", command="find_card", status=reply.sw3)

    def _read_found(self) -> IdCard:
        try:
            self._expect(Command.SELECT_CARD)
            return decode_base_text(base_text(self._expect(Command.READ_BASE)))
        except DeviceDisconnectedError:
            raise
        except (IdReaderError, FrameError) as exc:
            raise IdCardReadError(
                f"ID card found but not read ({exc.code})", cause=exc.code, status=exc.detail.get("status")
            ) from exc

    def _expect(self, command: Command) -> bytes:
        reply = self._transact(command)
        if reply.sw3 != Status.OK:
            raise IdReaderError(
                f"ID card reader refused {command.name.lower()}",
                command=command.name.lower(),
                status=reply.sw3,
            )
        return reply.data

    def _transact(self, command: Command) -> Reply:
        """Send one command and wait for its answer (the protocol has no sequence numbers: answers
        left over from a command that timed out are dropped before sending)."""
        while True:
            try:
                self._replies.get_nowait()
            except queue.Empty:
                break
        self.link.write(encode_command(command))
        deadline = time.monotonic() + self.config.reply_timeout_s
        while (remaining := deadline - time.monotonic()) > 0 and not self._stop.is_set():
            try:
                item = self._replies.get(timeout=min(remaining, _WAIT_SLICE_S))
            except queue.Empty:
                continue
            if isinstance(item, FrameError):
                raise item
            return parse_reply(item)
        raise IdReaderTimeoutError("ID card reader did not answer", command=command.name.lower())

    def _on_data(self, data: bytes) -> None:
        for item in self._frames.feed(data):
            self._replies.put(item)

    def _reset(self) -> None:
        self._frames = FrameReader()  # half a frame from before an unplug is not an answer

    # --- polling -------------------------------------------------------------------------------

    def _poll_loop(self) -> None:
        while not self._stop.is_set():
            if self.link.wait_connected(self.config.poll_interval_s):
                self._poll_once()
            self._stop.wait(self.config.poll_interval_s)

    def _poll_once(self) -> None:
        try:
            card = self._poll_card()
        except DeviceDisconnectedError:
            self._set_fault(None)  # unplugged: the link says so and reconnects by itself
            return
        except IdCardReadError as exc:
            log.warning("id reader: a card was found but not read (%s)", exc.detail.get("cause"))
            self._deliver(self._on_failure, exc)
            return
        except (IdReaderError, FrameError) as exc:
            self._set_fault(exc.code)
            return
        self._set_fault(None)
        if card is not None:
            log.info("id reader: card read")
            self._deliver(self._on_card, card)

    def _poll_card(self) -> IdCard | None:
        with self._lock:
            try:
                present = self._find()
            except DeviceDisconnectedError:
                self._holding = False
                raise
            now = self._clock()
            if not present:
                self._holding = False
                if self._absent_since is None:
                    self._absent_since = now
                return None
            if self._holding:
                return None  # the card already read (or reported unreadable) still lies there
            away = self._absent_since
            self._absent_since = None
            self._holding = True
            card = self._read_with_retries()
            if card is None:
                return None
            placed_again = away is None or now - away >= self.config.removed_after_s
            if card.resident_id == self._last and not placed_again:
                return None  # a reader that lost sight of the card for a moment
            self._last = card.resident_id
            return card

    def _read_with_retries(self) -> IdCard | None:
        for attempt in range(1, self.config.read_attempts + 1):
            try:
                return self._read_found()
            except IdCardReadError:
                if attempt == self.config.read_attempts:
                    raise
            if not self._find():
                self._holding = False
                return None  # taken away during the read
        return None

    def _set_fault(self, code: str | None) -> None:
        if code == self.fault:
            return
        if code is None:
            log.info("id reader: working again")
        else:
            log.warning("id reader: %s", code)
        self.fault = code

    def _deliver(self, handler: Callable[[T], None] | None, value: T) -> None:
        if handler is None:
            return
        try:
            handler(value)
        except Exception:
            # A faulty handler must not stop the polling: the reader would look dead until restart.
            log.exception("id reader: handler failed")
