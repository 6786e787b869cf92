"""Priority classes (优先): who is called before the normal queue, and on what basis.

Age is automatic: the birth date read from a resident ID card decides it (default 60+). Every other
class is declared by the citizen at the kiosk and confirmed by the window, or granted by a supervisor;
the basis is recorded with the ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

# 《老年人权益保障法》: an elderly person is a citizen aged 60 or more.
DEFAULT_ELDERLY_AGE = 60


class PriorityClass(StrEnum):
    """A legally based precedence. The code is stored and sent on the wire; never rename one."""

    ELDERLY = "elderly"
    DISABLED = "disabled"
    MILITARY = "military"
    FIRE_RESCUE = "fire_rescue"
    MARTYR_FAMILY = "martyr_family"
    PREGNANT = "pregnant"
    WITH_INFANT = "with_infant"
    OTHER = "other"

    @property
    def label_zh(self) -> str:
        """The name on tickets, screens and the counter console."""
        return _LABELS_ZH[self]

    @property
    def confirmation_needed(self) -> bool:
        """Whether a window must confirm the class when it was declared rather than read from an ID.

        Only age can be read from the ID card; all other classes are shown at the window (证件 / 现场).
        """
        return self is not PriorityClass.ELDERLY


_LABELS_ZH: dict[PriorityClass, str] = {
    PriorityClass.ELDERLY: "老年人",
    PriorityClass.DISABLED: "残疾人",
    PriorityClass.MILITARY: "军人",
    PriorityClass.FIRE_RESCUE: "消防救援人员",
    PriorityClass.MARTYR_FAMILY: "烈士遗属",
    PriorityClass.PREGNANT: "孕妇",
    PriorityClass.WITH_INFANT: "携带婴幼儿",
    PriorityClass.OTHER: "其他需照顾群众",
}


class PriorityBasis(StrEnum):
    """How a ticket obtained its priority class (recorded for audit)."""

    ID_BIRTH_DATE = "id_birth_date"
    DECLARED = "declared"
    SUPERVISOR = "supervisor"
    GUIDE_DESK = "guide_desk"  # seen and confirmed by a guide-desk clerk before the ticket was issued

    @property
    def label_zh(self) -> str:
        """The basis in words for the audit view."""
        return _BASIS_LABELS_ZH[self]


_BASIS_LABELS_ZH: dict[PriorityBasis, str] = {
    PriorityBasis.ID_BIRTH_DATE: "身份证出生日期",
    PriorityBasis.DECLARED: "本人申报",
    PriorityBasis.SUPERVISOR: "值班长认定",
    PriorityBasis.GUIDE_DESK: "导办台确认",
}


@dataclass(frozen=True, slots=True)
class PriorityGrant:
    """A ticket's priority class together with the basis it rests on."""

    priority_class: PriorityClass
    basis: PriorityBasis

    def __post_init__(self) -> None:
        if self.basis is PriorityBasis.ID_BIRTH_DATE and self.priority_class is not PriorityClass.ELDERLY:
            raise ValueError("only the elderly class can be derived from an ID birth date")

    @property
    def needs_confirmation(self) -> bool:
        """A declared class is confirmed at the window; an ID-derived or supervisor grant is not."""
        return self.basis is PriorityBasis.DECLARED


def age_on(birth: date, day: date) -> int:
    """Completed years (周岁) on `day`: the age goes up on the birthday itself.

    Someone born on 29 February turns a year older on 1 March in common years.
    """
    if day < birth:
        raise ValueError(f"day {day} is before birth {birth}")
    before_birthday = (day.month, day.day) < (birth.month, birth.day)
    return day.year - birth.year - int(before_birthday)


def auto_priority(
    birth: date | None, day: date, threshold: int = DEFAULT_ELDERLY_AGE
) -> PriorityClass | None:
    """The class a birth date read from an ID card grants on `day`: elderly at `threshold` or older."""
    if birth is None or birth > day:
        return None
    return PriorityClass.ELDERLY if age_on(birth, day) >= threshold else None


def auto_grant(birth: date | None, day: date, threshold: int = DEFAULT_ELDERLY_AGE) -> PriorityGrant | None:
    """`auto_priority` with its basis attached, ready to store with the ticket."""
    cls = auto_priority(birth, day, threshold)
    return None if cls is None else PriorityGrant(cls, PriorityBasis.ID_BIRTH_DATE)
