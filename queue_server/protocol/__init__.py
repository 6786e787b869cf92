"""The hallq MQTT contract v1 (docs/design/PROTOCOL.md): topics, payload models and the paho link.

Import-light on purpose (pydantic; paho only in ``client``): devices import this and nothing else
of the server.
"""

from . import messages, topics
from .codec import ProtocolError, decode, encode
from .messages import CallEvent, ErrorCode, HallState, Op, Request, Response, WindowState

__all__ = [
    "CallEvent",
    "ErrorCode",
    "HallState",
    "Op",
    "ProtocolError",
    "Request",
    "Response",
    "WindowState",
    "decode",
    "encode",
    "messages",
    "topics",
]
