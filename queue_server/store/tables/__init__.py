"""All tables, importable from one place (and registered on ``SQLModel.metadata`` for Alembic)."""

from queue_server.store.tables import (
    casework,  # noqa: F401  (the window's tables, for Alembic)
    city,  # noqa: F401  (the city link's outbox and maps, for Alembic)
    materials,  # noqa: F401  (pages captured at the kiosk, for Alembic)
    stats,  # noqa: F401  (statistics rollups, for Alembic)
)
from queue_server.store.tables.accounts import StaffAccount  # noqa: F401  (accounts and rights)
from queue_server.store.tables.alerts import HallSupervision, SupervisionAlert
from queue_server.store.tables.audit import Event, RequestLog
from queue_server.store.tables.booking import AppointmentReminder, BookingCapacity, HallBooking
from queue_server.store.tables.catalog import Department, Hall, Material, Matter, Service
from queue_server.store.tables.catalog_versions import MatterDraft, MatterStep
from queue_server.store.tables.cluster import ClusterMember, HallLease
from queue_server.store.tables.floor import Device, Pause, Staff, Window, WindowService, WindowShift
from queue_server.store.tables.queue import (
    LANE_MILITARY,
    LANE_NORMAL,
    LANE_PRIORITY,
    LANE_SPECIAL,
    Appointment,
    Call,
    Case,
    HallSequence,
    QueueLength,
    Rating,
    SlotCounter,
    Ticket,
    TicketCounter,
)

__all__ = [
    "LANE_MILITARY",
    "LANE_NORMAL",
    "LANE_PRIORITY",
    "LANE_SPECIAL",
    "Appointment",
    "AppointmentReminder",
    "BookingCapacity",
    "Call",
    "Case",
    "ClusterMember",
    "Department",
    "Device",
    "Event",
    "Hall",
    "HallBooking",
    "HallLease",
    "HallSequence",
    "HallSupervision",
    "Material",
    "Matter",
    "MatterDraft",
    "MatterStep",
    "Pause",
    "QueueLength",
    "Rating",
    "RequestLog",
    "Service",
    "SlotCounter",
    "Staff",
    "SupervisionAlert",
    "Ticket",
    "TicketCounter",
    "Window",
    "WindowService",
    "WindowShift",
]
