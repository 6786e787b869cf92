"""Halls described by a declarative TOML file: the schema, its validation and the demo hall.

Import-light (pydantic and the standard library): ``provisioning`` reads hall files through this
package. Writing a hall into the database is ``queue_server.halls.loader.load_hall``.
"""

from .catalogue import CaseType, Material, MaterialForm, Matter
from .errors import HallFileError
from .schema import (
    AppointmentSlots,
    Department,
    Device,
    HallFile,
    HallInfo,
    HallLevel,
    Hours,
    Qualification,
    Role,
    Service,
    Staff,
    Window,
)
from .validate import DEMO_HALL_PATH, InvalidHallFileError, read_hall_file, validate_data, validate_file
from .values import TimeRange

__all__ = [
    "DEMO_HALL_PATH",
    "AppointmentSlots",
    "CaseType",
    "Department",
    "Device",
    "HallFile",
    "HallFileError",
    "HallInfo",
    "HallLevel",
    "Hours",
    "InvalidHallFileError",
    "Material",
    "MaterialForm",
    "Matter",
    "Qualification",
    "Role",
    "Service",
    "Staff",
    "TimeRange",
    "Window",
    "read_hall_file",
    "validate_data",
    "validate_file",
]
