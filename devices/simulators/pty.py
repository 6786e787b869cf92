"""The device end of a pseudo-terminal: what a USB-serial device looks like to the app.

The app opens ``path``, a symlink to the pty's slave side, like ``/dev/serial/by-id/…`` links to a
``/dev/ttyUSB*``. ``unplug()`` closes the master: the app's next read fails with ``SerialException``
exactly as when a cable is pulled, and the symlink disappears. ``plug()`` makes a new pty behind the
same path, so the app's reconnect loop finds the device again.
"""

from __future__ import annotations

import logging
import os
import select
import shutil
import tempfile
import threading
import tty
from pathlib import Path
from types import TracebackType
from typing import Self

log = logging.getLogger(__name__)


class _Plug:
    """One plugged-in period: a pty pair, its reader thread and the pipe that stops it."""

    def __init__(self, owner: PtyDevice) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.master)
        tty.setraw(self.slave)
        self.tty_name = os.ttyname(self.slave)
        self.wake_r, self.wake_w = os.pipe()
        self.thread = threading.Thread(target=self._run, args=(owner,), name=f"sim-{owner.name}", daemon=True)

    def _run(self, owner: PtyDevice) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.master, self.wake_r], [], [])
            except (OSError, ValueError):
                return  # unplugged from inside on_bytes: the descriptors are gone
            if self.wake_r in ready:
                return
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            if data:
                owner._received(data)

    def close(self) -> None:
        os.write(self.wake_w, b"x")
        if self.thread.ident is not None and self.thread is not threading.current_thread():
            self.thread.join(2.0)
        for fd in (self.master, self.slave, self.wake_r, self.wake_w):
            os.close(fd)


class PtyDevice:
    """Base of the serial device simulators. Subclasses override ``on_bytes``; it runs in a thread."""

    def __init__(self, name: str, directory: str | os.PathLike[str] | None = None) -> None:
        self.name = name
        self._own_dir = directory is None
        self.directory = Path(directory if directory is not None else tempfile.mkdtemp(prefix="hallq-sim-"))
        self.path = str(self.directory / name)
        self._plug: _Plug | None = None
        self._lock = threading.RLock()

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        self.plug()
        return self

    def stop(self) -> None:
        self.unplug()
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def plug(self) -> None:
        with self._lock:
            if self._plug is not None:
                return
            plug = _Plug(self)
            self.directory.mkdir(parents=True, exist_ok=True)
            link = Path(self.path)
            link.unlink(missing_ok=True)
            link.symlink_to(plug.tty_name)
            self._plug = plug
            self.on_plug()
            plug.thread.start()

    def unplug(self) -> None:
        with self._lock:
            plug, self._plug = self._plug, None
            if plug is None:
                return
            Path(self.path).unlink(missing_ok=True)
        plug.close()

    @property
    def plugged(self) -> bool:
        return self._plug is not None

    @property
    def tty_name(self) -> str | None:
        """The current ``/dev/pts/N`` (changes on every plug; ``path`` does not)."""
        plug = self._plug
        return plug.tty_name if plug else None

    # --- bytes ---------------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Bytes from the device to the app."""
        with self._lock:
            plug = self._plug
            if plug is None:
                raise RuntimeError(f"simulated {self.name} is unplugged")
            view = memoryview(data)
            while view:
                view = view[os.write(plug.master, view) :]

    def _received(self, data: bytes) -> None:
        try:
            self.on_bytes(data)
        except Exception:
            log.exception("simulated %s failed on received bytes", self.name)

    def on_bytes(self, data: bytes) -> None:
        """Bytes from the app to the device."""

    def on_plug(self) -> None:
        """Reset device state when it is (re)plugged, like a power-up."""
