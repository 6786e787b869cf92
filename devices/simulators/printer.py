"""A thermal printer simulator: accumulates print data, answers DLE EOT like a real printer.

The same core sits behind a pseudo-terminal (a serial printer) and a TCP socket (port 9100 style).
Its paper/cover state is settable; ``SILENT`` makes it swallow queries without answering, like a
printer that is on but not talking back.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from enum import StrEnum
from types import TracebackType
from typing import Self

from devices.simulators.pty import PtyDevice

log = logging.getLogger(__name__)


class SimulatedPrinterState(StrEnum):
    OK = "ok"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    ERROR = "error"
    SILENT = "silent"


# The bytes an Epson-compatible printer returns to DLE EOT 1, 2, 3, 4 in each state.
STATUS_REPLIES: dict[SimulatedPrinterState, dict[int, int]] = {
    SimulatedPrinterState.OK: {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12},
    SimulatedPrinterState.PAPER_NEAR_END: {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1E},
    SimulatedPrinterState.PAPER_OUT: {1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x7E},
    SimulatedPrinterState.COVER_OPEN: {1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x12},
    SimulatedPrinterState.ERROR: {1: 0x1A, 2: 0x52, 3: 0x1A, 4: 0x12},
}

# Parameter bytes after ESC x / GS x / FS x for the commands a job may contain, so the splitter does
# not mistake a parameter (ESC d 16 = 0x10) for the start of DLE EOT.
_ESC_PARAMS = {b"@": 0, b"2": 0, b"a": 1, b"E": 1, b"d": 1, b"!": 1, b"3": 1, b"-": 1, b"J": 1, b"t": 1,
               b"M": 1, b"G": 1, b"V": 1, b"{": 1, b"R": 1, b"p": 3}  # fmt: skip
_GS_PARAMS = {b"!": 1, b"B": 1, b"h": 1, b"w": 1, b"H": 1, b"f": 1, b"a": 1, b"r": 1, b"L": 2, b"W": 2}
_FS_PARAMS = {b"&": 0, b".": 0, b"!": 1, b"C": 1, b"-": 1, b"W": 1, b"S": 2}


class RealtimeSplitter:
    """Separate DLE EOT n status queries from print data in a byte stream that arrives in pieces.

    Knows the length of raster images (GS v 0) and GS ( blocks, whose data may contain 10 04.
    """

    def __init__(self) -> None:
        self._pending = bytearray()
        self._skip = 0

    def feed(self, data: bytes) -> tuple[bytes, list[int]]:
        buf = self._pending + data
        out = bytearray()
        queries: list[int] = []
        i = 0
        while i < len(buf):
            if self._skip:
                take = min(self._skip, len(buf) - i)
                out += buf[i : i + take]
                i += take
                self._skip -= take
                continue
            step = self._command_length(buf, i)
            if step is None:
                break  # a command split across reads: wait for the rest
            if buf[i] == 0x10 and step == 3:
                queries.append(buf[i + 2])
            else:
                out += buf[i : i + step]
            i += step
        self._pending = bytearray(buf[i:])
        return bytes(out), queries

    def _command_length(self, buf: bytearray, i: int) -> int | None:
        """Bytes of the command at ``i`` (setting ``_skip`` for data blocks), None if incomplete."""
        first = buf[i]
        if first not in (0x10, 0x1B, 0x1C, 0x1D):
            return 1
        if len(buf) - i < 2:
            return None
        op = bytes(buf[i + 1 : i + 2])
        if first == 0x10:
            if op != b"\x04":
                return 1
            return 3 if len(buf) - i >= 3 else None
        if first == 0x1D and op == b"v":
            if len(buf) - i < 8:
                return None
            width = buf[i + 4] | buf[i + 5] << 8
            height = buf[i + 6] | buf[i + 7] << 8
            self._skip = width * height
            return 8
        if first == 0x1D and op == b"(":
            if len(buf) - i < 5:
                return None
            self._skip = buf[i + 3] | buf[i + 4] << 8
            return 5
        if first == 0x1D and op == b"V":
            if len(buf) - i < 3:
                return None
            return 4 if buf[i + 2] in (0x41, 0x42, 0x61, 0x62) else 3
        table = {0x1B: _ESC_PARAMS, 0x1C: _FS_PARAMS, 0x1D: _GS_PARAMS}[first]
        length = 2 + table.get(op, 0)
        return length if len(buf) - i >= length else None


class PrinterCore:
    """What the printer does with bytes; shared by the pty and the TCP front ends. Thread-safe."""

    def __init__(self, state: SimulatedPrinterState = SimulatedPrinterState.OK) -> None:
        self.state = state
        self._output = bytearray()
        self.status_queries = 0
        self._cond = threading.Condition()

    def new_stream(self) -> Callable[[bytes], bytes]:
        """A feeder for one connection: takes bytes, returns the status replies to send back."""
        splitter = RealtimeSplitter()

        def feed(data: bytes) -> bytes:
            printable, queries = splitter.feed(data)
            replies = bytearray()
            with self._cond:
                self._output += printable
                self.status_queries += len(queries)
                state = self.state
                self._cond.notify_all()
            if state is not SimulatedPrinterState.SILENT:
                replies += bytes(STATUS_REPLIES[state].get(n, 0x12) for n in queries)
            return bytes(replies)

        return feed

    @property
    def output(self) -> bytes:
        """Everything printed so far (status queries removed)."""
        with self._cond:
            return bytes(self._output)

    def clear(self) -> None:
        with self._cond:
            self._output.clear()

    def wait_output(self, predicate: Callable[[bytes], bool], timeout: float = 5.0) -> bytes:
        """Wait until the accumulated output satisfies ``predicate``; return it (TimeoutError if not)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(bytes(self._output)):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("the simulated printer did not receive the expected bytes")
                self._cond.wait(remaining)
            return bytes(self._output)


class PtyPrinterSimulator(PtyDevice):
    """A serial thermal printer on a pseudo-terminal; configure ``SerialTransportConfig(path=sim.path)``."""

    def __init__(self, directory: str | os.PathLike[str] | None = None, name: str = "printer") -> None:
        super().__init__(name, directory)
        self.core = PrinterCore()
        self._feed = self.core.new_stream()

    def on_plug(self) -> None:
        self._feed = self.core.new_stream()

    def on_bytes(self, data: bytes) -> None:
        reply = self._feed(data)
        if reply:
            self.send(reply)

    @property
    def state(self) -> SimulatedPrinterState:
        return self.core.state

    @state.setter
    def state(self, value: SimulatedPrinterState) -> None:
        self.core.state = value

    @property
    def output(self) -> bytes:
        return self.core.output


class TcpPrinterSimulator:
    """A network thermal printer; ``port=0`` picks a free port (``port`` tells which after start)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.core = PrinterCore()
        self._listener: socket.socket | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._clients: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.connections = 0

    def start(self) -> Self:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(8)
        listener.settimeout(0.1)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._stop.clear()
        self._spawn(self._accept_loop, "sim-printer-accept")
        return self

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
        with self._lock:
            threads, self._threads = self._threads, []
        for thread in threads:
            thread.join(2.0)
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    @property
    def state(self) -> SimulatedPrinterState:
        return self.core.state

    @state.setter
    def state(self, value: SimulatedPrinterState) -> None:
        self.core.state = value

    @property
    def output(self) -> bytes:
        return self.core.output

    def _spawn(self, target: Callable[..., None], name: str, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            with self._lock:
                self._clients.add(client)
            self._spawn(self._serve, "sim-printer-conn", client)

    def _serve(self, client: socket.socket) -> None:
        feed = self.core.new_stream()
        client.settimeout(0.1)
        try:
            while not self._stop.is_set():
                try:
                    data = client.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    return
                reply = feed(data)
                if reply:
                    client.sendall(reply)
        except OSError:
            log.debug("simulated network printer: connection dropped")
        finally:
            with self._lock:
                self._clients.discard(client)
            client.close()
