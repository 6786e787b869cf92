"""The city-hosted topology's leases: which server instance serves each hall, and who is alive.

``hall_lease``: one row per hall. ``holder`` serves the hall until ``expires_at`` unless it renews;
``epoch`` grows by one each time the hall changes hands, and every write for the hall checks it (the
fencing token), so an instance that was paused while its hall moved cannot write after it wakes.
``cluster_member``: each running instance's heartbeat, so an instance holding no hall yet still counts
when the halls are shared out (queue_server/cluster/).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from queue_server.store.tables import _meta  # noqa: F401  (naming convention first)
from queue_server.store.types import utc_field


class HallLease(SQLModel, table=True):
    """A hall's current holder, its fencing token (``epoch``) and when the holding lapses."""

    __tablename__ = "hall_lease"

    hall_id: int = Field(primary_key=True, foreign_key="hall.id")
    holder: str | None = Field(default=None, max_length=40)
    epoch: int = Field(default=0)
    expires_at: datetime = utc_field(nullable=False)


class ClusterMember(SQLModel, table=True):
    """A running server instance and when its heartbeat lapses."""

    __tablename__ = "cluster_member"

    instance: str = Field(primary_key=True, max_length=40)
    expires_at: datetime = utc_field(nullable=False)
