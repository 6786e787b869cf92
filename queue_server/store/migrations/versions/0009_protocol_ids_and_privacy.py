"""opaque protocol ids, token expiry, retention, scoped idempotency keys

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 08:00:00.000000

- ``ticket.public_id``: the protocol's ``ticket_id`` (random, 16 hex digits), distinct from the secret
  ``citizen_token``; existing tickets get a random one. ``call.citizen_token`` becomes
  ``call.public_id`` and is rewritten from the ticket, so a ``calls.since`` replay no longer hands out
  the tokens of old calls.
- ``request_log``: keys scoped to their sender (``scope``) with a hash of the arguments
  (``fingerprint``); the unique key becomes (hall, scope, request id); an index on ``ts`` for the
  pruning. Existing rows of devices get their device's scope, the others the anonymous one.

The ticket table is changed in place on SQLite too (a column added with a default, a unique index):
copying it would need the foreign keys that point at it switched off, which SQLite does not allow
inside the migration's transaction. The call and request-log tables are copied (batch mode); a copy
drops the table's triggers and renaming it fails while another table's trigger names it, so every
trigger is saved and dropped first and made again, from its own SQL, afterwards.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


# 64 random bits per existing ticket, as 16 hex digits (new tickets get theirs from ``secrets``).
_FILL_SQLITE = "UPDATE ticket SET public_id = lower(hex(randomblob(8)))"
_FILL_POSTGRESQL = (
    "UPDATE ticket SET public_id = substr(md5(random()::text || clock_timestamp()::text || id::text), 1, 16)"
)


def _drop_sqlite_triggers() -> list[str]:
    """Every trigger's SQL, the triggers dropped (SQLite; nothing elsewhere: tables change in place)."""
    if not _sqlite():
        return []
    rows = op.get_bind().exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all()
    for name, _sql in rows:
        op.execute(f'DROP TRIGGER "{name}"')
    return [sql for _name, sql in rows]


def _restore_triggers(saved: list[str]) -> None:
    for sql in saved:
        op.execute(sql)


def upgrade() -> None:
    # NOT NULL with a default: SQLite adds it in place. PostgreSQL then drops the default, so a writer
    # that forgot the id fails instead of writing "" (the unique index would refuse the second anyway).
    op.add_column("ticket", sa.Column("public_id", sa.String(length=24), nullable=False, server_default=""))
    op.execute(_FILL_SQLITE if _sqlite() else _FILL_POSTGRESQL)
    if not _sqlite():
        op.alter_column("ticket", "public_id", server_default=None)
    op.create_index("uq_ticket_public_id", "ticket", ["public_id"], unique=True)

    saved = _drop_sqlite_triggers()
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.alter_column(
            "citizen_token",
            new_column_name="public_id",
            existing_type=sa.String(length=64),
            type_=sa.String(length=24),
            existing_nullable=False,
        )
    op.execute(
        "UPDATE call SET public_id = (SELECT ticket.public_id FROM ticket WHERE ticket.id = call.ticket_id)"
    )

    with op.batch_alter_table("request_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope", sa.String(length=80), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=False, server_default=""))
        batch_op.drop_constraint("uq_request_log", type_="unique")
        batch_op.create_unique_constraint("uq_request_log", ["hall_id", "scope", "request_id"])
        batch_op.create_index("ix_request_log_ts", ["ts"], unique=False)
    op.execute("UPDATE request_log SET scope = 'device:' || device_id WHERE device_id <> ''")
    _restore_triggers(saved)


def downgrade() -> None:
    saved = _drop_sqlite_triggers()
    # Scoped keys of several senders may share a request id: only one row of each id can stay.
    op.execute(
        "DELETE FROM request_log WHERE id NOT IN "
        "(SELECT min(id) FROM request_log GROUP BY hall_id, request_id)"
    )
    with op.batch_alter_table("request_log", schema=None) as batch_op:
        batch_op.drop_index("ix_request_log_ts")
        batch_op.drop_constraint("uq_request_log", type_="unique")
        batch_op.create_unique_constraint("uq_request_log", ["hall_id", "request_id"])
        batch_op.drop_column("fingerprint")
        batch_op.drop_column("scope")

    # The calls get the tokens back: that was the old contract.
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.alter_column(
            "public_id",
            new_column_name="citizen_token",
            existing_type=sa.String(length=24),
            type_=sa.String(length=64),
            existing_nullable=False,
        )
    op.execute(
        "UPDATE call SET citizen_token = "
        "(SELECT ticket.citizen_token FROM ticket WHERE ticket.id = call.ticket_id)"
    )
    _restore_triggers(saved)

    op.drop_index("uq_ticket_public_id", table_name="ticket")
    op.execute("ALTER TABLE ticket DROP COLUMN public_id")  # in place on both (SQLite 3.35+)
