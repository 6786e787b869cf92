"""catalog versions (draft, review, publish) and their history

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 10:00:00.000000

``matter_draft`` holds a proposed change of a matter until a second administrator publishes it (a new
``matter`` version) or sends it back; ``matter_step`` records every step of a matter's history, by
the catalog pages or by ``hallq hall load``, with the content at that step.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "matter_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewer", sa.String(length=64), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["hall_id"], ["hall.id"], name=op.f("fk_matter_draft_hall_id_hall")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matter_draft")),
    )
    op.create_index("ix_matter_draft_hall_code", "matter_draft", ["hall_id", "code"], unique=False)
    op.create_table(
        "matter_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["matter_draft.id"], name=op.f("fk_matter_step_draft_id_matter_draft")
        ),
        sa.ForeignKeyConstraint(["hall_id"], ["hall.id"], name=op.f("fk_matter_step_hall_id_hall")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matter_step")),
    )
    op.create_index("ix_matter_step_hall_code", "matter_step", ["hall_id", "code"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_matter_step_hall_code", table_name="matter_step")
    op.drop_table("matter_step")
    op.drop_index("ix_matter_draft_hall_code", table_name="matter_draft")
    op.drop_table("matter_draft")
