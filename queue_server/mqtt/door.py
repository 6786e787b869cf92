"""The MQTT door as the server process starts it: broker address → link → announcer → bridge.

``start(settings, services)`` is the hook ``hallq server`` calls (see ``runtime/server_cmd.py``): it
returns a :class:`MqttDoor` whose ``announcers`` the caller attaches to the services (``create_app``
does) and whose ``stop()`` ends it. With ``broker_url = "embedded"`` the door starts the hall's own
broker on 127.0.0.1 first (``runtime/broker.py``) and stops it last.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from queue_server.protocol.client import BrokerAddress, TlsFiles
from queue_server.services.ports import Announcer, HallServices
from queue_server.settings import Settings

from .announcer import MqttAnnouncer
from .bridge import SHARE_GROUP, MqttBridge, new_boot, server_link

log = logging.getLogger(__name__)

EMBEDDED = "embedded"

# Worker threads of the bridge. A ticket.issue does not use one: the network thread reads it and queues
# it for the services' writer thread, which commits the hall's queued writes together (group commit,
# services/runner.py) and publishes the replies. Workers wait for the other requests (window ops,
# calls.since, catalog) and device events, so a few let a slow one not hold up the rest. Measured with
# benchmarks/server.py on 2 cores: 2 and 4 workers issue alike (~600 tickets/s); 12 only add threads.
SQLITE_WORKERS = 4
WORKERS = 4


def default_workers(database_url: str) -> int:
    return SQLITE_WORKERS if database_url.startswith("sqlite") else WORKERS


EMBEDDED_PORT = 1883
READY_TIMEOUT_S = 10.0


@dataclass
class MqttDoor:
    bridge: MqttBridge
    announcer: MqttAnnouncer
    broker_url: str
    stop_broker: Callable[[], None] | None = None  # set when the door started the broker itself

    @property
    def announcers(self) -> Sequence[Announcer]:
        return (self.announcer,)

    def stop(self) -> None:
        self.bridge.stop()
        stop_broker, self.stop_broker = self.stop_broker, None
        if stop_broker is not None:
            stop_broker()


def open_door(
    address: BrokerAddress,
    services: HallServices,
    halls: Sequence[str],
    *,
    instance: str,
    share_group: str = "",
    workers: int = WORKERS,
    wait: bool = True,
) -> MqttDoor:
    """Connect the bridge for ``halls`` to the broker at ``address``; with ``wait``, until subscribed.

    ``share_group``: read the device requests and events through that MQTT shared subscription, so
    the instances of one deployment split them; empty: this instance reads them all.
    """
    boot = new_boot()
    link = server_link(address, instance, boot=boot)
    announcer = MqttAnnouncer(link)
    bridge = MqttBridge(
        link,
        services,
        announcer,
        halls,
        instance=instance,
        boot=boot,
        shared=bool(share_group),
        share_group=share_group or SHARE_GROUP,
        workers=workers,
    )
    bridge.start()
    url = f"mqtt://{address.host}:{address.port}"
    if wait and not bridge.wait_ready(READY_TIMEOUT_S):
        # Not fatal: the link keeps retrying and resubscribes when the broker comes.
        log.warning("MQTT broker %s not reachable yet; devices are served once it is", url)
    return MqttDoor(bridge, announcer, url)


def broker_address(settings: Settings) -> BrokerAddress:
    """The broker of ``settings.broker_url``; over TLS for ``mqtts://`` or when certificate files are set."""
    address = BrokerAddress.parse(settings.broker_url)
    files = (settings.broker_ca_file, settings.broker_cert_file, settings.broker_key_file)
    if address.tls is None and not any(files):
        return address
    return address.with_tls(TlsFiles(*(str(f) if f is not None else None for f in files)))


def start(settings: Settings, services: HallServices) -> MqttDoor:
    """``hallq server``'s hook: the door for ``settings.hall`` on ``settings.broker_url``."""
    stop_broker = None
    if settings.broker_url == EMBEDDED:
        from queue_server.runtime.broker import BrokerError, port_is_free, start_broker

        if not port_is_free(EMBEDDED_PORT):
            raise BrokerError(
                f"port {EMBEDDED_PORT} is taken, so the embedded broker cannot start; to use the broker "
                f"already listening there, set HALLQ_BROKER_URL=mqtt://127.0.0.1:{EMBEDDED_PORT}"
            )
        broker = start_broker(EMBEDDED_PORT, Path("var") / "broker")
        address, stop_broker = broker.address, broker.stop
    else:
        address = broker_address(settings)
    try:
        door = open_door(
            address,
            services,
            # With leases the lease keeper adds the halls this instance holds (queue_server/cluster/).
            [] if settings.leases else [settings.hall],
            instance=settings.instance,
            # A deployment with several instances opts into the shared subscription
            # (docs/design/ARCHITECTURE.md).
            share_group=settings.mqtt_shared,
            workers=default_workers(settings.database_url),
        )
    except BaseException:
        if stop_broker is not None:
            stop_broker()
        raise
    door.stop_broker = stop_broker
    return door
