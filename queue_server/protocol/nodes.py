"""Which node of a clustered broker a link's next connection attempt goes to.

paho knows one host. Given the nodes of a cluster (``BrokerAddress.alternates``), every attempt after
the first moves on to the next node in turn, whether the last one failed or the connection it made
dropped, so a link whose node dies or cannot be reached ends up on another (docs/city.md).
"""

from __future__ import annotations

from typing import Any

import paho.mqtt.client as mqtt

from .address import BrokerAddress, Endpoint

# The longest wait between two connection attempts (paho doubles it after each failure, from 1 s).
MAX_RECONNECT_DELAY_S = 8
# Toward a cluster the next node is up while the dead one is not, but it may refuse for a few seconds
# while it elects new leaders for what the dead node led (NATS JetStream): a short maximum keeps the
# link from sleeping 8 s past the moment the cluster answers again.
CLUSTER_MAX_RECONNECT_DELAY_S = 2


class NodeRotation:
    """The nodes of ``broker`` in turn; ``current`` is the one the link uses (or tries) now."""

    def __init__(self, broker: BrokerAddress) -> None:
        self._endpoints = broker.endpoints
        self._turn = 0
        self.current: Endpoint = self._endpoints[0]

    @property
    def max_delay(self) -> int:
        return CLUSTER_MAX_RECONNECT_DELAY_S if len(self._endpoints) > 1 else MAX_RECONNECT_DELAY_S

    def before_connect(self, client: mqtt.Client, userdata: Any) -> None:
        """paho's ``on_pre_connect``: runs inside its reconnect(), on its network thread, just before
        the socket (and TLS, whose host-name check reads the same attribute) is made."""
        self.current = self._endpoints[self._turn % len(self._endpoints)]
        self._turn += 1
        if len(self._endpoints) > 1:
            # paho has no list of brokers, and its host and port setters refuse while it connects.
            client._host, client._port = self.current
