"""The MQTT bridge: device requests and events into the services; calls and retained state out."""

from .announcer import MqttAnnouncer
from .bridge import SHARE_GROUP, MqttBridge, new_boot, server_link
from .executor import KeyedExecutor

__all__ = [
    "SHARE_GROUP",
    "KeyedExecutor",
    "MqttAnnouncer",
    "MqttBridge",
    "new_boot",
    "server_link",
]
