"""material images captured at the kiosk

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 10:00:00.000000

``material_image``: one row per page a kiosk's document camera captured for a visit (its first ticket,
then its case), with the window's "wrong page" mark; ``material_image_data``: the page's JPEG bytes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "material_image",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("material_code", sa.String(length=64), nullable=False),
        sa.Column("material_name", sa.String(length=200), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wrong_reason", sa.String(length=200), nullable=True),
        sa.Column("marked_by_id", sa.Integer(), nullable=True),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["hall_id"], ["hall.id"], name=op.f("fk_material_image_hall_id_hall")),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["ticket.id"], name=op.f("fk_material_image_ticket_id_ticket")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_material_image_case_id_case_file")
        ),
        sa.ForeignKeyConstraint(
            ["marked_by_id"], ["staff.id"], name=op.f("fk_material_image_marked_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_material_image")),
        sa.UniqueConstraint("ticket_id", "material_code", "page", name="uq_material_image_page"),
    )
    op.create_index(op.f("ix_material_image_ticket_id"), "material_image", ["ticket_id"], unique=False)
    op.create_index(op.f("ix_material_image_case_id"), "material_image", ["case_id"], unique=False)
    op.create_index(
        "ix_material_image_hall_uploaded", "material_image", ["hall_id", "uploaded_at"], unique=False
    )
    op.create_table(
        "material_image_data",
        sa.Column("image_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["image_id"], ["material_image.id"], name=op.f("fk_material_image_data_image_id_material_image")
        ),
        sa.PrimaryKeyConstraint("image_id", name=op.f("pk_material_image_data")),
    )


def downgrade() -> None:
    op.drop_table("material_image_data")
    op.drop_index("ix_material_image_hall_uploaded", table_name="material_image")
    op.drop_index(op.f("ix_material_image_case_id"), table_name="material_image")
    op.drop_index(op.f("ix_material_image_ticket_id"), table_name="material_image")
    op.drop_table("material_image")
