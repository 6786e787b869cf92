"""The lobby kiosk: a citizen takes a ticket, checks materials or checks in an appointment, alone.

Layers, top to bottom:

- ``ui/`` — the Kivy app for a 1080×1920 portrait touch screen. Thin: it draws the view model's
  current screen and turns taps into view-model actions. The only package here that imports Kivy.
- ``model`` — :class:`~kiosk.model.KioskModel`, plain Python: every flow (home, matter page,
  materials check, ticket, check-in, out of service, elderly mode, idle reset). Tested without a window.
  Put together in ``model`` from one module per flow in ``flows/``.
- ``link`` (MQTT, through ``queue_server.protocol``), ``outbox`` (SQLite journal of the pending ticket
  request), ``catalog`` (on-disk catalog with its etag, search), ``hardware`` (printer and scanner from
  ``devices``), ``voice``.

The kiosk imports only ``queue_server.protocol`` and ``devices`` (docs/design/ARCHITECTURE.md).
"""
