"""How long a visit's secrets and personal data live (pure: the clock is passed in).

- A citizen token (the ticket's QR code) opens the citizen page, its documents and its rating for
  ``days`` after the ticket was issued, then nothing: a photo of a thrown-away ticket stops working.
- Phone numbers and ID hashes are purged from tickets and appointments ``days`` after the visit (for
  an appointment: after its slot), and request-log rows after the idempotency window.
- A staff member is named on displays and public topics by an opaque id, never the login (a login is
  the pinyin of the full name and undoes the masking of 张*).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta


def token_expired(issued_at: datetime, now: datetime, days: int) -> bool:
    """Whether a citizen token issued at ``issued_at`` has expired at ``now``."""
    return now >= issued_at + timedelta(days=days)


def retention_cutoff(now: datetime, days: int) -> datetime:
    """Rows older than this (their visit, slot or request) lose what the retention covers."""
    return now - timedelta(days=days)


def opaque_staff_id(key: bytes, staff_id: int) -> str:
    """A staff member's number on displays and public topics (shown as 工号): 8 digits, stable, keyed,
    and not the login. Nobody looks a person up by it except a manager reading the console; two
    people of a hall of 100 share one with a chance of about 1 in 20 000."""
    digest = hmac.new(key, f"staff:{staff_id}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**8:08d}"
