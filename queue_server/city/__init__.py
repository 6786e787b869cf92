"""The city link: a hall appliance's changes shipped to its city, applied there exactly once.

``spec`` (what is shipped, how references travel), ``capture`` (the hall's outbox triggers), ``batch``
(the hall reads a batch of row images; acknowledgement), ``apply`` (the city writes a batch into its
own tables), ``credential`` (the hall's credential, scoped to one hall), ``shipper`` (the thread of
``hallq server`` that posts batches, with back-off), ``status`` (lag and progress on either side),
``cli`` (``hallq city credential``). docs/city.md tells the design and its guarantees.
"""
