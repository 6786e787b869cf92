"""city credential generations (revocation)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 17:00:00.000000

``city_credential``: on the city, each hall's credential generation; ``hallq city revoke`` moves it
on and the ingest takes only the current one (``city/credential.py``). No row is generation 0.
"""

from collections.abc import Sequence

from alembic import op

from queue_server.store.tables.city import CITY_CREDENTIAL

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    CITY_CREDENTIAL.create(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    CITY_CREDENTIAL.drop(op.get_bind(), checkfirst=True)
