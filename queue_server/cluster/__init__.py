"""The city-hosted topology: halls leased to server instances through the database.

Several ``hallq server`` instances share one PostgreSQL database and one (clustered) broker. Each
hall is served by exactly one of them at a time, its holder, named in the hall's ``hall_lease`` row
with a fencing token (``epoch``) that grows whenever the hall changes hands:

- ``plan.py``: the pure rule of one round: which leases an instance keeps, takes, releases or has
  lost, so that every live instance takes its share of the halls.
- ``leases.py``: one round in one transaction (heartbeat, renew, take, release), on the database's
  clock.
- ``fence.py``: the halls this instance holds and the check every write transaction makes: the
  hall's lease still names this instance with the same epoch, or the write is refused.
- ``keeper.py``: the thread that runs a round every ``lease_ttl_s / 4`` and tells the MQTT door and
  supervision which halls it gained and lost.

On by ``leases = true`` (``HALLQ_LEASES``); off, nothing here runs and a server serves ``hall``.
"""
