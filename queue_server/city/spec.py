"""What the hall ships to the city, as data: the tables, how their references travel, what stays home.

Shipped: every source row of the statistics (``stats/rollups.py``: tickets, appointments, cases,
ratings, pauses, shifts, and the events, which the extended-hours and enquiry rollups and the idle-time
replay read). A row travels as its image without its id. A reference to the hall's catalogue and floor
(service, window, staff, department, matter) travels as its natural key, which the city resolves in its
copy of the same hall file; a reference to another shipped row travels as the hall's row id, which the
city maps to its own (``city_row_map``). Personal data no statistic reads stays on the hall.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Natural keys of the reference tables: the columns that name a row within its hall.
NATURAL: dict[str, tuple[str, ...]] = {
    "service": ("code",),
    "window": ("number",),
    "staff": ("login",),
    "department": ("code",),
    "matter": ("code", "version"),
}


@dataclass(frozen=True)
class Shipped:
    """One shipped table: its references (column -> referenced table), what is blanked, digested."""

    table: str
    refs: dict[str, str] = field(default_factory=dict)
    # Personal data no figure reads: shipped as the value given (the city never holds it).
    blank: dict[str, object] = field(default_factory=dict)
    # Secrets replaced by their SHA-256 (the column stays unique; the city cannot open the citizen page).
    digest: tuple[str, ...] = ()
    # JSON lists of reference ids (a case's co-departments): column -> referenced table.
    ref_lists: dict[str, str] = field(default_factory=dict)


# In the order the city applies them: a row's references are to earlier tables, or to earlier rows of
# its own table (a transfer's parent ticket, a returned case), except an appointment's ticket, which
# the city fills in once the batch's tickets are in (``city/apply.py``).
SHIPPED: tuple[Shipped, ...] = (
    Shipped(
        "appointment",
        refs={"service_id": "service", "matter_id": "matter", "ticket_id": "ticket"},
        blank={"id_hash": None, "name": "", "phone": None},
    ),
    Shipped(
        "ticket",
        refs={
            "service_id": "service",
            "matter_id": "matter",
            "appointment_id": "appointment",
            "window_id": "window",
            "staff_id": "staff",
            "target_window_id": "window",
            "parent_ticket_id": "ticket",
            "transferred_from_window_id": "window",
        },
        blank={"id_hash": None, "phone": None},
        digest=("citizen_token",),
    ),
    Shipped(
        "case_file",
        refs={
            "ticket_id": "ticket",
            "matter_id": "matter",
            "department_id": "department",
            "return_for_case_id": "case_file",
        },
        blank={"documents": {}},
        ref_lists={"co_departments": "department"},
    ),
    Shipped("rating", refs={"ticket_id": "ticket", "window_id": "window", "staff_id": "staff"}),
    Shipped("pause", refs={"window_id": "window", "staff_id": "staff"}),
    Shipped("window_shift", refs={"window_id": "window", "staff_id": "staff"}),
    Shipped("event", refs={"ticket_id": "ticket", "window_id": "window", "staff_id": "staff"}),
)

BY_TABLE: dict[str, Shipped] = {s.table: s for s in SHIPPED}
ORDER: dict[str, int] = {s.table: i for i, s in enumerate(SHIPPED)}
