"""One year of a large hall, generated: the data the statistics benchmarks query.

``hall.py`` (the hall: the demo hall grown to 20 windows and 60 window staff), ``simulate.py`` and
``visits.py`` (one service day played through as the live server would have recorded it),
``write.py`` (bulk inserts: ``executemany`` on SQLite, ``COPY`` on PostgreSQL, in chunks),
``generate.py`` (the whole year, with progress; ``python -m benchmarks.year.generate``).
"""
