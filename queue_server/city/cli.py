"""``hallq city credential --hall CODE [--config FILE] [--out FILE]``: on the city, a hall's credential.

The city's secret key file signs it (``city/credential.py``); the hall keeps it in the file its
``city_credential_file`` names, readable by the server's user alone (docs/city.md, "Provisioning").
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    cred = sub.add_parser("credential", help="print (or write) a hall's credential at this city")
    cred.add_argument("--hall", metavar="CODE", required=True, help="the hall's code")
    cred.add_argument("--config", type=Path, help="the city server's TOML settings (else $HALLQ_CONFIG)")
    cred.add_argument("--out", type=Path, help="write it to this file (mode 600) instead of printing it")


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from queue_server.city.credential import PURPOSE, make_credential
    from queue_server.settings import load_settings

    try:
        key = load_settings(args.config, server=True).derive_key(PURPOSE)
    except (ValidationError, OSError, ValueError) as exc:
        print(f"hallq city credential: the city's secret key file: {exc}", file=sys.stderr)
        return 2
    credential = make_credential(key, args.hall)
    if args.out is None:
        print(credential)
        return 0
    fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(credential + "\n")
    print(f"wrote the credential of hall {args.hall} to {args.out}")
    return 0
