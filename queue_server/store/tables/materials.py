"""Pages of materials captured at the kiosk (高拍仪), attached to the visit's ticket and then its case.

The JPEG bytes live in the database (``material_image_data``), beside their metadata
(``material_image``), not in files on the server's disk: several server instances may serve one hall
(any of them must answer the console's request for a page), a page is deleted with its row in one
transaction by the retention job, and a database backup holds the pages their cases refer to. A page is
a few hundred KB at most (the upload limit) and kept ``material_image_days``, so the bytes stay a small
part of the database. The bytes sit in their own table so that listing a ticket's pages never reads them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from queue_server.store.tables import _meta  # noqa: F401  (naming convention first)
from queue_server.store.types import utc_field


class MaterialImage(SQLModel, table=True):
    """One captured page of one material of a visit; ``wrong_reason`` once the window refused it."""

    __tablename__ = "material_image"
    __table_args__ = (
        UniqueConstraint("ticket_id", "material_code", "page", name="uq_material_image_page"),
        Index("ix_material_image_hall_uploaded", "hall_id", "uploaded_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(foreign_key="hall.id")
    # The visit's first ticket (the one whose token the kiosk uploads with); a transfer keeps it.
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="case_file.id", index=True)
    material_code: str = Field(max_length=64)
    material_name: str = Field(max_length=200)  # as the catalogue named it at upload
    page: int = Field(ge=1)
    content_type: str = Field(max_length=32)
    size: int
    sha256: str = Field(max_length=64)
    uploaded_at: datetime = utc_field(nullable=False)
    wrong_reason: str | None = Field(default=None, max_length=200)
    marked_by_id: int | None = Field(default=None, foreign_key="staff.id")
    marked_at: datetime | None = utc_field()


class MaterialImageData(SQLModel, table=True):
    """The bytes of one page (read only when the page itself is asked for)."""

    __tablename__ = "material_image_data"

    image_id: int = Field(foreign_key="material_image.id", primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


__all__ = ["MaterialImage", "MaterialImageData"]
