"""Statistics for managers, answered from rollups kept exact as tickets change.

The rollup tables (``store/tables/stats.py``; what each row sums, exactly: ``stats/rollups.py``):

- ``stats_ticket``: per hall, dim, service day and dim key. Each ticket counts once in each dim:
  ``hour`` (hall-local hour of issue), ``service``, ``window`` and ``staff`` (0: never called),
  ``channel`` (kiosk, appointment, special, desk), ``priority`` (the class; "" normal), ``call_slot``
  (hall-local minute of the first call, in 5-minute steps; "-" never called). Measures: issued (first
  segments), visits (segments called), served, no_show, transferred, voided, waiting (waiting or held),
  recalls, in_target (called within the service's target wait), late_uncalled (left uncalled after
  the target), and for waits and handling times a count, a sum in ms and a histogram
  (``w00``…, ``h00``…: ``stats/buckets.py``).
- ``stats_rating``: per hall, day of the rating, window, staff: ratings, by level (s1…s5), bad ones,
  rectifications closed, closed in time.
- ``stats_case``: per hall, acceptance day, deadline, case type, department: cases, closed, closed
  after the deadline.
- ``stats_pause``: per hall, day, window, staff, reason: pauses, still running, paused ms.
- ``stats_shift``: per hall, day, window, staff: sign-ins, still signed in, signed-in ms.
- ``stats_appointment``: per hall, slot day, service: booked, kept, late, pending, cancelled.
- ``stats_extended``: per hall, day, window, staff (from the ``window_close`` events): closes, closes
  past closing time, the minutes worked past it (延时服务).
- ``stats_enquiry``: per hall, day, clerk, service code, matter code (from the ``enquiry`` events of
  the guide desk): enquiries (咨询).
- ``stats_idle`` / ``stats_idle_day``: idle time with people waiting per closed day, window and staff,
  replayed from the event log (``idle``; not a trigger-kept rollup), and the days stored.
- ``stats_zone``: each hall's UTC offset (SQLite's hall-local days and hours).
- ``stats_ticket_month`` … ``stats_enquiry_month``: the month layer, each rollup's sealed months
  summed by the rest of its key, and ``stats_month`` (the sealed hall, month and rollup): ``months``.

Modules: ``buckets`` (histograms, percentiles), ``measures`` (figures from summed rows), ``dialect``
and ``sql`` (the SQL of both databases), ``rollups`` (the descriptions above), ``triggers`` (kept in the
transaction of each change), ``rebuild`` (recomputed from the source rows), ``query`` and ``report``
(grouped reads), ``months`` (the month layer), ``idle`` (idle time with people waiting), ``labels``
(zh-CN names), ``export`` (CSV and xlsx), ``cli`` (``hallq stats rebuild``).
"""
