"""``hallq provision --hall FILE --out DIR``: credentials, broker config and device bundles for a hall.

Validates the hall file first (every problem listed, nothing written), keeps the passwords of devices
provisioned before (read back from DIR/credentials.toml), then writes the whole bundle. Passwords are
never printed: they are in the 0600 files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from queue_server.halls import validate_file

from .broker import BrokerSettings, TlsSettings
from .bundle import read_credentials, render_bundle, usernames, write_bundle
from .credentials import ensure_credentials
from .units import DEFAULT_HALLQ_BIN, UnitSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--hall", required=True, metavar="FILE", help="the hall file (TOML)")
    parser.add_argument("--out", required=True, metavar="DIR", help="where to write the bundle")
    parser.add_argument("--broker-host", default="127.0.0.1", help="the address devices connect to")
    parser.add_argument("--broker-port", type=int, default=1883, help="plain MQTT port (default 1883)")
    parser.add_argument("--bind", default="0.0.0.0", help="the broker's listen address (default all)")  # noqa: S104
    parser.add_argument(
        "--broker-dir",
        default=None,
        metavar="PATH",
        help="where passwd and acl live on the broker machine (default: DIR/broker as written)",
    )
    parser.add_argument("--tls-ca", metavar="FILE", help="CA certificate: enables the TLS listener")
    parser.add_argument("--tls-cert", metavar="FILE", help="the broker's certificate")
    parser.add_argument("--tls-key", metavar="FILE", help="the broker's private key")
    parser.add_argument("--tls-port", type=int, default=8883)
    parser.add_argument(
        "--no-client-certs", action="store_true", help="TLS with passwords instead of client certificates"
    )
    parser.add_argument("--units", action="store_true", help="also write systemd units")
    parser.add_argument("--hallq-bin", default=DEFAULT_HALLQ_BIN, help="hallq executable in the units")
    parser.add_argument("--rotate", action="store_true", help="new passwords for every account")


def run(args: argparse.Namespace) -> int:
    hall = validate_file(args.hall)
    if isinstance(hall, list):
        print(f"{args.hall}: {len(hall)} problem(s); nothing written", file=sys.stderr)
        for error in hall:
            print(f"  {error}", file=sys.stderr)
        return 2
    tls = None
    if args.tls_ca or args.tls_cert or args.tls_key:
        if not (args.tls_ca and args.tls_cert and args.tls_key):
            print("TLS needs --tls-ca, --tls-cert and --tls-key together", file=sys.stderr)
            return 2
        tls = TlsSettings(args.tls_ca, args.tls_cert, args.tls_key, args.tls_port, not args.no_client_certs)
    out = Path(args.out).resolve()
    broker = BrokerSettings(
        host=args.broker_host,
        port=args.broker_port,
        bind=args.bind,
        conf_dir=args.broker_dir or str(out / "broker"),
        tls=tls,
    )
    existing = {} if args.rotate else read_credentials(out)
    credentials = ensure_credentials(usernames(hall), existing)
    units = UnitSettings(hallq_bin=args.hallq_bin) if args.units else None
    bundle = render_bundle(hall, credentials, broker=broker, units=units)
    write_bundle(bundle, out)
    new = sorted(set(credentials) - set(existing))
    print(f"hall {hall.hall.code} ({hall.hall.name}): {len(bundle.devices)} devices, bundle in {out}")
    for entry in bundle.devices:
        where = f" window {entry.window}" if entry.window else ""
        mark = "  new" if entry.id in new else ""
        print(f"  {entry.id:<24} {entry.kind.value:<15}{where}{mark}")
    print(f"broker: include {out / 'broker' / 'mosquitto.conf'} and reload mosquitto (SIGHUP)")
    return 0
