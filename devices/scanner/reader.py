"""The serial barcode/QR scanner: CR/LF-terminated lines in, typed scans out, reconnecting."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from types import TracebackType
from typing import Self

from devices.scanner.scan import Scan, classify
from devices.serialport import LineFramer, SerialLink, SerialPortConfig

log = logging.getLogger(__name__)


def decode_line(line: bytes) -> str:
    """Scanners send ASCII; QR codes with Chinese come as UTF-8, or GBK from scanners set to it."""
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("gb18030", errors="replace")


class Scanner:
    """Calls ``on_scan`` (in the reader thread) with each classified scan. Logs kinds, never contents."""

    def __init__(
        self,
        port: SerialPortConfig,
        on_scan: Callable[[Scan], None],
        *,
        citizen_hosts: Collection[str] = (),
    ) -> None:
        self._on_scan = on_scan
        self._citizen_hosts = tuple(citizen_hosts)
        self._framer = LineFramer()
        self.link = SerialLink(port, self._on_data, name="scanner", on_connect=self._reset)

    def _reset(self) -> None:
        self._framer = LineFramer()  # half a line from before an unplug is not a scan

    def _on_data(self, data: bytes) -> None:
        for line in self._framer.feed(data):
            scan = classify(decode_line(line), self._citizen_hosts)
            log.debug("scanner: %s scan", scan.kind.value)
            self._on_scan(scan)

    @property
    def connected(self) -> bool:
        return self.link.connected

    def wait_connected(self, timeout: float) -> bool:
        return self.link.wait_connected(timeout)

    def start(self) -> Self:
        self.link.start()
        return self

    def stop(self) -> None:
        self.link.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
