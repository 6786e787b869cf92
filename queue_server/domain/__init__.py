"""The hall's rules as pure functions and values: no I/O, no clock reads (time is passed in).

Import the modules by path (`from queue_server.domain.ordering import pick_next`): numbering, ordering,
calendar, schedule, priority, idcard, limits, refusals, appointments, cases, ratings, kpi, masking, alerts.
"""
