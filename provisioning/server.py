"""The queue server's part of a bundle: its secret key file, its ``server.env``, and the ID-hash key
its kiosks share.

One random secret per hall (``server/secret.key``, 64 hex characters, 0600) feeds every keyed use of
the server (``Settings.derive_key``: token signatures, …). The kiosks' ID-hash key is derived from it
(``derive_key(secret, "id-hash")``, the key the server itself would use), so every kiosk of a hall
hashes an ID number to the same value: the per-ID daily limit and appointment check-in by ID count
across the hall's kiosks, not per kiosk. A kiosk receives only the derived key (``kiosk.env``,
``HALLQ_ID_HASH_KEY``), never the secret: a stolen kiosk yields no token key.

Kept between runs like the broker passwords (read back from the output directory);
``--rotate-secret`` makes a new one, which signs out every member of staff and changes every ID hash
from then on (docs/security.md, "Rotating keys").
"""

from __future__ import annotations

import argparse
import json
import secrets
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from queue_server.settings import derive_key

KEY_FILE_PATH = "/etc/hallq/secret.key"
"""Where the server machine keeps the secret (``HALLQ_SECRET_KEY_FILE`` in ``server.env``)."""
KIOSK_ENV_FILE = "/etc/hallq/kiosk.env"
"""Where a kiosk machine keeps its environment file (the kiosk unit's ``EnvironmentFile``)."""
STATE_DIR = "/var/lib/hallq"
"""systemd's ``StateDirectory=hallq``: the only place a unit under ``ProtectSystem=strict`` may write."""
DEFAULT_DATABASE_URL = f"sqlite:///{STATE_DIR}/hallq.db"
SECRET_BUNDLE_PATH = PurePosixPath("server", "secret.key")
ID_KEY_ENV = "HALLQ_ID_HASH_KEY"  # read by kiosk/runtime.py load_id_key
SECRET_BYTES = 32
ALL_ADDRESSES = "0.0.0.0"  # noqa: S104 (the counter consoles reach the server over the hall's LAN)


@dataclass(frozen=True, slots=True)
class ServerSetup:
    """What ``server.env`` tells the queue server beyond its broker account."""

    secret: str | None = None
    """The hall's secret (hex); None: the bundle names the secret file but does not carry it."""
    database_url: str = DEFAULT_DATABASE_URL
    http_host: str = ALL_ADDRESSES
    http_port: int = 8000
    public_base_url: str | None = None
    """Printed on tickets for the citizen page; None: http://<broker host>:<http port>."""
    secret_file: str = KEY_FILE_PATH
    printer_addresses: tuple[str, ...] = ()
    """Network printers the windows may print to (``HALLQ_PRINTER_ADDRESSES``): the allow-list a
    manager's or admin's printer setting is checked against (device paths need no entry)."""


def new_secret() -> str:
    """A new hall secret: hex text, so no byte of it is whitespace the server would strip."""
    return secrets.token_hex(SECRET_BYTES)


def read_secret(out_dir: str | Path) -> str | None:
    """The secret a previous run wrote into ``out_dir`` (None when there is none)."""
    try:
        text = Path(out_dir).joinpath(*SECRET_BUNDLE_PATH.parts).read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    return text or None


def id_hash_key(secret: str) -> str:
    """The hall's ID-hash key, as the kiosks receive it: derived from the secret, hex."""
    return derive_key(secret.strip().encode(), "id-hash").hex()


def render_server_settings(server: ServerSetup, broker_host: str) -> list[str]:
    """``server.env`` lines: production, the secret file, the database, where HTTP listens."""
    base = server.public_base_url or f"http://{broker_host}:{server.http_port}"
    return [
        # hallq server is production unless told otherwise; said here for whoever reads the file.
        "HALLQ_ENVIRONMENT=production",
        f"HALLQ_SECRET_KEY_FILE={server.secret_file}",
        # Under ProtectSystem=strict only the state directory is writable (the unit's StateDirectory=).
        f"HALLQ_DATABASE_URL={server.database_url}",
        f"HALLQ_HTTP_HOST={server.http_host}",
        f"HALLQ_HTTP_PORT={server.http_port}",
        f"HALLQ_PUBLIC_BASE_URL={base}",
        # JSON, as pydantic-settings reads a list from the environment.
        f"HALLQ_PRINTER_ADDRESSES={json.dumps(list(server.printer_addresses))}",
    ]


def render_kiosk_env(hall: str, secret: str) -> str:
    """A kiosk's environment file: the hall's ID-hash key (secret: 0600, the kiosk's user only)."""
    return "\n".join(
        [
            f"# hallq kiosk of hall {hall!r}: the hall's ID-hash key, the same on every kiosk. SECRET.",
            f"{ID_KEY_ENV}={id_hash_key(secret)}",
            "",
        ]
    )


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """``hallq provision``'s options for the server's part of the bundle."""
    parser.add_argument(
        "--db",
        default=DEFAULT_DATABASE_URL,
        metavar="URL",
        help="the server's database (default: SQLite in /var/lib/hallq)",
    )
    parser.add_argument("--http-host", default=ALL_ADDRESSES, help="the server's HTTP listen address")
    parser.add_argument("--http-port", type=int, default=8000, help="the server's HTTP port (default 8000)")
    parser.add_argument(
        "--public-url",
        default=None,
        help="base URL printed on tickets (default http://BROKER_HOST:HTTP_PORT)",
    )
    parser.add_argument(
        "--printer-address",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="a network printer windows may print to (repeat for each; device paths need none)",
    )
    parser.add_argument(
        "--rotate-secret", action="store_true", help="a new hall secret (signs everyone out, new ID hashes)"
    )


def server_setup(args: argparse.Namespace, out_dir: Path) -> ServerSetup:
    """The server's part from the options; the secret kept from ``out_dir`` unless rotated."""
    kept = None if args.rotate_secret else read_secret(out_dir)
    return ServerSetup(
        secret=kept or new_secret(),
        database_url=args.db,
        http_host=args.http_host,
        http_port=args.http_port,
        public_base_url=args.public_url,
        printer_addresses=tuple(args.printer_address),
    )
