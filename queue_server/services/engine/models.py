"""The base models of use-case requests and replies, and the plain acknowledgement.

Requests are strict (unknown fields refused); replies are frozen. Dates are hall-local ``date``s,
instants are UNIX seconds (as in the MQTT contract), texts meant for people are zh-CN.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Request(BaseModel):
    """A use case's input from a door: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Reply(BaseModel):
    """A use case's result, frozen (the runner stores it to replay a retried request)."""

    model_config = ConfigDict(frozen=True)


class Ack(Reply):
    ok: bool = True
