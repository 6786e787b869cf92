"""Priority classes as the kiosk offers them (优先).

The codes are the server's (``queue_server.domain.priority.PriorityClass``), repeated here because
the kiosk may import only the protocol package; a test keeps the two lists equal. Age is offered
automatically from the birth date on a scanned ID card; every other class is declared by the citizen
and confirmed at the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

ELDERLY = "elderly"
DEFAULT_ELDERLY_AGE = 60


@dataclass(frozen=True, slots=True)
class PriorityOption:
    code: str
    label: str
    needs_confirmation: bool


# Order: as a citizen scans the list. Never rename a code: it is stored with the ticket.
DECLARED: tuple[PriorityOption, ...] = (
    PriorityOption("disabled", "残疾人", True),
    PriorityOption("military", "军人", True),
    PriorityOption("fire_rescue", "消防救援人员", True),
    PriorityOption("martyr_family", "烈士遗属", True),
    PriorityOption("pregnant", "孕妇", True),
    PriorityOption("with_infant", "携带婴幼儿", True),
    PriorityOption("other", "其他需照顾群众", True),
)
AGE = PriorityOption(ELDERLY, "老年人", False)
ALL: tuple[PriorityOption, ...] = (AGE, *DECLARED)


def option(code: str) -> PriorityOption | None:
    return next((o for o in ALL if o.code == code), None)


def age_on(birth: date, day: date) -> int:
    """Completed years (周岁) on ``day``."""
    return day.year - birth.year - int((day.month, day.day) < (birth.month, birth.day))


def age_priority(birth: date | None, day: date, threshold: int = DEFAULT_ELDERLY_AGE) -> bool:
    return birth is not None and birth <= day and age_on(birth, day) >= threshold
