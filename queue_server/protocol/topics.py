"""MQTT topics of the hallq contract v1: one builder per topic and one parser for all.

Every topic a device or the server uses is built here and parsed here (docs/design/PROTOCOL.md, "Topics").
A topic is a frozen value; ``parse_topic(str(t)) == t`` for every topic this module builds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

PREFIX = "hallq/v1"

# Halls and devices are named in topics, client ids and usernames: keep them to a safe alphabet.
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
WINDOW_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,15}")
EVENT_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,31}")


class TopicError(ValueError):
    """A topic or an id that is not part of the contract."""


def check_id(value: str, what: str = "id") -> str:
    """Return ``value`` if it is a valid hall or device id, else raise TopicError."""
    if not ID_PATTERN.fullmatch(value):
        raise TopicError(f"invalid {what} {value!r}: must match {ID_PATTERN.pattern}")
    return value


def _check(pattern: re.Pattern[str], value: str, what: str) -> str:
    if not pattern.fullmatch(value):
        raise TopicError(f"invalid {what} {value!r}: must match {pattern.pattern}")
    return value


class Channel(StrEnum):
    """The per-device sub-topics under ``dev/{device_id}/``."""

    STATUS = "status"
    REQ = "req"
    RESP = "resp"
    CONFIG = "config"
    EVT = "evt"


class HallChannel(StrEnum):
    CALLS = "calls"
    STATE = "state"
    ALERTS = "alerts"


@dataclass(frozen=True, slots=True)
class DeviceTopic:
    hall: str
    device_id: str
    channel: Channel
    event: str | None = None  # only for Channel.EVT

    def __post_init__(self) -> None:
        check_id(self.hall, "hall")
        check_id(self.device_id, "device id")
        if (self.channel is Channel.EVT) != (self.event is not None):
            raise TopicError("an event name goes with the evt channel, and only with it")
        if self.event is not None:
            _check(EVENT_PATTERN, self.event, "event name")

    def __str__(self) -> str:
        base = f"{PREFIX}/{self.hall}/dev/{self.device_id}/{self.channel.value}"
        return f"{base}/{self.event}" if self.event is not None else base


@dataclass(frozen=True, slots=True)
class HallTopic:
    hall: str
    channel: HallChannel

    def __post_init__(self) -> None:
        check_id(self.hall, "hall")

    def __str__(self) -> str:
        return f"{PREFIX}/{self.hall}/{self.channel.value}"


@dataclass(frozen=True, slots=True)
class WindowTopic:
    hall: str
    window: str

    def __post_init__(self) -> None:
        check_id(self.hall, "hall")
        _check(WINDOW_PATTERN, self.window, "window number")

    def __str__(self) -> str:
        return f"{PREFIX}/{self.hall}/window/{self.window}/state"


@dataclass(frozen=True, slots=True)
class ServerTopic:
    instance: str

    def __post_init__(self) -> None:
        check_id(self.instance, "server instance")

    def __str__(self) -> str:
        return f"{PREFIX}/server/{self.instance}/status"


Topic = DeviceTopic | HallTopic | WindowTopic | ServerTopic


# --- builders -----------------------------------------------------------------------------------


def dev_status(hall: str, device_id: str) -> str:
    return str(DeviceTopic(hall, device_id, Channel.STATUS))


def dev_req(hall: str, device_id: str) -> str:
    return str(DeviceTopic(hall, device_id, Channel.REQ))


def dev_resp(hall: str, device_id: str) -> str:
    return str(DeviceTopic(hall, device_id, Channel.RESP))


def dev_config(hall: str, device_id: str) -> str:
    return str(DeviceTopic(hall, device_id, Channel.CONFIG))


def dev_evt(hall: str, device_id: str, event: str) -> str:
    return str(DeviceTopic(hall, device_id, Channel.EVT, event))


def calls(hall: str) -> str:
    return str(HallTopic(hall, HallChannel.CALLS))


def state(hall: str) -> str:
    return str(HallTopic(hall, HallChannel.STATE))


def alerts(hall: str) -> str:
    """The hall's open supervision alerts (retained, server only)."""
    return str(HallTopic(hall, HallChannel.ALERTS))


def window_state(hall: str, window: str) -> str:
    return str(WindowTopic(hall, window))


def server_status(instance: str) -> str:
    return str(ServerTopic(instance))


# --- subscription filters (what the server and devices subscribe to) ---------------------------


def all_requests(hall: str = "+") -> str:
    """Every device request of a hall (``+`` for every hall)."""
    return f"{PREFIX}/{hall}/dev/+/req"


def all_events(hall: str = "+") -> str:
    return f"{PREFIX}/{hall}/dev/+/evt/+"


def all_device_status(hall: str = "+") -> str:
    return f"{PREFIX}/{hall}/dev/+/status"


def device_events(hall: str, device_id: str) -> str:
    """Every event of one device."""
    return f"{DeviceTopic(hall, device_id, Channel.EVT, 'x')}"[:-1] + "+"


def all_server_status() -> str:
    """The birth/Last Will of every server instance: a device's way to know a server is alive."""
    return f"{PREFIX}/server/+/status"


def all_window_states(hall: str) -> str:
    return f"{PREFIX}/{check_id(hall, 'hall')}/window/+/state"


def shared(group: str, topic_filter: str) -> str:
    """An MQTT shared subscription, so several server instances split the device requests."""
    return f"$share/{check_id(group, 'share group')}/{topic_filter}"


# --- the one parser -----------------------------------------------------------------------------

_TOPIC_RE = re.compile(
    r"hallq/v1/(?:"
    r"server/(?P<instance>[^/]+)/status"
    r"|(?P<hall>[^/]+)/(?:"
    r"dev/(?P<device>[^/]+)/(?P<channel>status|req|resp|config|evt)(?:/(?P<event>[^/]+))?"
    r"|window/(?P<window>[^/]+)/state"
    r"|(?P<hallchannel>calls|state|alerts)"
    r"))"
)


def parse_topic(topic: str) -> Topic:
    """Parse any topic of the contract into its value; TopicError for anything else."""
    m = _TOPIC_RE.fullmatch(topic)
    if m is None:
        raise TopicError(f"not a hallq v1 topic: {topic!r}")
    if m["instance"] is not None:
        return ServerTopic(m["instance"])
    hall = m["hall"]
    if m["device"] is not None:
        return DeviceTopic(hall, m["device"], Channel(m["channel"]), m["event"])
    if m["window"] is not None:
        return WindowTopic(hall, m["window"])
    return HallTopic(hall, HallChannel(m["hallchannel"]))
