"""The hall's credential at its city: ``{hall code}.{generation}.{HMAC of both}``, scoped to that hall.

The city derives the key from its own secret (``Settings.derive_key("city-hall")``), so it keeps no
list of credentials and can recompute any hall's; a credential proves only the hall it names, and the
ingest refuses a batch of any other hall (403). ``hallq city credential --hall CODE`` prints one on the
city; the hall reads it from ``city_credential_file`` (docs/city.md, "Provisioning").

Revocation (a stolen or replaced appliance): the city keeps one number per hall, its credential's
generation (``city_credential``, 0 until the first revocation); ``hallq city revoke --hall CODE`` moves
it on and prints the new credential, and the ingest takes only the current generation, so the old
credential stops working at once while every other hall's goes on.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

PURPOSE = "city-hall"


@dataclass(frozen=True, slots=True)
class Proof:
    """What a genuine credential proves: its hall, and the generation it was made for."""

    hall: str
    generation: int


def _mac(key: bytes, hall: str, generation: int) -> str:
    digest = hmac.new(key, f"city-hall:{hall}:{generation}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_credential(key: bytes, hall: str, generation: int = 0) -> str:
    """The credential of ``hall`` under the city's key, for its ``generation``."""
    return f"{hall}.{generation}.{_mac(key, hall, generation)}"


def proof_of(key: bytes, credential: str) -> Proof | None:
    """What a credential proves, or None when it is malformed or forged (its generation unchecked)."""
    hall, _, rest = credential.strip().partition(".")
    number, _, mac = rest.partition(".")
    if not hall or not mac or not number.isascii() or not number.isdigit() or len(number) > 9:
        return None
    generation = int(number)
    # Bytes: a header may carry any character, and compare_digest takes only ASCII text.
    genuine = hmac.compare_digest(mac.encode(), _mac(key, hall, generation).encode())
    return Proof(hall, generation) if genuine else None
