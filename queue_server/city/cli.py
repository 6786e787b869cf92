"""``hallq city``: on the city, a hall's credential, and its revocation.

    hallq city credential --hall CODE [--config FILE] [--out FILE]   # the hall's current credential
    hallq city revoke --hall CODE [--config FILE] [--out FILE]       # the old one refused; a new one

The city's secret key file signs a credential (``city/credential.py``) and the city's database keeps
each hall's generation (``city/generations.py``); the hall keeps its credential in the file its
``city_credential_file`` names, readable by the server's user alone (docs/city.md, "Provisioning").
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    cred = sub.add_parser("credential", help="print (or write) a hall's current credential at this city")
    revoke = sub.add_parser(
        "revoke", help="refuse a hall's credential from now on and print (or write) its new one"
    )
    for action in (cred, revoke):
        action.add_argument("--hall", metavar="CODE", required=True, help="the hall's code")
        action.add_argument(
            "--config", type=Path, help="the city server's TOML settings (else $HALLQ_CONFIG)"
        )
        action.add_argument(
            "--out", type=Path, help="write it to this file (mode 600) instead of printing it"
        )


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from queue_server.city.credential import PURPOSE, make_credential
    from queue_server.files import write_private
    from queue_server.settings import load_settings

    name = f"hallq city {args.action}"
    try:
        settings = load_settings(args.config, server=True)
        key = settings.derive_key(PURPOSE)
    except (ValidationError, OSError, ValueError) as exc:
        print(f"{name}: the city's settings or secret key file: {exc}", file=sys.stderr)
        return 2
    try:
        generation = _generation(settings.database_url, args.hall, revoke=args.action == "revoke")
    except Exception as exc:  # the database: one line, no traceback, the password never shown
        print(f"{name}: the city's database: {type(exc).__name__}: {_first_line(exc)}", file=sys.stderr)
        return 2
    if generation is None:
        print(
            f"{name}: no hall {args.hall!r} in the city's database (load its hall file there first)",
            file=sys.stderr,
        )
        return 2
    credential = make_credential(key, args.hall, generation)
    if args.action == "revoke":
        print(f"hall {args.hall}: every earlier credential is refused from now on (generation {generation})")
    if args.out is None:
        print(credential)
        return 0
    write_private(args.out, credential + "\n")
    print(f"wrote the credential of hall {args.hall} to {args.out}")
    return 0


def _generation(url: str, hall: str, *, revoke: bool) -> int | None:
    from queue_server.city.generations import current_generation
    from queue_server.city.generations import revoke as move_on
    from queue_server.store import make_engine

    # The city's database as its running server keeps it (migrated at the server's start).
    engine: Engine = make_engine(url)
    try:
        with engine.begin() as conn:
            return move_on(conn, hall, datetime.now(UTC)) if revoke else current_generation(conn, hall)
    finally:
        engine.dispose()


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else ""
