"""A hall's policies as the running server applies them: lunch-time duty (午间不休), the priority
classes it grants, and what a clerk may decide alone (充分授权).

Pure functions and value objects: the hall file's ``[policies]`` (``halls/policies.py``) is stored on
the hall row and turned into these by ``services/engine/rules.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from queue_server.domain.cases import CaseType, DocumentKind
from queue_server.domain.priority import PriorityClass
from queue_server.domain.schedule import DaySchedule, Session

# --- lunch-time duty (午间不休) -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LunchDuty:
    """The windows that call, and the services served, between the morning and afternoon sessions.

    ``windows`` empty: the hall keeps no lunch duty, every window may call through the break (the
    hall's own choice before the policy existed). ``services`` empty with windows named: the duty
    windows call all their services."""

    windows: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()

    @property
    def kept(self) -> bool:
        return bool(self.windows)

    def may_call(self, window: str, *, lunch_break: bool) -> bool:
        """Whether the window may call now: outside the break always, in it only a duty window."""
        return not lunch_break or not self.kept or window in self.windows

    def serves(self, service: str, *, lunch_break: bool) -> bool:
        """Whether a duty window calls tickets of ``service`` now (every service outside the break)."""
        return not lunch_break or not self.services or service in self.services


def with_lunch(hours: DaySchedule) -> DaySchedule:
    """The day's sessions with each break between two sessions served too (a lunch-duty service)."""
    sessions: list[Session] = []
    for before, after in zip(hours.sessions, hours.sessions[1:], strict=False):
        sessions.append(before)
        if before.end < after.start:
            sessions.append(Session(before.end, after.start))
    sessions.extend(hours.sessions[-1:])
    return DaySchedule(tuple(sessions))


def in_lunch_break(hours: DaySchedule | None, now_local: datetime) -> bool:
    """Whether ``now_local`` falls between two sessions of the day (``hours``: that day's, or None)."""
    if hours is None:
        return False
    t = now_local.time()
    return any(
        before.end <= t < after.start
        for before, after in zip(hours.sessions, hours.sessions[1:], strict=False)
    )


# --- priority classes ---------------------------------------------------------------------------


def granted_classes(codes: Iterable[str] | None) -> frozenset[PriorityClass]:
    """The classes a hall grants; None (no policy stored) grants every class."""
    if codes is None:
        return frozenset(PriorityClass)
    return frozenset(PriorityClass(code) for code in codes)


# --- delegation (充分授权) ------------------------------------------------------------------------


class Decision(StrEnum):
    """What a clerk may decide alone at the window. Codes are stored in the hall file; never rename one."""

    IMMEDIATE = "immediate"  # 即办: handle and settle on the spot
    REFUSE = "refuse"  # 不予受理: refuse with reasons (a rejection notice)
    RECEIPT = "receipt"  # 受理: accept and sign the acceptance receipt (受理通知书)

    @property
    def label_zh(self) -> str:
        return _DECISION_ZH[self]


_DECISION_ZH = {
    Decision.IMMEDIATE: "当场即办",
    Decision.REFUSE: "不予受理并说明理由",
    Decision.RECEIPT: "受理并签发受理通知书",
}


def decision_for(case_type: CaseType) -> Decision | None:
    """The decision finishing a visit as ``case_type`` takes; None for a one-time notice of missing
    materials (一次性告知), which every clerk owes and needs no authority."""
    if case_type is CaseType.IMMEDIATE:
        return Decision.IMMEDIATE
    if DocumentKind.REJECTION_NOTICE in case_type.documents:
        return Decision.REFUSE
    if DocumentKind.ACCEPTANCE_RECEIPT in case_type.documents:
        return Decision.RECEIPT
    return None


@dataclass(frozen=True, slots=True)
class Grant:
    """One delegation: to a person (``login``), to everyone of a role (``role``) or to whoever works at
    a post (``window``), the case types and the decisions they may take alone."""

    case_types: frozenset[CaseType]
    decisions: frozenset[Decision]
    login: str | None = None
    role: str | None = None
    window: str | None = None


def held(grants: Iterable[Grant], login: str, role: str, window: str | None) -> list[Grant]:
    """The grants a person holds: those naming them, else those of their role and of their post."""
    grants = list(grants)
    named = [g for g in grants if g.login == login]
    if named:
        return named
    return [g for g in grants if g.login is None and (g.role == role or (window and g.window == window))]


def may_decide(
    grants: Iterable[Grant], login: str, role: str, window: str | None, case_type: CaseType
) -> bool:
    """Whether the person may finish a visit as ``case_type`` alone.

    A hall without any delegation keeps every clerk's full authority. With delegations, a person
    holds the grants naming them (a person's own grants replace their role's and post's), else the
    union of those of their role and their post (window): the case type must be granted and, when it
    takes a decision (``decision_for``), that decision too.
    """
    grants = list(grants)
    if not grants:
        return True
    mine = held(grants, login, role, window)
    if not any(case_type in g.case_types for g in mine):
        return False
    decision = decision_for(case_type)
    return decision is None or any(decision in g.decisions for g in mine)
