"""The hall's credential at its city: ``{hall code}.{HMAC of the code}``, scoped to that one hall.

The city derives the key from its own secret (``Settings.derive_key("city-hall")``), so it stores no
list of credentials and can recompute any hall's; a credential proves only the hall it names, and the
ingest refuses a batch of any other hall (403). ``hallq city credential --hall CODE`` prints one on the
city; the hall reads it from ``city_credential_file`` (docs/city.md, "Provisioning").
"""

from __future__ import annotations

import base64
import hashlib
import hmac

PURPOSE = "city-hall"


def _mac(key: bytes, hall: str) -> str:
    digest = hmac.new(key, f"city-hall:{hall}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_credential(key: bytes, hall: str) -> str:
    """The credential of ``hall`` under the city's key."""
    return f"{hall}.{_mac(key, hall)}"


def hall_of(key: bytes, credential: str) -> str | None:
    """The hall a credential proves, or None when it is malformed or forged."""
    hall, _, mac = credential.strip().rpartition(".")
    if not hall or not mac:
        return None
    # Bytes: a header may carry any character, and compare_digest takes only ASCII text.
    return hall if hmac.compare_digest(mac.encode(), _mac(key, hall).encode()) else None
