"""The serial barcode/QR scanner: CR/LF-terminated lines in, typed scans out, reconnecting."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection

from devices.scanner.scan import Scan, classify
from devices.serialport import LineFramer, SerialDevice, SerialLink, SerialPortConfig

log = logging.getLogger(__name__)


def decode_line(line: bytes) -> str:
    """Scanners send ASCII; QR codes with Chinese come as UTF-8, or GBK from scanners set to it."""
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("gb18030", errors="replace")


class Scanner(SerialDevice):
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
