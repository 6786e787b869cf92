"""The MQTT door into the services: device requests, events and status in; replies, birth and state out.

The paho network thread parses the topic and hands the payload to a :class:`KeyedExecutor` keyed
by device, so one device's messages are handled in order while a slow database call stalls nobody
else. A small ``ticket.issue`` is read and handed to the services on the network thread itself (when
its device has nothing queued): the services only queue it, so nothing there waits, and the worker
hop saved was most of the bridge's own cost per ticket.

The halls served can change while running (``add_hall``, ``remove_hall``): in the city topology an
instance serves the halls whose leases it holds (queue_server/cluster/), subscribing to a hall's
device topics when it gains the hall and unsubscribing when it loses it. A request of a hall this
bridge no longer serves gets no reply from it (its write was refused by the fence, or the hall left
while it was in hand): the instance that serves the hall now answers the device's retry.

On every (re)connect the link renews the subscriptions, the bridge announces the server (retained
``online``, Last Will ``offline``) and republishes the retained hall and window states and every
device's config, which a restarted broker without persistence has forgotten.

Device configs also change while connected: a hall file loaded by ``hallq hall load`` (another
process) rebinds a window agent, renames the hall. The bridge asks the services every
``config_refresh_s`` and publishes the configs that changed (their ``version`` grew), and clears the
retained config of a device that left the hall; ``refresh_device_configs`` does the same at once.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial

from queue_server.errors import HallqError
from queue_server.protocol import topics
from queue_server.protocol.client import BrokerAddress, MqttLink, Received
from queue_server.protocol.codec import ProtocolError, decode, encode
from queue_server.protocol.messages import (
    DeviceConfig,
    DeviceEvent,
    DeviceStatus,
    ErrorBody,
    ErrorCode,
    RatingEvent,
    Response,
    ServerStatus,
)
from queue_server.protocol.topics import Channel, DeviceTopic, TopicError, parse_topic
from queue_server.services.ports import HallServices

from .announcer import MqttAnnouncer
from .dispatch import Incoming, Reply, answer_request, never_blocks, read_request
from .executor import KeyedExecutor

log = logging.getLogger(__name__)

SHARE_GROUP = "hallq-server"
"""The default shared-subscription group of the server instances of a deployment
(docs/design/ARCHITECTURE.md)."""

VERSION = "0.1.0"

CONFIG_REFRESH_S = 30.0
"""How often the bridge looks for changed device configs (a hall file loaded by another process)."""
# How long stop() waits for the answers of requests still being committed.
STOP_ANSWERS_S = 10.0
# Requests up to this size are read on the network thread (a kiosk's ticket.issue is a few hundred
# bytes, read in ~10 µs); a bigger one could hold the socket while it is parsed, so a worker reads it.
READ_INLINE_BYTES = 4096

# The devices of a hall send on a few topics each, over and over, and get replies on one: each topic is
# parsed or built once (3.5 µs a ticket otherwise, on a bridge that spends ~20 µs of its own on one).
TOPICS_KEPT = 4096
_parse_topic = functools.lru_cache(maxsize=TOPICS_KEPT)(parse_topic)
_resp_topic = functools.lru_cache(maxsize=TOPICS_KEPT)(topics.dev_resp)


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
        share_group: str = SHARE_GROUP,
        workers: int = 4,
        config_refresh_s: float | None = CONFIG_REFRESH_S,
    ) -> None:
        self._link = link
        self._services = services
        self._announcer = announcer
        announcer.config_followers.append(self.refresh_device_configs)
        # Replaced, never changed in place: the network thread reads it without a lock.
        self._halls: frozenset[str] = frozenset()
        self._initial_halls = [topics.check_id(h, "hall") for h in halls]
        self._hall_undo: dict[str, list[Callable[[], None]]] = {}
        self._halls_lock = threading.Lock()
        self._instance = topics.check_id(instance, "server instance")
        self._boot = boot
        self._shared = shared
        self._share_group = topics.check_id(share_group, "share group")
        self._executor = KeyedExecutor(workers, name="hallq-mqtt")
        self._statuses: dict[tuple[str, str], DeviceStatus] = {}
        self._undo: list[Callable[[], None]] = []
        self._undo_watch: Callable[[], None] | None = None
        self._own_status: ServerStatus | None = None
        self._own_status_changed = threading.Condition()
        self._configs: dict[str, dict[str, DeviceConfig]] = {}  # hall → device → config last sent
        self._configs_lock = threading.Lock()
        self._config_refresh_s = config_refresh_s
        self._refresher: threading.Thread | None = None
        self._stopping = threading.Event()
        # Requests taken and not yet answered: a ticket.issue is answered from the services' writer
        # thread after its worker has moved on, and stop() waits for those answers.
        self._unanswered = 0
        self._answered = threading.Condition()

    @property
    def link(self) -> MqttLink:
        return self._link

    def start(self) -> None:
        """Subscribe and connect (in the background: the link retries until the broker answers)."""
        subscribe = self._link.subscribe
        for hall in self._initial_halls:
            self.add_hall(hall)
        # Our own status comes back to us: proof that what we sent before it has reached the broker.
        self._undo_watch = subscribe(topics.server_status(self._instance), self._on_own_status)
        self._undo.append(self._link.on_connect(self._on_connected))
        self._undo.append(self._link.on_disconnect(self._on_disconnected))
        self._link.start()
        if self._config_refresh_s:
            self._refresher = threading.Thread(target=self._refresh_configs, name="hallq-config", daemon=True)
            self._refresher.start()

    @property
    def connected(self) -> bool:
        """The broker link is up."""
        return self._link.connected

    @property
    def halls(self) -> frozenset[str]:
        """The halls served now."""
        return self._halls

    def add_hall(self, hall: str) -> None:
        """Serve ``hall`` from now on: subscribe to its devices, republish its retained state."""
        hall = topics.check_id(hall, "hall")
        subscribe = self._link.subscribe
        with self._halls_lock:
            if hall in self._halls:
                return
            self._hall_undo[hall] = [
                subscribe(self._work_filter(topics.all_requests(hall)), self._on_message),
                subscribe(self._work_filter(topics.all_events(hall)), self._on_message),
                # Not shared: every instance keeps its own view of which devices are online, and
                # retained status messages are not delivered on shared subscriptions.
                subscribe(topics.all_device_status(hall), self._on_message),
            ]
            self._halls = self._halls | {hall}
        if self._link.connected:
            self._executor.submit(("state", hall), partial(self._republish, hall))

    def remove_hall(self, hall: str) -> None:
        """Stop serving ``hall``: unsubscribe; what is in hand for it gets no reply (module doc)."""
        with self._halls_lock:
            if hall not in self._halls:
                return
            self._halls = self._halls - {hall}
            undo = self._hall_undo.pop(hall, [])
        for one in undo:
            one()
        for key in [key for key in list(self._statuses) if key[0] == hall]:  # workers add meanwhile
            self._statuses.pop(key, None)
        with self._configs_lock:
            self._configs.pop(hall, None)

    def wait_ready(self, timeout: float = 5.0) -> bool:
        """Wait until connected AND subscribed: requests sent before that are not delivered to us.

        On every connect the subscriptions go out before the birth, so once our own birth comes back
        the broker has them in effect.
        """
        return self._wait_own_status("online", timeout)

    def stop(self) -> None:
        """Stop taking requests, finish those in hand, flush the state, say ``offline``, disconnect."""
        self._stopping.set()
        if self._refresher is not None:
            self._refresher.join()
            self._refresher = None
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()
        with self._halls_lock:
            undos, self._hall_undo = self._hall_undo, {}
        for hall_undo in undos.values():
            for undo in hall_undo:
                undo()
        self._executor.shutdown(wait=True)
        with self._answered:
            if not self._answered.wait_for(lambda: self._unanswered == 0, STOP_ANSWERS_S):
                log.warning("stopping with %d requests unanswered", self._unanswered)
        self._announcer.close()
        offline = ServerStatus(
            state="offline", instance=self._instance, boot=self._boot, version=VERSION, ts=time.time()
        )

        def say_offline() -> None:
            # Wait for the broker's PUBACK: disconnecting sooner could drop the message on the way.
            topic = topics.server_status(self._instance)
            if not self._link.publish_and_wait(topic, offline, retain=True, timeout=2.0):
                log.warning("server %s: offline status not confirmed by the broker", self._instance)

        self._link.stop(before_disconnect=say_offline)
        if self._undo_watch is not None:
            self._undo_watch()
            self._undo_watch = None

    # --- network thread: route, never block ------------------------------------------------------

    def _work_filter(self, topic_filter: str) -> str:
        return topics.shared(self._share_group, topic_filter) if self._shared else topic_filter

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
            topic = _parse_topic(msg.topic)
        except TopicError as exc:
            log.warning("message on a topic outside the contract dropped: %s", exc)
            return
        if not isinstance(topic, DeviceTopic) or topic.hall not in self._halls:
            return
        hall, device = topic.hall, topic.device_id
        payload = msg.payload
        task: Callable[[], None]
        inline = False
        match topic.channel:
            case Channel.REQ if len(payload) <= READ_INLINE_BYTES:
                incoming = read_request(hall, device, payload)
                if incoming is None:
                    return
                task = partial(self._answer, hall, device, incoming)
                # A ticket.issue (or a bad_request reply) is dealt with on this thread when the device
                # has nothing queued: the services only queue the ticket, and waking a worker for it
                # cost more than all the rest of the bridge's share of a ticket.
                inline = never_blocks(incoming)
            case Channel.REQ:
                task = partial(self._handle_request, hall, device, payload)
            case Channel.EVT:
                task = partial(self._handle_event, hall, device, topic.event or "", payload)
            case Channel.STATUS:
                task = partial(self._handle_status, hall, device, payload)
            case _:
                return
        if not self._executor.submit(("device", hall, device), task, inline=inline):
            log.warning("%s/%s: backlog full or stopping; %s message dropped", hall, device, topic.channel)

    # --- workers ---------------------------------------------------------------------------------

    def _handle_request(self, hall: str, device: str, payload: bytes) -> None:
        """A request too big to read on the network thread."""
        incoming = read_request(hall, device, payload)
        if incoming is not None:  # else dropped: no usable id to answer
            self._answer(hall, device, incoming)

    def _answer(self, hall: str, device: str, incoming: Incoming) -> None:
        def reply(response: Reply) -> None:
            try:
                if hall in self._halls:
                    self._reply(hall, device, response)
                else:
                    log.info(
                        "%s/%s: no reply to %s: the hall is served elsewhere now", hall, device, response.id
                    )
            except Exception:  # never into the services' writer thread
                log.exception("reply %s to %s/%s not published", response.id, hall, device)
            finally:
                self._answer_counted(-1)

        self._answer_counted(+1)
        try:
            answer_request(self._services, hall, device, incoming, reply)
        except BaseException:
            self._answer_counted(-1)  # failed before a reply was promised: never to be answered
            raise

    def _answer_counted(self, delta: int) -> None:
        with self._answered:
            self._unanswered += delta
            if not self._unanswered and self._stopping.is_set():  # only stop() waits for this
                self._answered.notify_all()

    def _reply(self, hall: str, device: str, response: Reply) -> None:
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
        self._link.publish(_resp_topic(hall, device), body, qos=1)

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

    def publish_device_configs(self, hall: str, *, changed_only: bool = False) -> int:
        """Publish the devices' retained ``dev/{id}/config``; returns how many went out.

        Every one after a (re)connect (the broker may have lost them); with ``changed_only``, those that
        differ from what this bridge sent last. A device that left the hall since then gets its
        retained config cleared (an empty retained message), so a device put back later with the
        same id does not boot on a stale one.
        """
        try:
            configs = dict(self._services.device_configs(hall))
        except Exception:
            log.exception("hall %s: device configs not readable", hall)
            return 0
        sent = 0
        with self._configs_lock:
            before = self._configs.get(hall, {})
            self._configs[hall] = configs
            for device_id, config in configs.items():
                if changed_only and before.get(device_id) == config:
                    continue
                self._link.publish(topics.dev_config(hall, device_id), config, qos=1, retain=True)
                sent += 1
            for gone in sorted(before.keys() - configs.keys()):
                log.info("%s/%s left the hall: its retained config is cleared", hall, gone)
                self._link.publish(topics.dev_config(hall, gone), b"", qos=1, retain=True)
        if changed_only and sent:
            log.info("hall %s: %d changed device config(s) published", hall, sent)
        return sent

    def refresh_device_configs(self, hall: str) -> bool:
        """Publish the configs that changed, soon (e.g. after a hall file was loaded); False if stopping."""
        task = partial(self.publish_device_configs, hall, changed_only=True)
        return self._executor.submit(("state", hall), task)

    def _refresh_configs(self) -> None:
        interval = self._config_refresh_s or CONFIG_REFRESH_S
        while not self._stopping.wait(interval):
            if not self._link.connected:
                continue  # the next connect publishes them all anyway
            for hall in self._halls:
                self.refresh_device_configs(hall)

    def device_status(self, hall: str, device: str) -> DeviceStatus | None:
        """The newest status seen for a device (stale Last Wills never replace it)."""
        return self._statuses.get((hall, device))

    def device_online(self, hall: str, device: str) -> bool:
        """Computed: online only while our broker link is up and the device's newest status says so."""
        status = self._statuses.get((hall, device))
        return self._link.connected and status is not None and status.state == "online"
