"""The real things the test suite and the benchmarks run against, as plain importable code.

- ``harness.broker``: a private Mosquitto on a free loopback port (``MosquittoBroker``), ``free_port``,
  ``wait_port``.
- ``harness.postgres``: the PostgreSQL admin URL (env ``HALLQ_TEST_PG``), whether it answers, and a
  fresh database created and dropped around a block.
- ``harness.factories``: the small hall with real services in two lines (``build_hall``), its clock and
  announcer recorders, and the per-session shared databases.
- ``harness.waiting``: ``eventually()``, the one way to wait for something, scaled for loaded machines
  by env ``HALLQ_TIME_SCALE``.
- ``harness.proxy``: a TCP proxy that cuts a client's network or drops what the broker sends it.
- ``harness.processes``: a restartable ``hallq server`` process and ``hallq hall load``.
- ``harness.hall_day``, ``harness.hall_devices``: the soak's hall day, its kiosks, windows and displays.

pytest fixtures stay in tests/conftest.py; they are thin wrappers around these functions.
"""
