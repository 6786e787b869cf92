"""A TCP proxy between one MQTT client and the broker, whose cable can be pulled.

    proxy = CuttableProxy(broker.port)
    link = DeviceLink(..., broker=proxy.address)
    proxy.mute()     # the broker's bytes to the client vanish; the client's still reach the broker
    proxy.cut()      # drop its connections (the broker sees the socket close) and refuse new ones
    proxy.resume()   # unmuted, accepting again: the client's own reconnect gets through

A socket is closed only by the last of its pair's two pump threads: closing it from another thread
frees its descriptor while a pump may be about to read it, and the next accepted connection, given
the same number, would lose its first bytes (a device's CONNECT) to the old pump. (tests/display has
had the same proxy since before this package existed.)
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from queue_server.protocol.client import BrokerAddress


class CuttableProxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._server.getsockname()[1])
        self._refusing = threading.Event()
        self._muted = threading.Event()
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        self.cuts = 0
        threading.Thread(target=self._accept, name=f"proxy-{self.port}", daemon=True).start()

    @property
    def address(self) -> BrokerAddress:
        return BrokerAddress("127.0.0.1", self.port)

    def cut(self) -> None:
        self._refusing.set()
        self.cuts += 1
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)  # wakes both pumps; the last one closes

    def mute(self) -> None:
        """Drop what the broker sends the client from now on (a reply on its way is lost)."""
        self._muted.set()

    def resume(self) -> None:
        self._muted.clear()
        self._refusing.clear()

    def close(self) -> None:
        self._closed = True
        self.cut()
        self._server.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:  # closed (the loop ends) or one aborted connection (the next one is served)
                time.sleep(0.01)
                continue
            if self._refusing.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:  # the broker is down: the client retries by itself
                client.close()
                continue
            for s in (client, upstream):
                with contextlib.suppress(OSError):  # a client already gone: its pumps end at once
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._conns += [client, upstream]
            pumps_left = [2]
            for a, b, muted in ((client, upstream, None), (upstream, client, self._muted)):
                threading.Thread(target=self._pump, args=(a, b, pumps_left, muted), daemon=True).start()

    def _pump(
        self, src: socket.socket, dst: socket.socket, pumps_left: list[int], muted: threading.Event | None
    ) -> None:
        try:
            while chunk := src.recv(65536):
                if muted is None or not muted.is_set():
                    dst.sendall(chunk)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)  # ends the other direction's pump too
        with self._lock:
            pumps_left[0] -= 1
            last = pumps_left[0] == 0
            if last:
                self._conns = [s for s in self._conns if s not in (src, dst)]
        if last:
            src.close()
            dst.close()
