"""The hall file's ``[policies]`` table: the hall's own settings of the rules the notice leaves to it.

Per-ID daily tickets, the elderly age and the priority classes granted, the no-show policy, the
appointment check-in window, lunch-time duty (午间不休) and what clerks may decide alone (充分授权,
``[[policies.delegations]]``). Stored by the loader on the ``hall`` row and read by the running server
(``services/engine/rules.py``); admins read and change it over ``GET/PUT /api/halls/{hall}/policies``,
validated by this same model. The defaults are the table's (a test holds them equal). Which windows
serve in extended hours stays on each window (``windows.extended_hours``). Import-light like ``schema``.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, model_validator

from queue_server.domain.priority import DEFAULT_ELDERLY_AGE, PriorityClass

from .catalogue import CaseType
from .errors import Loc, ProblemsError, unknown
from .values import Login, Section, ServiceCode, WindowNo

NoShowAction = Literal["void", "requeue"]
DelegatedRole = Literal["staff"]  # managers are never limited; the guide desk finishes no case


class Decision(StrEnum):
    """Mirrors ``domain.policies.Decision`` (a test holds them equal)."""

    IMMEDIATE = "immediate"  # 即办 on the spot
    REFUSE = "refuse"  # 不予受理, with reasons
    RECEIPT = "receipt"  # 受理 and sign the acceptance receipt


class Delegation(Section):
    """充分授权: what a person, everyone of a role, or whoever works at a window (a post) may decide
    alone. A person's own delegations replace those of their role and post; managers (值班长), to whom
    a clerk refers what they may not decide, are not limited."""

    login: Login | None = Field(default=None, title="person", description="one person's login")
    role: DelegatedRole | None = Field(
        default=None, title="role", description="everyone of this role: staff (window staff)"
    )
    window: WindowNo | None = Field(
        default=None, title="post", description="whoever works at this window (岗位)"
    )
    case_types: list[CaseType] = Field(
        min_length=1, title="case types", description="case types they may finish alone, e.g. immediate"
    )
    decisions: list[Decision] = Field(
        default_factory=list,
        title="decisions",
        description="immediate (即办), refuse (不予受理 with reasons), receipt (sign the 受理通知书)",
    )

    @model_validator(mode="after")
    def _one_holder(self) -> Delegation:
        if sum(holder is not None for holder in (self.login, self.role, self.window)) != 1:
            raise ProblemsError([(("login",), "name one of login, role or window")])
        return self


class Policies(Section):
    """The hall's policies (see docs/design/DOMAIN.md, "Policies")."""

    id_daily_limit: int = Field(
        default=2,
        ge=0,
        le=100,
        title="tickets per ID per day",
        description="tickets one ID may take of one service per day; 0 = no limit",
    )
    elderly_age: int = Field(
        default=DEFAULT_ELDERLY_AGE,
        ge=50,
        le=100,
        title="elderly age",
        description="age read from the ID card from which a ticket is a priority ticket (老年人优先)",
    )
    priority_classes: list[PriorityClass] = Field(
        default_factory=lambda: list(PriorityClass),
        title="priority classes",
        description="classes the hall grants (elderly, disabled, military, …); a class left out is refused",
    )
    no_show: NoShowAction = Field(
        default="void",
        title="no-show policy",
        description="void: the ticket ends; requeue: it waits again behind those waiting",
    )
    no_show_requeues: int = Field(
        default=1, ge=0, le=10, title="requeues", description="times a no-show waits again before it is void"
    )
    recalls_before_no_show: int = Field(
        default=0, ge=0, le=10, title="recalls first", description="recalls a window makes before a no-show"
    )
    checkin_early_min: int = Field(
        default=30, ge=0, le=240, title="check-in early", description="minutes before the slot check-in opens"
    )
    checkin_late_min: int = Field(
        default=15, ge=0, le=240, title="check-in late", description="minutes after the slot it closes"
    )
    lunch_windows: list[WindowNo] = Field(
        default_factory=list,
        title="lunch-duty windows",
        description="午间不休: windows that call through the lunch break; none: every window may",
    )
    lunch_services: list[ServiceCode] = Field(
        default_factory=list,
        title="lunch-duty services",
        description="services served through the lunch break (their tickets, and booking slots in it)",
    )
    delegations: list[Delegation] = Field(
        default_factory=list,
        title="delegations",
        description="充分授权; none: every clerk decides every case type alone",
    )

    @model_validator(mode="after")
    def _no_repeats(self) -> Policies:
        problems: list[tuple[Loc, str]] = []
        for key in ("priority_classes", "lunch_windows", "lunch_services"):
            values: list[Any] = getattr(self, key)
            problems += [
                ((key, i), f"{v!r} listed twice") for i, v in enumerate(values) if values.index(v) != i
            ]
        if self.lunch_services and not self.lunch_windows:
            problems.append((("lunch_windows",), "lunch-duty services need a lunch-duty window"))
        if problems:
            raise ProblemsError(problems)
        return self

    def columns(self) -> dict[str, Any]:
        """The ``hall`` row's columns that store the policies."""
        return {
            "id_daily_limit": self.id_daily_limit,  # 0: no limit (as NULL, which older rows may hold)
            "priority_age": self.elderly_age,
            "priority_classes": [c.value for c in self.priority_classes],
            "no_show_policy": self.no_show,
            "no_show_requeue_limit": self.no_show_requeues,
            "no_show_min_recalls": self.recalls_before_no_show,
            "checkin_early_min": self.checkin_early_min,
            "checkin_late_min": self.checkin_late_min,
            "lunch_windows": list(self.lunch_windows),
            "lunch_services": list(self.lunch_services),
            "delegations": [d.model_dump(mode="json", exclude_none=True) for d in self.delegations],
        }

    @classmethod
    def from_columns(cls, row: Mapping[str, Any]) -> Policies:
        """The policies stored by :meth:`columns` (``priority_classes`` None: every class)."""
        classes = row["priority_classes"]
        return cls(
            id_daily_limit=row["id_daily_limit"] or 0,
            elderly_age=row["priority_age"],
            priority_classes=list(PriorityClass) if classes is None else classes,
            no_show=row["no_show_policy"],
            no_show_requeues=row["no_show_requeue_limit"],
            recalls_before_no_show=row["no_show_min_recalls"],
            checkin_early_min=row["checkin_early_min"],
            checkin_late_min=row["checkin_late_min"],
            lunch_windows=row["lunch_windows"],
            lunch_services=row["lunch_services"],
            delegations=row["delegations"],
        )


COLUMNS = tuple(Policies().columns())
UNKNOWABLE = "*"
"""In a set of known codes: the section did not validate, any code may be right (``checks.UNREADABLE``)."""


def policy_problems(
    policies: Policies,
    *,
    windows: Set[str],
    services: Set[str],
    logins: Set[str],
    loc: Loc = ("policies",),
) -> list[tuple[Loc, str]]:
    """Windows, services and people the policies name that the hall does not have."""
    problems: list[tuple[Loc, str]] = []

    def ref(where: Loc, what: str, value: str, known: Set[str]) -> None:
        if value not in known and UNKNOWABLE not in known:
            problems.append(((*loc, *where), unknown(what, value, set(known))))

    for i, number in enumerate(policies.lunch_windows):
        ref(("lunch_windows", i), "window", number, windows)
    for i, code in enumerate(policies.lunch_services):
        ref(("lunch_services", i), "service", code, services)
    for i, delegation in enumerate(policies.delegations):
        if delegation.login is not None:
            ref(("delegations", i, "login"), "staff login", delegation.login, logins)
        if delegation.window is not None:
            ref(("delegations", i, "window"), "window", delegation.window, windows)
    return problems
