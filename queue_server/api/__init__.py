"""The HTTP API (FastAPI): thin routers over ``queue_server.services``; ``create_app`` builds it."""

from queue_server.api.app import create_app

__all__ = ["create_app"]
