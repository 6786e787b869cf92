"""The application services: every use case of a hall, one transaction each, behind one facade.

``Services`` (``facade.py``) is what both doors (the MQTT bridge, the HTTP API) call. Below it:
``engine/`` runs use cases (transactions, group commit, idempotency, announcements), ``queue/`` issues
and calls tickets, ``casework/`` turns visits into cases with documents and ratings, ``views/`` builds
what screens and pages read, and ``people/`` signs staff in and knows the devices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from queue_server.services.facade import Services, system_clock

__all__ = ["Services", "system_clock"]


def __getattr__(name: str) -> Any:
    # Imported on first use, not with the package: the hall loader (``halls/``) uses one function of
    # ``services.people``, and the facade imports the administrators' use cases, which use the loader.
    if name in __all__:
        from queue_server.services import facade

        return getattr(facade, name)
    raise AttributeError(name)
