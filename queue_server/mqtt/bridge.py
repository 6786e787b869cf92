"""The MQTT door into the services: device requests, events and status in; replies, birth and state out.

The paho network thread only parses the topic and hands the payload to a :class:`KeyedExecutor`
keyed by device, so one device's messages are handled in order while a slow database call stalls
nobody else. On every (re)connect the link renews the subscriptions, the bridge announces the server
(retained ``online``, Last Will ``offline``) and republishes the retained hall and window states,
which a restarted broker without persistence has forgotten.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial

from queue_server.errors import HallqError
from queue_server.protocol import topics
from queue_server.protocol.client import BrokerAddress, MqttLink, Received
from queue_server.protocol.messages import (
    DeviceConfig,
    DeviceEvent,
    DeviceStatus,
    ErrorBody,
    ErrorCode,
    ProtocolError,
    RatingEvent,
    Response,
    ServerStatus,
    decode,
    encode,
)
from queue_server.protocol.topics import Channel, DeviceTopic, TopicError, parse_topic
from queue_server.services.ports import HallServices

from .announcer import MqttAnnouncer
from .dispatch import handle_request
from .executor import KeyedExecutor

log = logging.getLogger(__name__)

SHARE_GROUP = "hallq-server"
"""The shared-subscription group of all server instances of a deployment (ARCHITECTURE.md)."""

VERSION = "0.1.0"


def server_link(broker: BrokerAddress, instance: str, *, boot: int) -> MqttLink:
    """The server's MQTT link: client id ``hallq-server-{instance}``, Last Will ``offline`` (retained)."""
    will = ServerStatus(state="offline", instance=topics.check_id(instance, "server instance"), boot=boot)
    return MqttLink(f"hallq-server-{instance}", broker, will=(topics.server_status(instance), will))


def new_boot() -> int:
    """A boot number that grows across restarts without a counter file (milliseconds since the epoch)."""
    return time.time_ns() // 1_000_000


class MqttBridge:
    """Serves the device requests of ``halls`` through ``services``; publishes through ``announcer``."""

    def __init__(
        self,
        link: MqttLink,
        services: HallServices,
        announcer: MqttAnnouncer,
        halls: Sequence[str],
        *,
        instance: str,
        boot: int,
        shared: bool = False,
        workers: int = 4,
    ) -> None:
        self._link = link
        self._services = services
        self._announcer = announcer
        self._halls = [topics.check_id(h, "hall") for h in halls]
        self._instance = topics.check_id(instance, "server instance")
        self._boot = boot
        self._shared = shared
        self._executor = KeyedExecutor(workers, name="hallq-mqtt")
        self._statuses: dict[tuple[str, str], DeviceStatus] = {}
        self._undo: list[Callable[[], None]] = []
        self._undo_watch: Callable[[], None] | None = None
        self._own_status: ServerStatus | None = None
        self._own_status_changed = threading.Condition()

    @property
    def link(self) -> MqttLink:
        return self._link

    def start(self) -> None:
        """Subscribe and connect (in the background: the link retries until the broker answers)."""
        subscribe = self._link.subscribe
        for hall in self._halls:
            self._undo.append(subscribe(self._work_filter(topics.all_requests(hall)), self._on_message))
            self._undo.append(subscribe(self._work_filter(topics.all_events(hall)), self._on_message))
            # Not shared: every instance keeps its own view of which devices are online, and retained
            # status messages are not delivered on shared subscriptions.
            self._undo.append(subscribe(topics.all_device_status(hall), self._on_message))
        # Our own status comes back to us: proof that what we sent before it has reached the broker.
        self._undo_watch = subscribe(topics.server_status(self._instance), self._on_own_status)
        self._undo.append(self._link.on_connect(self._on_connected))
        self._undo.append(self._link.on_disconnect(self._on_disconnected))
        self._link.start()

    def wait_ready(self, timeout: float = 5.0) -> bool:
        """Wait until connected AND subscribed: requests sent before that are not delivered to us.

        On every connect the subscriptions go out before the birth, so once our own birth comes back
        the broker has them in effect.
        """
        return self._wait_own_status("online", timeout)

    def stop(self) -> None:
        """Stop taking requests, finish those in hand, flush the state, say ``offline``, disconnect."""
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()
        self._executor.shutdown(wait=True)
        self._announcer.close()
        offline = ServerStatus(
            state="offline", instance=self._instance, boot=self._boot, version=VERSION, ts=time.time()
        )

        def say_offline() -> None:
            # Confirmed by its echo, not by MqttLink.publish_and_wait: that one publishes while holding
            # the condition paho's on_publish needs, under paho's own lock, and can deadlock.
            self._link.publish(topics.server_status(self._instance), offline, retain=True)
            if not self._wait_own_status("offline", 2.0):
                log.warning("server %s: offline status not confirmed by the broker", self._instance)

        self._link.stop(before_disconnect=say_offline)
        if self._undo_watch is not None:
            self._undo_watch()
            self._undo_watch = None

    # --- network thread: route, never block ------------------------------------------------------

    def _work_filter(self, topic_filter: str) -> str:
        return topics.shared(SHARE_GROUP, topic_filter) if self._shared else topic_filter

    def _birth(self) -> ServerStatus:
        return ServerStatus(
            state="online", instance=self._instance, boot=self._boot, version=VERSION, ts=time.time()
        )

    def _on_connected(self) -> None:
        self._link.publish(topics.server_status(self._instance), self._birth(), retain=True)
        for hall in self._halls:
            self._executor.submit(("state", hall), partial(self._republish, hall))

    def _on_disconnected(self) -> None:
        with self._own_status_changed:
            self._own_status = None  # wait_ready() waits for the next birth

    def _on_own_status(self, msg: Received) -> None:
        try:
            status = decode(ServerStatus, msg.payload)
        except (ProtocolError, RecursionError):
            return
        if status.boot == self._boot:
            with self._own_status_changed:
                self._own_status = status
                self._own_status_changed.notify_all()

    def _wait_own_status(self, state: str, timeout: float) -> bool:
        with self._own_status_changed:
            return self._own_status_changed.wait_for(
                lambda: self._own_status is not None and self._own_status.state == state, timeout
            )

    def _on_message(self, msg: Received) -> None:
        try:
            topic = parse_topic(msg.topic)
        except TopicError as exc:
            log.warning("message on a topic outside the contract dropped: %s", exc)
            return
        if not isinstance(topic, DeviceTopic) or topic.hall not in self._halls:
            return
        hall, device = topic.hall, topic.device_id
        payload = msg.payload
        task: Callable[[], None]
        match topic.channel:
            case Channel.REQ:
                task = partial(self._handle_request, hall, device, payload)
            case Channel.EVT:
                task = partial(self._handle_event, hall, device, topic.event or "", payload)
            case Channel.STATUS:
                task = partial(self._handle_status, hall, device, payload)
            case _:
                return
        if not self._executor.submit(("device", hall, device), task):
            log.warning("%s/%s: backlog full or stopping; %s message dropped", hall, device, topic.channel)

    # --- workers ---------------------------------------------------------------------------------

    def _handle_request(self, hall: str, device: str, payload: bytes) -> None:
        response = handle_request(self._services, hall, device, payload)
        if response is not None:
            self._reply(hall, device, response)

    def _reply(self, hall: str, device: str, response: Response) -> None:
        try:
            body = encode(response)
        except Exception:
            # A result or error detail that does not serialise is our bug; the device still gets an
            # answer: the same refusal without its detail, or ``internal`` for a result.
            log.exception("reply %s to %s/%s does not serialise", response.id, hall, device)
            error = response.error
            fallback = (
                Response(id=response.id, ok=False, error=ErrorBody(code=error.code, message=error.message))
                if error is not None
                else Response.failure(response.id, ErrorCode.INTERNAL)
            )
            body = encode(fallback)
        self._link.publish(topics.dev_resp(hall, device), body, qos=1)

    def _handle_event(self, hall: str, device: str, name: str, payload: bytes) -> None:
        if name != "rating":
            try:
                event = decode(DeviceEvent, payload)
            except (ProtocolError, RecursionError) as exc:
                log.warning("event %s from %s/%s unreadable: %s", name, hall, device, exc)
                return
            log.info("event %s %s from %s/%s", name, event.id, hall, device)
            return
        try:
            rating = decode(RatingEvent, payload)
        except (ProtocolError, RecursionError) as exc:
            log.warning("rating from %s/%s unreadable: %s", hall, device, exc)
            return
        window = self._services.device_window(hall, device)
        if window is None:
            log.warning(
                "rating %s from %s/%s ignored: the device is bound to no window", rating.id, hall, device
            )
            return
        try:
            self._services.record_rating(hall, window, rating, device_id=device)
        except HallqError as exc:  # e.g. the visit is rated already: an event gets no reply to carry it
            log.info("rating %s from %s/%s not recorded: %s", rating.id, hall, device, exc)

    def _handle_status(self, hall: str, device: str, payload: bytes) -> None:
        if not payload:  # a cleared retained status: the device was removed
            return
        try:
            status = decode(DeviceStatus, payload)
        except (ProtocolError, RecursionError) as exc:
            log.warning("status of %s/%s unreadable: %s", hall, device, exc)
            return
        last = self._statuses.get((hall, device))
        if not status.supersedes(last):
            log.info(
                "%s/%s: stale %s (boot %s) ignored after boot %s",
                hall,
                device,
                status.state,
                status.boot,
                last.boot if last else None,
            )
            return
        self._statuses[(hall, device)] = status
        try:
            self._services.record_device_status(hall, device, payload)
        except HallqError as exc:
            log.info("status of %s/%s not recorded: %s", hall, device, exc)

    def _republish(self, hall: str) -> None:
        try:
            state = self._services.hall_state(hall)
            windows = self._services.window_states(hall)
        except Exception:
            log.exception("hall %s: state not readable; republishing the last one sent", hall)
            self._announcer.republish(hall, None, [])
        else:
            self._announcer.republish(hall, state, windows)
        self.publish_device_configs(hall)

    def publish_device_configs(self, hall: str) -> int:
        """Publish every device's retained ``dev/{id}/config``, if the services can tell them.

        Optional capability: services with ``device_configs(hall) -> Mapping[device_id, DeviceConfig]``
        (``HallServices`` does not require it). Done on every connect; call again after a hall reload.
        """
        source = getattr(self._services, "device_configs", None)
        if not callable(source):
            return 0
        try:
            configs: Mapping[str, DeviceConfig] = source(hall)
        except Exception:
            log.exception("hall %s: device configs not readable", hall)
            return 0
        for device_id, config in configs.items():
            self._link.publish(topics.dev_config(hall, device_id), config, qos=1, retain=True)
        return len(configs)

    def device_status(self, hall: str, device: str) -> DeviceStatus | None:
        """The newest status seen for a device (stale Last Wills never replace it)."""
        return self._statuses.get((hall, device))

    def device_online(self, hall: str, device: str) -> bool:
        """Computed: online only while our broker link is up and the device's newest status says so."""
        status = self._statuses.get((hall, device))
        return self._link.connected and status is not None and status.state == "online"
