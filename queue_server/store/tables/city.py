"""The city link (``queue_server/city/``): the hall's outbox and progress, the city's map and progress.

On a hall appliance (SQLite) linked to a city (a ``city_link`` row, written when ``hallq server``
starts with ``city_url``) triggers append one ``city_outbox`` row per insert or update of a shipped
table, in the transaction of the change (``city/capture.py``); the shipper posts the rows' images to
the city and records the city's acknowledgement in ``city_shipped``. On the city ``city_row_map``
maps each shipped row (hall, table, the hall's row id) to the city's own row and the outbox position
its image was read at; ``city_received`` holds the last position acknowledged to each hall.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text
from sqlmodel import SQLModel

from queue_server.store.tables import _meta  # noqa: F401  (naming convention first)
from queue_server.store.types import UTCDateTime

# AUTOINCREMENT: a position is never reused after the acknowledged rows are deleted (a reused one
# would look already applied to the city and be skipped).
CITY_OUTBOX = Table(
    "city_outbox",
    SQLModel.metadata,
    Column("seq", Integer(), primary_key=True),
    Column("hall_id", Integer(), nullable=False),
    Column("tbl", String(16), nullable=False),
    Column("row_id", Integer(), nullable=False),
    Column("at_s", BigInteger(), nullable=False),  # Unix seconds of the change: the lag figure
    Index("ix_city_outbox_row", "tbl", "row_id"),
    sqlite_autoincrement=True,
)

CITY_SHIPPED = Table(
    "city_shipped",
    SQLModel.metadata,
    Column("hall_id", Integer(), primary_key=True),
    Column("acked_seq", Integer(), nullable=False, server_default="0"),
    Column("acked_at", UTCDateTime(), nullable=True),
)

CITY_RECEIVED = Table(
    "city_received",
    SQLModel.metadata,
    Column("hall_id", Integer(), primary_key=True),
    Column("seq", Integer(), nullable=False, server_default="0"),
    Column("received_at", UTCDateTime(), nullable=True),
    Column("rows", BigInteger(), nullable=False, server_default="0"),
    Column("last_error", Text(), nullable=True),
)

CITY_ROW_MAP = Table(
    "city_row_map",
    SQLModel.metadata,
    Column("hall_id", Integer(), primary_key=True),
    Column("tbl", String(16), primary_key=True),
    Column("hall_row_id", Integer(), primary_key=True),
    Column("row_id", Integer(), nullable=False),
    Column("version", Integer(), nullable=False),
)

# The halls of this database linked to a city (a hall appliance started with ``city_url``): the outbox
# triggers exist only while a row is here, and write only for the halls here (``city/capture.py``).
CITY_LINK = Table(
    "city_link",
    SQLModel.metadata,
    Column("hall_id", Integer(), primary_key=True),
    Column("linked_at", UTCDateTime(), nullable=False),
    Column("seeded", Integer(), nullable=False, server_default="0"),  # outbox rows of the history
)

# On the city: each hall's credential generation (``city/credential.py``); no row is generation 0. A
# revocation moves it on, and only a credential of the current generation is taken.
CITY_CREDENTIAL = Table(
    "city_credential",
    SQLModel.metadata,
    Column("hall_id", Integer(), primary_key=True),
    Column("generation", Integer(), nullable=False, server_default="0"),
    Column("revoked_at", UTCDateTime(), nullable=True),
)
