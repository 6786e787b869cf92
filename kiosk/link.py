"""The kiosk's MQTT side: its DeviceLink plus the retained hall state and device config, typed.

Everything goes through ``queue_server.protocol``: topics from its builders, payloads through its
models. Handlers run on paho's network thread; the model they call is thread-safe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from queue_server.protocol import topics
from queue_server.protocol.client import BrokerAddress, DeviceLink, Received
from queue_server.protocol.codec import ProtocolError, decode
from queue_server.protocol.messages import DeviceConfig, DeviceKind, HallState, Response

log = logging.getLogger(__name__)

M = TypeVar("M", HallState, DeviceConfig)

Undo = Callable[[], None]


class ServerPort(Protocol):
    """What the view model needs from the network (the kiosk's one seam to the server)."""

    @property
    def connected(self) -> bool: ...

    def new_request_id(self) -> str: ...

    def request(
        self, op: str, args: dict[str, Any], *, request_id: str, timeout: float, attempts: int
    ) -> Response:
        """The reply; raises RequestTimeoutError when none came."""
        ...

    def publish_status(self) -> None: ...


class KioskLink:
    """A DeviceLink of kind ``kiosk`` that also follows the hall state and its own config."""

    def __init__(
        self,
        hall: str,
        device_id: str,
        *,
        boot: int,
        broker: BrokerAddress | None = None,
        health: Callable[[], dict[str, str]] | None = None,
        version: str = "0.1.0",
    ) -> None:
        self.device = DeviceLink(
            hall, device_id, DeviceKind.KIOSK.value, boot=boot, broker=broker, health=health, version=version
        )
        self.hall = hall
        self.device_id = device_id

    # --- ServerPort ---------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self.device.link.connected

    def new_request_id(self) -> str:
        return self.device.new_request_id()

    def request(
        self, op: str, args: dict[str, Any], *, request_id: str, timeout: float, attempts: int
    ) -> Response:
        return self.device.request(op, args, request_id=request_id, timeout=timeout, attempts=attempts)

    def publish_status(self) -> None:
        if self.connected:
            self.device.publish_status()

    # --- lifecycle and subscriptions ------------------------------------------------------------

    def start(self) -> None:
        self.device.start()

    def stop(self) -> None:
        self.device.stop()

    def wait_connected(self, timeout: float = 5.0) -> bool:
        return self.device.link.wait_connected(timeout)

    def follow_state(self, handler: Callable[[HallState], None]) -> Undo:
        return self.device.link.subscribe(topics.state(self.hall), _typed(HallState, handler))

    def follow_config(self, handler: Callable[[DeviceConfig], None]) -> Undo:
        return self.device.link.subscribe(
            topics.dev_config(self.hall, self.device_id), _typed(DeviceConfig, handler)
        )

    def on_connection(self, handler: Callable[[bool], None]) -> Undo:
        undo_up = self.device.link.on_connect(lambda: handler(True))
        undo_down = self.device.link.on_disconnect(lambda: handler(False))

        def undo() -> None:
            undo_up()
            undo_down()

        return undo


def _typed(model: type[M], handler: Callable[[M], None]) -> Callable[[Received], None]:
    def on_message(msg: Received) -> None:
        if not msg.payload:
            return  # a cleared retained message
        try:
            value = decode(model, msg.payload)
        except ProtocolError as exc:
            log.warning("ignoring unreadable %s on %s: %s", model.__name__, msg.topic, exc)
            return
        handler(value)

    return on_message
