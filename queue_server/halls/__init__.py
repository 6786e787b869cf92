"""Halls described by a declarative TOML file: the schema, its validation and the demo hall.

Import-light (pydantic and the standard library): ``provisioning`` reads hall files through this
package. Writing a hall into the database is ``queue_server.halls.loader.load_hall``.
"""

from .errors import HallFileError
from .schema import (
    AppointmentSlots,
    CaseType,
    Department,
    Device,
    HallFile,
    HallInfo,
    HallLevel,
    Hours,
    Material,
    MaterialForm,
    Matter,
    Qualification,
    Role,
    Service,
    Staff,
    TimeRange,
    Window,
)
from .validate import DEMO_HALL_PATH, InvalidHallFileError, read_hall_file, validate_data, validate_file

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
