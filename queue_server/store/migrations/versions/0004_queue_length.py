"""queue_length: per service, day and state, kept by triggers on ticket

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 22:00:00.000000

The hall state (waiting per service, pending for the hall mode) and a new ticket's people-ahead used
to COUNT the queue's index range after every change: linear in the queue (30 ms at 100 000 waiting on
PostgreSQL). Triggers now keep the counts in ``queue_length`` in the same transaction as the ticket
change, whoever makes it (services, hall loads, a manual fix in SQL), and readers look them up.

PostgreSQL: a state change updates its two rows in ONE statement, so two transactions moving tickets
of a queue in opposite directions (call-next waiting->called, a no-show requeued called->waiting) lock
them in the same order and cannot deadlock on them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = "service_id, service_day, state"

SQLITE_TRIGGERS = [
    f"""
    CREATE TRIGGER queue_length_insert AFTER INSERT ON ticket
    BEGIN
        INSERT INTO queue_length ({KEY}, n) VALUES (NEW.service_id, NEW.service_day, NEW.state, 1)
        ON CONFLICT ({KEY}) DO UPDATE SET n = n + 1;
    END
    """,
    f"""
    CREATE TRIGGER queue_length_update AFTER UPDATE OF {KEY} ON ticket
    WHEN OLD.service_id IS NOT NEW.service_id OR OLD.service_day IS NOT NEW.service_day
        OR OLD.state IS NOT NEW.state
    BEGIN
        UPDATE queue_length SET n = n - 1
        WHERE service_id = OLD.service_id AND service_day = OLD.service_day AND state = OLD.state;
        INSERT INTO queue_length ({KEY}, n) VALUES (NEW.service_id, NEW.service_day, NEW.state, 1)
        ON CONFLICT ({KEY}) DO UPDATE SET n = n + 1;
    END
    """,
    """
    CREATE TRIGGER queue_length_delete AFTER DELETE ON ticket
    BEGIN
        UPDATE queue_length SET n = n - 1
        WHERE service_id = OLD.service_id AND service_day = OLD.service_day AND state = OLD.state;
    END
    """,
]

POSTGRESQL_FUNCTION = f"""
CREATE FUNCTION queue_length_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        -- The row the ticket moves to exists from here on (no lock taken when it already did).
        INSERT INTO queue_length ({KEY}, n) VALUES (NEW.service_id, NEW.service_day, NEW.state, 0)
        ON CONFLICT ({KEY}) DO NOTHING;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.service_id = NEW.service_id AND OLD.service_day = NEW.service_day THEN
        -- Both rows in one statement: every transaction locks them in the same order.
        UPDATE queue_length SET n = n + CASE WHEN state = NEW.state THEN 1 ELSE -1 END
        WHERE service_id = NEW.service_id AND service_day = NEW.service_day
          AND state IN (OLD.state, NEW.state);
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        UPDATE queue_length SET n = n - 1
        WHERE service_id = OLD.service_id AND service_day = OLD.service_day AND state = OLD.state;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE queue_length SET n = n + 1
        WHERE service_id = NEW.service_id AND service_day = NEW.service_day AND state = NEW.state;
    END IF;
    RETURN NULL;
END
$$
"""

POSTGRESQL_TRIGGERS = [
    "CREATE TRIGGER queue_length_insert_delete AFTER INSERT OR DELETE ON ticket "
    "FOR EACH ROW EXECUTE FUNCTION queue_length_count()",
    f"CREATE TRIGGER queue_length_update AFTER UPDATE OF {KEY} ON ticket FOR EACH ROW "
    "WHEN (OLD.service_id IS DISTINCT FROM NEW.service_id OR OLD.service_day IS DISTINCT FROM NEW.service_day "
    "OR OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION queue_length_count()",
]


def upgrade() -> None:
    op.create_table(
        "queue_length",
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["service_id"], ["service.id"], name=op.f("fk_queue_length_service_id_service")),
        sa.PrimaryKeyConstraint("service_id", "service_day", "state", name=op.f("pk_queue_length")),
    )
    # Before the triggers: in the migration's transaction nothing else changes tickets meanwhile.
    op.execute(
        f"INSERT INTO queue_length ({KEY}, n) SELECT {KEY}, count(*) FROM ticket GROUP BY {KEY}"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
        for trigger in POSTGRESQL_TRIGGERS:
            op.execute(trigger)
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER queue_length_update ON ticket")
        op.execute("DROP TRIGGER queue_length_insert_delete ON ticket")
        op.execute("DROP FUNCTION queue_length_count()")
    else:
        for name in ("queue_length_insert", "queue_length_update", "queue_length_delete"):
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("queue_length")
