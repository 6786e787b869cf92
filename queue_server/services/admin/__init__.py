"""The administrators' edits of a running hall: one hall-file section at a time (``sections.py``),
validated with the whole hall as ``hallq hall validate`` does, applied by the hall loader's own
functions in one transaction, audited, and announced to screens and devices (docs/admin.md)."""
