"""Supervision (电子监察) while the hall runs: the rules of ``domain/alerts.py`` evaluated on the
store's picture of the hall (``snapshot.py``), the alerts kept in step with them (``alerts.py``),
when to evaluate and whom to tell (``monitor.py``), the devices' status (``devices.py``)."""
