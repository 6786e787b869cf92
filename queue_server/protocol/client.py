"""The one MQTT link every hallq process uses: paho 2 with the contract's habits built in.

- TCP_NODELAY on the socket (paho never sets it; without it a QoS 1 round trip costs ~40-90 ms).
- ``connect_async`` + ``loop_start``: retries while the broker is down, each time on a cluster's next node.
- Subscriptions are remembered and renewed on every (re)connect and after a refusal; each returns its undo.
- Messages become a frozen :class:`Received` once; handlers never see paho objects, and a handler
  that raises is logged without killing the network loop.
- Topics the link did not subscribe to are dropped (the amqtt fallback broker sends retained
  messages of other clients' subscriptions).
- Devices announce themselves with a retained status and a Last Will carrying a boot counter.
- TLS when the address carries :class:`TlsFiles` (``mqtts://``, ``device.toml``'s ``tls = true``,
  the server's ``broker_ca_file`` …): the broker's certificate is checked against the CA and the host
  name, and the client presents its own certificate when it has one (the broker's
  ``require_certificate``; its CN is the device id).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import BaseModel

from . import topics
from .address import BrokerAddress as BrokerAddress  # re-exported: parts import it beside the link
from .address import Endpoint
from .address import TlsFiles as TlsFiles
from .boot import next_boot as next_boot  # re-exported: devices import it beside the link
from .codec import decode, encode
from .defaults import DEVICE_HEARTBEAT_S
from .messages import DeviceStatus, Request, Response
from .nodes import NodeRotation

log = logging.getLogger(__name__)
# paho's packet trace (CONNECT sent, CONNACK received, ...), one child logger per client: what a field
# log needs when a device does not come back. Silent unless asked for (``hallq -v``, a test's caplog):
# Kivy lowers the root logger to DEBUG, and a hall screen would log every call's packets all day; and
# paho's own socket errors are routine reconnects, which _on_disconnect already reports as a warning.
PAHO_LOG = log.getChild("paho")
PAHO_LOG.setLevel(logging.CRITICAL)

RENEW_S, MAX_RENEW_S = 1.0, 60.0  # how long after a refused subscription the link subscribes again
# Topics whose handlers a link remembers (a hall's devices times their request and event topics).
ROUTES_KEPT = 4096

Payload = bytes | str | BaseModel


@dataclass(frozen=True, slots=True)
class Received:
    """An MQTT message as the rest of hallq sees it."""

    topic: str
    payload: bytes
    retain: bool
    qos: int


Handler = Callable[[Received], None]


def _as_bytes(payload: Payload) -> bytes:
    if isinstance(payload, BaseModel):
        return encode(payload)
    return payload.encode() if isinstance(payload, str) else payload


class MqttLink:
    """A long-lived MQTT connection with remembered subscriptions."""

    def __init__(
        self,
        client_id: str,
        broker: BrokerAddress | None = None,
        *,
        will: tuple[str, Payload] | None = None,
        clean_session: bool = True,
        keepalive: int = 15,
    ) -> None:
        self.client_id = client_id
        self.broker = broker or BrokerAddress()
        self._keepalive = keepalive
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=clean_session,
            protocol=mqtt.MQTTv311,
        )
        if self.broker.username:
            self._client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls is not None:
            self._client.tls_set_context(self.broker.tls.context())
        if will is not None:
            self._client.will_set(will[0], _as_bytes(will[1]), qos=1, retain=True)
        self._nodes = NodeRotation(self.broker)
        self._client.reconnect_delay_set(min_delay=1, max_delay=self._nodes.max_delay)
        self._client.enable_logger(PAHO_LOG.getChild(client_id.replace(".", "_")))
        self._client.on_pre_connect = self._nodes.before_connect
        self._client.on_socket_open = self._on_socket_open
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_publish = self._on_publish
        self._client.on_subscribe = self._on_subscribe
        self._lock = threading.RLock()
        self._subs: dict[int, tuple[str, int, Handler]] = {}
        # topic -> its handlers, in subscription order: matching every filter against every message
        # cost the server ~5% of its CPU under load. Emptied whenever the subscriptions change.
        self._routes: dict[str, list[Handler]] = {}
        self._sub_ids = itertools.count(1)
        self._connected = threading.Event()
        self._on_connect_hooks: list[Callable[[], None]] = []
        self._on_disconnect_hooks: list[Callable[[], None]] = []
        self._acked: set[int] = set()
        self._ack_cond = threading.Condition()
        self._unacked_subs: set[int] = set()
        self._early_subacks: set[int] = set()
        self._filter_of: dict[int, tuple[str, int]] = {}  # subscription mids of this connection
        self._refusals = 0  # in a row
        self._started = False
        # Set by stop(): the disconnect that follows is ours, not an outage worth a warning.
        self._stopping = False

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background; retries until the broker answers."""
        if self._started:
            return
        self._started = True
        self._stopping = False
        self._client.connect_async(self.broker.host, self.broker.port, keepalive=self._keepalive)
        self._client.loop_start()

    def stop(self, *, before_disconnect: Callable[[], object] | None = None) -> None:
        if not self._started:
            return
        if before_disconnect is not None and self.connected:
            before_disconnect()
        self._stopping = True
        self._client.disconnect()
        self._client.loop_stop()
        self._started = False
        self._connected.clear()

    def wait_connected(self, timeout: float = 5.0) -> bool:
        return self._connected.wait(timeout)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def endpoint(self) -> Endpoint:  # the broker node this link is connected to, or tries now
        return self._nodes.current

    def on_connect(self, hook: Callable[[], None]) -> Callable[[], None]:
        """Run ``hook`` after every (re)connect, once subscriptions are renewed. Returns the undo."""
        with self._lock:  # against _on_connect's snapshot: the hook runs once for this connection
            self._on_connect_hooks.append(hook)
            now = self.connected
        if now:
            hook()
        return lambda: self._on_connect_hooks.remove(hook)

    def on_disconnect(self, hook: Callable[[], None]) -> Callable[[], None]:
        self._on_disconnect_hooks.append(hook)
        return lambda: self._on_disconnect_hooks.remove(hook)

    # --- subscribe / publish ----------------------------------------------------------------------

    def subscribe(self, topic_filter: str, handler: Handler, qos: int = 1) -> Callable[[], None]:
        """Call ``handler`` for each message matching ``topic_filter``; returns the undo."""
        with self._lock:
            key = next(self._sub_ids)
            self._subs[key] = (topic_filter, qos, handler)
            self._routes.clear()
            others = any(f == topic_filter for k, (f, _, _) in self._subs.items() if k != key)
        if self.connected and not others:
            self._send_subscribe(topic_filter, qos)

        def undo() -> None:
            with self._lock:
                self._subs.pop(key, None)
                self._routes.clear()
                still = any(f == topic_filter for f, _, _ in self._subs.values())
            if not still and self.connected:
                self._client.unsubscribe(topic_filter)

        return undo

    def wait_subscribed(self, timeout: float = 5.0) -> bool:
        """Wait until the broker acknowledged every subscription sent so far."""
        deadline = time.monotonic() + timeout
        with self._ack_cond:
            while self._unacked_subs:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._ack_cond.wait(left)
        return True

    def _send_subscribe(self, topic_filter: str, qos: int) -> None:
        # Never hold our lock while calling into paho: its network thread holds paho's own locks
        # while it runs our callbacks, and taking the two in opposite orders deadlocks.
        _, mid = self._client.subscribe(topic_filter, qos)
        if mid is None:
            return
        with self._ack_cond:
            self._filter_of[mid] = (topic_filter, qos)  # read when the broker refuses it (_renew)
            if mid in self._early_subacks:  # the SUBACK beat us here
                self._early_subacks.discard(mid)
            else:
                self._unacked_subs.add(mid)

    def publish(self, topic: str, payload: Payload, *, qos: int = 1, retain: bool = False) -> int:
        """Queue a message; QoS 1 ones survive a reconnect in paho's memory. Returns the mid."""
        info = self._client.publish(topic, _as_bytes(payload), qos=qos, retain=retain)
        return info.mid

    def publish_and_wait(
        self, topic: str, payload: Payload, *, qos: int = 1, retain: bool = False, timeout: float = 5.0
    ) -> bool:
        """Publish and wait for the broker's acknowledgement (tracked by mid, see
        docs/design/FIELD-NOTES.md)."""
        mid = self.publish(topic, payload, qos=qos, retain=retain)  # outside the lock, as above
        return qos == 0 or self.wait_acked(mid, timeout)

    def wait_acked(self, mid: int, timeout: float = 5.0) -> bool:
        """Wait for the broker's acknowledgement of the QoS 1 message ``publish`` returned ``mid`` for.

        Mosquitto stores a retained message before it acknowledges it: once acked, a new subscriber gets it.
        """
        deadline = time.monotonic() + timeout
        with self._ack_cond:
            while mid not in self._acked:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._ack_cond.wait(left)
            self._acked.discard(mid)
            return True

    # --- paho callbacks ------------------------------------------------------------------------

    def _on_socket_open(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        # A websocket or unix socket has nothing to tune.
        with contextlib.suppress(OSError, AttributeError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            log.warning("mqtt %s: connect refused: %s", self.client_id, reason)
            return
        with self._lock:
            filters = {(f, q) for f, q, _ in self._subs.values()}
        for topic_filter, qos in sorted(filters):
            self._send_subscribe(topic_filter, qos)
        with self._lock:  # a hook added from now on runs at once (see on_connect), not here too
            self._connected.set()
            hooks = list(self._on_connect_hooks)
        log.info("mqtt %s: connected to %s:%s", self.client_id, *self.endpoint)
        for hook in hooks:
            try:
                hook()
            except Exception:
                log.exception("mqtt %s: on_connect hook failed", self.client_id)

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        was = self._connected.is_set()
        self._connected.clear()
        with self._ack_cond:
            self._unacked_subs.clear()  # renewed, and waited for again, on the next connect
            self._early_subacks.clear()
            self._filter_of.clear()
            self._ack_cond.notify_all()
        if was and self._stopping:
            log.debug("mqtt %s: disconnected (stopped)", self.client_id)
        elif was:
            log.warning("mqtt %s: disconnected (%s); reconnecting", self.client_id, reason)
        for hook in list(self._on_disconnect_hooks):
            try:
                hook()
            except Exception:
                log.exception("mqtt %s: on_disconnect hook failed", self.client_id)

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, reason: Any, props: Any) -> None:
        with self._ack_cond:
            self._acked.add(mid)
            if len(self._acked) > 10_000:  # nobody waited for these; keep memory bounded
                self._acked.clear()
            self._ack_cond.notify_all()

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, props: Any) -> None:
        with self._ack_cond:
            if mid in self._unacked_subs:
                self._unacked_subs.discard(mid)
            else:
                self._early_subacks.add(mid)
            self._ack_cond.notify_all()
        # A NATS node refuses subscriptions (SUBACK 0x80) while it elects leaders after a node's loss,
        # and keeps the connection: renewed, with a wait doubling per refusal (an ACL's is for ever).
        self._refusals = self._refusals + 1 if any(r.is_failure for r in reasons) else 0
        if self._refusals:
            delay = min(RENEW_S * 2 ** (self._refusals - 1), MAX_RENEW_S)
            log.warning("mqtt %s: a subscription refused; subscribing again in %.0f s", self.client_id, delay)
            renewal = threading.Timer(delay, self._renew, (mid,))
            renewal.daemon = True  # a process that stops does not wait for it
            renewal.start()

    def _renew(self, refused_mid: int) -> None:
        with self._ack_cond:
            topic_filter, qos = self._filter_of.pop(refused_mid, ("", 0))
        with self._lock:
            still = any(f == topic_filter for f, _, _ in self._subs.values())
        if still and self.connected:  # else the next connect renews it
            self._send_subscribe(topic_filter, qos)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        topic = msg.topic  # paho decodes it on every access
        received = Received(topic, bytes(msg.payload), bool(msg.retain), int(msg.qos))
        with self._lock:
            handlers = self._routes.get(topic)
            if handlers is None:
                handlers = [h for f, _, h in self._subs.values() if _matches(f, topic)]
                if len(self._routes) >= ROUTES_KEPT:
                    self._routes.clear()
                self._routes[topic] = handlers
        for handler in handlers:
            try:
                handler(received)
            except Exception:
                log.exception("mqtt %s: handler for %s failed", self.client_id, topic)


def _matches(topic_filter: str, topic: str) -> bool:
    if topic_filter.startswith("$share/"):
        topic_filter = topic_filter.split("/", 2)[2]
    return bool(mqtt.topic_matches_sub(topic_filter, topic))


# --- devices ----------------------------------------------------------------------------------


class RequestTimeoutError(TimeoutError):
    """No reply arrived in time; resend with the same id (the server is idempotent)."""


class DeviceLink:
    """A device's side of the contract: presence with boot counter, requests with replies."""

    def __init__(
        self,
        hall: str,
        device_id: str,
        kind: str,
        *,
        boot: int,
        broker: BrokerAddress | None = None,
        version: str = "0.1.0",
        health: Callable[[], dict[str, str]] | None = None,
        heartbeat_s: float | None = DEVICE_HEARTBEAT_S,
    ) -> None:
        self.hall = topics.check_id(hall, "hall")
        self.device_id = topics.check_id(device_id, "device id")
        self.kind = kind
        self.boot = boot
        self.version = version
        self._health = health or dict
        self._status_topic = topics.dev_status(hall, device_id)
        will = DeviceStatus(state="offline", boot=boot, kind=kind)
        # The client id is the device id, so a reconnect takes over the old session (docs/design/PROTOCOL.md).
        self.link = MqttLink(device_id, broker, will=(self._status_topic, will))
        self._pending: dict[str, tuple[threading.Event, list[Response]]] = {}
        self._pending_lock = threading.Lock()
        self._counter = itertools.count(1)
        self.link.subscribe(topics.dev_resp(hall, device_id), self._on_resp)
        self.link.on_connect(self.publish_status)
        self._heartbeat_s = heartbeat_s
        self._stopping = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def start(self) -> None:
        self.link.start()
        if self._heartbeat_s:
            self._heartbeat = threading.Thread(
                target=self._beat, name=f"hallq-heartbeat-{self.device_id}", daemon=True
            )
            self._heartbeat.start()

    def _beat(self) -> None:
        """Republish the status every ``heartbeat_s``: the server takes a device it stops hearing
        from for offline, even while its connection (and so its Last Will) is still held."""
        assert self._heartbeat_s is not None
        while not self._stopping.wait(self._heartbeat_s):
            # Only while connected: a status queued offline would reach the broker after the fresh
            # one the reconnect publishes, and stay retained, stale.
            if self.link.connected:
                try:
                    self.publish_status()
                except Exception:
                    log.exception("device %s: heartbeat not published", self.device_id)

    def stop(self) -> None:
        self._stopping.set()
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=5)
            self._heartbeat = None
        offline = DeviceStatus(state="offline", boot=self.boot, kind=self.kind, ts=time.time())
        self.link.stop(
            before_disconnect=lambda: self.link.publish_and_wait(
                self._status_topic, offline, retain=True, timeout=1.0
            )
        )

    def publish_status(self) -> None:
        status = DeviceStatus(
            state="online",
            boot=self.boot,
            kind=self.kind,
            version=self.version,
            ts=time.time(),
            health=self._health(),
        )
        self.link.publish(self._status_topic, status, retain=True)

    def new_request_id(self) -> str:
        """``{device_id}-{boot}-{counter}-{random}``: unique across reboots and counter resets."""
        return f"{self.device_id}-{self.boot}-{next(self._counter)}-{uuid.uuid4().hex[:6]}"

    def send(self, op: str, args: dict[str, Any], request_id: str) -> None:
        req = Request(id=request_id, op=op, args=args, ts=time.time())
        self.link.publish(topics.dev_req(self.hall, self.device_id), req)

    def request(
        self,
        op: str,
        args: dict[str, Any] | None = None,
        *,
        request_id: str | None = None,
        timeout: float = 2.0,
        attempts: int = 1,
    ) -> Response:
        """Send a request and wait for its reply; resend with the same id on a lost reply.

        Raises RequestTimeoutError when no attempt got a reply: the caller decides what a citizen sees.
        """
        rid = request_id or self.new_request_id()
        event = threading.Event()
        box: list[Response] = []
        with self._pending_lock:
            self._pending[rid] = (event, box)
        try:
            for _ in range(max(1, attempts)):
                if self.link.connected:
                    self.send(op, args or {}, rid)
                if event.wait(timeout):
                    return box[0]
            raise RequestTimeoutError(f"{op} {rid}: no reply after {attempts} attempt(s)")
        finally:
            with self._pending_lock:
                self._pending.pop(rid, None)

    def event(self, name: str, payload: BaseModel) -> int:
        return self.link.publish(topics.dev_evt(self.hall, self.device_id, name), payload)

    def _on_resp(self, msg: Received) -> None:
        try:
            resp = decode(Response, msg.payload)
        except ValueError:
            log.warning("device %s: unreadable reply ignored", self.device_id)
            return
        with self._pending_lock:
            waiter = self._pending.get(resp.id)
        if waiter is not None and not waiter[0].is_set():
            waiter[1].append(resp)
            waiter[0].set()
