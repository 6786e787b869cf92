"""city outbox only where a city link is configured

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 13:00:00.000000

``city_link``: the halls linked to a city. The outbox triggers exist only while a hall is linked and
write only for the linked halls (``city/capture.py``); ``hallq server`` links its hall when started
with ``city_url`` (seeding the hall's history into the outbox once) and unlinks it when started
without. On a SQLite database that ran 0019 (its triggers on every write, the whole history in the
outbox): a hall the city has acknowledged something of (``city_shipped``) stays linked with its
outbox as it is; every other hall's outbox rows go (a later link seeds its history again) and the
triggers are re-created gated, or dropped when no hall is linked.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from queue_server.city import capture
from queue_server.store.tables.city import CITY_LINK

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    CITY_LINK.create(bind, checkfirst=True)
    if bind.dialect.name != "sqlite":
        return
    for statement in capture.drop_statements():
        op.execute(statement)
    shipped = [int(r[0]) for r in bind.execute(sa.text("SELECT hall_id FROM city_shipped"))]
    if shipped:
        bind.execute(sa.insert(CITY_LINK), [{"hall_id": h, "linked_at": datetime.now(UTC)} for h in shipped])
    op.execute("DELETE FROM city_outbox WHERE hall_id NOT IN (SELECT hall_id FROM city_link)")
    if shipped:
        for statement in capture.create_statements():
            op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in capture.drop_statements():
            op.execute(statement)
    # 0019 as it is now creates no triggers: at 0020 nothing writes the outbox; the outbox rows stay
    # (the shipper of a newer version ships them after the next upgrade; 0021 keeps a shipped hall's).
    CITY_LINK.drop(bind, checkfirst=True)
