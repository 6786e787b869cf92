"""``hallq provision --hall FILE --out DIR``: credentials, broker config and device bundles for a hall.

Validates the hall file first (every problem listed, nothing written), keeps the passwords of devices
provisioned before (read back from DIR/credentials.toml), then writes the whole bundle. Passwords are
never printed: they are in the 0600 files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path, PurePosixPath

from queue_server.halls import HallFile, validate_file

from .broker import BrokerSettings, TlsSettings
from .bundle import TLS_DIR, read_credentials, render_bundle, usernames, write_bundle
from .certs import BROKER_NAME, CertificateError, Certificates, ensure_certificates, read_certificates
from .credentials import ensure_credentials
from .server import add_server_arguments, server_setup
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
    parser.add_argument(
        "--tls",
        action="store_true",
        help="make the hall's CA and the broker's, server's and every device's certificate (openssl), "
        "and a TLS listener requiring them; kept and extended by later runs",
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
    add_server_arguments(parser)


def run(args: argparse.Namespace) -> int:
    hall = validate_file(args.hall)
    if isinstance(hall, list):
        print(f"{args.hall}: {len(hall)} problem(s); nothing written", file=sys.stderr)
        for error in hall:
            print(f"  {error}", file=sys.stderr)
        return 2
    out = Path(args.out).resolve()
    conf_dir = args.broker_dir or str(out / "broker")
    try:
        tls, certificates = _tls(args, hall, out, conf_dir)
    except (ValueError, CertificateError) as exc:
        print(f"hallq provision: {exc}", file=sys.stderr)
        return 2
    broker = BrokerSettings(
        host=args.broker_host, port=args.broker_port, bind=args.bind, conf_dir=conf_dir, tls=tls
    )
    existing = {} if args.rotate else read_credentials(out)
    credentials = ensure_credentials(usernames(hall), existing)
    units = UnitSettings(hallq_bin=args.hallq_bin) if args.units else None
    server = server_setup(args, out)
    bundle = render_bundle(
        hall, credentials, broker=broker, units=units, certificates=certificates, server=server
    )
    write_bundle(bundle, out)
    new = sorted(set(credentials) - set(existing))
    print(f"hall {hall.hall.code} ({hall.hall.name}): {len(bundle.devices)} devices, bundle in {out}")
    for entry in bundle.devices:
        where = f" window {entry.window}" if entry.window else ""
        mark = "  new" if entry.id in new else ""
        print(f"  {entry.id:<24} {entry.kind.value:<15}{where}{mark}")
    print(f"broker: include {out / 'broker' / 'mosquitto.conf'} and reload mosquitto (SIGHUP)")
    return 0


def _tls(
    args: argparse.Namespace, hall: HallFile, out: Path, conf_dir: str
) -> tuple[TlsSettings | None, Certificates | None]:
    """The TLS listener's settings, and the certificates when ``--tls`` makes them (kept in out/tls)."""
    given = args.tls_ca or args.tls_cert or args.tls_key
    if args.tls and given:
        raise ValueError("--tls makes the certificates: leave out --tls-ca, --tls-cert and --tls-key")
    if given:
        if not (args.tls_ca and args.tls_cert and args.tls_key):
            raise ValueError("TLS needs --tls-ca, --tls-cert and --tls-key together")
        return TlsSettings(
            args.tls_ca, args.tls_cert, args.tls_key, args.tls_port, not args.no_client_certs
        ), None
    if not args.tls:
        return None, None
    kept = None if args.rotate else read_certificates(out / TLS_DIR)
    certificates = ensure_certificates(hall.hall.code, usernames(hall), [args.broker_host], kept)
    where = PurePosixPath(conf_dir)
    tls = TlsSettings(
        str(where / "ca.crt"),
        str(where / f"{BROKER_NAME}.crt"),
        str(where / f"{BROKER_NAME}.key"),
        args.tls_port,
        not args.no_client_certs,
    )
    return tls, certificates
