"""Alembic migrations of the hallq schema (run by ``queue_server.store.migrate``)."""
