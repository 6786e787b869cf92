"""The seams between the application services and the doors into them.

``Announcer`` is the one way out of the services: after a transaction commits, the services tell the
announcers what changed, and the MQTT bridge (calls + retained state) and the browser live channel
(SSE) turn that into messages. Announcers hold no rules.

``HallServices`` is what the MQTT bridge calls. The HTTP API calls the same implementation, plus the
staff/manager operations that have no MQTT op.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from pydantic import BaseModel

from queue_server.protocol.messages import (
    AppointmentCheckinArgs,
    CallEvent,
    CallsSinceResult,
    CatalogResult,
    DeviceConfig,
    HallState,
    Op,
    RatingEvent,
    RatingSubmitArgs,
    TicketIssueArgs,
    TicketResult,
    TicketStatusResult,
    WindowOpResult,
    WindowState,
)

# The outcome of an asynchronous ticket issue: the ticket, or the refusal (HallqError) or failure.
IssueDone = Callable[[TicketResult | None, BaseException | None], None]
# The outcome of an asynchronous window operation, likewise.
WindowOpDone = Callable[[WindowOpResult | None, BaseException | None], None]


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    STAFF = "staff"
    GUIDE = "guide"  # the guide desk (导办台): issues, looks up, voids; no window, no review
    DEVICE = "device"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks: a signed-in person (staff id) or a device (device id), for audit and permission."""

    role: Role
    id: str
    window: str | None = None  # staff signed in at / agent bound to this window


class Announcer(Protocol):
    """Told after commit. Implementations must be quick and must not raise into the services."""

    def call_made(self, hall: str, call: CallEvent) -> None: ...

    def window_changed(self, hall: str, window: WindowState) -> None: ...

    def hall_changed(self, hall: str, state: HallState) -> None: ...


@runtime_checkable
class DeviceConfigFollower(Protocol):
    """An announcer that also republishes device configs (the MQTT door), told after an edit that may
    have changed them (an administrator's services or windows); quick, never raises."""

    def device_configs_changed(self, hall: str) -> None: ...


class HallServices(Protocol):
    """The use cases the device doors (MQTT) need. Every mutating call is idempotent by request_id."""

    def catalog(self, hall: str, etag: str | None) -> CatalogResult: ...

    def issue_ticket(
        self, hall: str, args: TicketIssueArgs, *, request_id: str, device_id: str | None
    ) -> TicketResult: ...

    def issue_ticket_async(
        self,
        hall: str,
        args: TicketIssueArgs,
        done: IssueDone,
        *,
        request_id: str,
        device_id: str | None,
    ) -> None:
        """``issue_ticket`` without holding the caller: returns at once, and ``done(ticket, None)`` or
        ``done(None, refusal)`` follows from the services' writer thread once committed. The MQTT
        bridge uses it so that a hall's kiosks do not each hold a worker while tickets are committed."""
        ...

    def checkin_appointment(
        self, hall: str, args: AppointmentCheckinArgs, *, request_id: str, device_id: str | None
    ) -> TicketResult: ...

    def ticket_status(self, hall: str, ticket_id: str) -> TicketStatusResult: ...

    def calls_since(self, hall: str, seq: int, limit: int) -> CallsSinceResult: ...

    def hall_state(self, hall: str) -> HallState: ...

    def window_states(self, hall: str) -> list[WindowState]: ...

    def device_window(self, hall: str, device_id: str) -> str | None:
        """The window a window agent is bound to (None: not a window agent of this hall)."""
        ...

    def window_op_async(
        self,
        hall: str,
        device_id: str,
        op: Op,
        args: BaseModel,
        done: WindowOpDone,
        *,
        request_id: str,
    ) -> None:
        """A window agent's ``window.*`` request (``op``, its parsed ``args``) on the window its config
        binds it to, without holding the caller, as ``issue_ticket_async``: the binding is read in the
        write's own transaction (a device bound to no window: ``done(None, NotAuthorizedError)``), and
        ``done`` follows from the services' writer thread once committed."""
        ...

    def record_rating(self, hall: str, window: str, rating: RatingEvent, *, device_id: str) -> None: ...

    def submit_rating(
        self, hall: str, window: str, args: RatingSubmitArgs, *, device_id: str, request_id: str
    ) -> BaseModel:
        """A rating pad's rating as a request (``rating.submit``): answered, idempotent by its id."""
        ...

    def record_device_status(self, hall: str, device_id: str, payload: bytes) -> None:
        """Keep a device's retained status (health, boot) for managers; stale Last Wills ignored."""
        ...

    def device_configs(self, hall: str) -> Mapping[str, DeviceConfig]:
        """Every device's config (device id → config), for the retained ``dev/{id}/config``.

        The ``version`` of a config grows whenever its content changes and stays while it does not.
        """
        ...
