"""Fixtures borrowed for the running-server tests: ``web`` (tests/web/conftest.py: the small hall behind
a real uvicorn) and ``devices`` (tests/mqtt/conftest.py: devices speaking MQTT to a real Mosquitto)."""

from tests.mqtt.conftest import devices  # noqa: F401  (fixtures, used by name)
from tests.web.conftest import web  # noqa: F401
