"""Storage: SQLModel tables, engines (SQLite WAL / PostgreSQL), Alembic migrations, atomic counters."""

from queue_server.store.engine import make_engine, reader
from queue_server.store.migrate import init_db

__all__ = ["init_db", "make_engine", "reader"]
