"""A hall's provisioning bundle: render (pure) and write (I/O), ESPHome-wizard style.

Layout of the output directory::

    credentials.toml            every broker password (secret; read back by the next run)
    registry.toml               the devices: id, kind, window (no secrets)
    broker/mosquitto.conf       include from /etc/mosquitto/conf.d, or run as is
    broker/passwd               mosquitto password file ($7$ PBKDF2-SHA512 hashes)
    broker/acl                  per-device ACL
    server/server.env           HALLQ_BROKER_URL with the server's broker account; production, the
                                secret file, the database under /var/lib/hallq, the HTTP address
    server/secret.key           the hall's secret (hex): copy to /etc/hallq/secret.key (read back)
    devices/<id>/device.toml    one per device: copy to /etc/hallq/device.toml on that machine
    devices/<kiosk>/kiosk.env   kiosks: the hall's ID-hash key; copy to /etc/hallq/kiosk.env
    (with --tls) tls/           the hall's CA and every certificate and key (secret; read back)
    (with --tls) broker/ca.crt, hallq-broker.crt/.key; devices/<id>/ca.crt, <id>.crt/.key;
                 server/ca.crt, hallq-server.crt/.key: copy beside device.toml / server.env
    systemd/…                   optional units

Every file is written 0600. The broker's files are owned by the broker's user when we run as root,
because Mosquitto started as root drops to that user before it reads them.
"""

from __future__ import annotations

import json
import os
import pwd
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from queue_server.files import write_private
from queue_server.halls.schema import HallFile
from queue_server.protocol.messages import DeviceKind

from .broker import BrokerSettings, render_acl, render_mosquitto_conf
from .certs import BROKER_NAME, Certificates, store_files
from .credentials import (
    SERVER_USER,
    Credential,
    parse_credentials_toml,
    render_credentials_toml,
    render_password_file,
)
from .devices import DeviceEntry, device_registry, render_device_config
from .server import SECRET_BUNDLE_PATH, ServerSetup, render_kiosk_env, render_server_settings
from .units import UnitSettings, render_device_unit, render_server_unit

CREDENTIALS_FILE = "credentials.toml"
BROKER_DIR = "broker"
TLS_DIR = "tls"


@dataclass(frozen=True, slots=True)
class BundleFile:
    path: PurePosixPath
    content: str
    for_broker: bool = False
    """The broker process must read it (chown to the broker user when written as root)."""


@dataclass(frozen=True, slots=True)
class Bundle:
    hall: str
    files: tuple[BundleFile, ...]
    devices: tuple[DeviceEntry, ...] = field(default=())

    def text(self, path: str) -> str:
        """The content of the file at ``path`` (relative, POSIX)."""
        wanted = PurePosixPath(path)
        return next(f.content for f in self.files if f.path == wanted)

    @property
    def paths(self) -> list[str]:
        return [str(f.path) for f in self.files]


def usernames(hall: HallFile) -> list[str]:
    """The broker accounts a hall needs: the server and one per device."""
    return [SERVER_USER, *(d.id for d in hall.devices)]


def render_bundle(
    hall: HallFile,
    credentials: Mapping[str, Credential],
    *,
    broker: BrokerSettings | None = None,
    units: UnitSettings | None = None,
    certificates: Certificates | None = None,
    server: ServerSetup | None = None,
) -> Bundle:
    """Every file of the bundle, in memory. Pure: the same inputs give the same bytes."""
    broker = broker or BrokerSettings()
    server = server or ServerSetup()
    needed = usernames(hall)
    missing = [u for u in needed if u not in credentials]
    if missing:
        raise ValueError(f"no credentials for: {', '.join(missing)}")
    accounts = [credentials[u] for u in needed]
    registry = device_registry(hall)
    code = hall.hall.code
    files = [
        BundleFile(PurePosixPath(CREDENTIALS_FILE), render_credentials_toml(code, accounts)),
        BundleFile(PurePosixPath("registry.toml"), _render_registry(hall, registry)),
        BundleFile(PurePosixPath(BROKER_DIR, "mosquitto.conf"), render_mosquitto_conf(code, broker), True),
        BundleFile(PurePosixPath(BROKER_DIR, "passwd"), render_password_file(accounts), True),
        BundleFile(PurePosixPath(BROKER_DIR, "acl"), render_acl(code, [d.id for d in registry]), True),
        BundleFile(
            PurePosixPath("server", "server.env"),
            _render_server_env(code, credentials[SERVER_USER], broker, server),
        ),
    ]
    if server.secret is not None:
        files.append(BundleFile(SECRET_BUNDLE_PATH, server.secret + "\n"))
        files += [
            BundleFile(PurePosixPath("devices", e.id, "kiosk.env"), render_kiosk_env(code, server.secret))
            for e in registry
            if e.kind is DeviceKind.KIOSK
        ]
    for entry in registry:
        # With TLS client certificates the certificate authenticates the device, not a password.
        cred = None if broker.tls is not None and broker.tls.client_certs else credentials[entry.id]
        files.append(
            BundleFile(
                PurePosixPath("devices", entry.id, "device.toml"),
                render_device_config(entry, hall.hall.name, cred, broker),
            )
        )
    if certificates is not None:
        client_certs = broker.tls is not None and broker.tls.client_certs
        files += _certificate_files(certificates, [e.id for e in registry], client_certs=client_certs)
    if units is not None:
        files.append(
            BundleFile(
                PurePosixPath("systemd", "hallq-server.service"), render_server_unit(hall.hall.name, units)
            )
        )
        files.extend(
            BundleFile(PurePosixPath("systemd", f"hallq-{e.id}.service"), render_device_unit(e, units))
            for e in registry
        )
    return Bundle(code, tuple(files), tuple(registry))


def _certificate_files(certs: Certificates, devices: list[str], *, client_certs: bool) -> list[BundleFile]:
    """The store (tls/), then each machine's copies: the broker's, each device's and the server's."""
    files = [BundleFile(PurePosixPath(TLS_DIR, name), text) for name, text in store_files(certs).items()]
    files += [
        BundleFile(PurePosixPath(BROKER_DIR, "ca.crt"), certs.ca.cert, True),
        BundleFile(PurePosixPath(BROKER_DIR, f"{BROKER_NAME}.crt"), certs.broker.cert, True),
        BundleFile(PurePosixPath(BROKER_DIR, f"{BROKER_NAME}.key"), certs.broker.key, True),
    ]
    for name, folder in [
        *((d, PurePosixPath("devices", d)) for d in devices),
        (SERVER_USER, PurePosixPath("server")),
    ]:
        files.append(BundleFile(folder / "ca.crt", certs.ca.cert))
        pair = certs.clients.get(name)
        if pair is not None and client_certs:
            files += [
                BundleFile(folder / f"{name}.crt", pair.cert),
                BundleFile(folder / f"{name}.key", pair.key),
            ]
    return files


def _render_registry(hall: HallFile, registry: list[DeviceEntry]) -> str:
    lines = [f"# Devices of hall {hall.hall.code!r} ({hall.hall.name}): generated by `hallq provision`.", ""]
    for e in registry:
        lines += ["[[devices]]", f"id = {json.dumps(e.id)}", f"kind = {json.dumps(e.kind.value)}"]
        if e.name:
            lines.append(f"name = {json.dumps(e.name, ensure_ascii=False)}")
        if e.window is not None:
            lines.append(f"window = {json.dumps(e.window)}")
        lines.append("")
    return "\n".join(lines)


def _render_server_env(hall: str, cred: Credential, broker: BrokerSettings, server: ServerSetup) -> str:
    # The server runs beside the broker: it uses the plain listener (loopback when TLS is on).
    return "\n".join(
        [
            f"# hallq queue server of hall {hall!r}: its broker account. SECRET.",
            f"HALLQ_HALL={hall}",
            f"HALLQ_BROKER_URL=mqtt://{cred.username}:{cred.password}@127.0.0.1:{broker.port}",
            *render_server_settings(server, broker.host),
            "",
        ]
    )


# --- I/O ---------------------------------------------------------------------------------------


def read_credentials(out_dir: str | Path) -> dict[str, Credential]:
    """The credentials a previous run wrote into ``out_dir`` (empty when there are none)."""
    path = Path(out_dir) / CREDENTIALS_FILE
    try:
        return parse_credentials_toml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def write_bundle(bundle: Bundle, out_dir: str | Path, *, broker_user: str | None = "mosquitto") -> list[Path]:
    """Write every file 0600 (atomically); the broker's files owned by ``broker_user`` when root.

    Directories are 0711: traversable by the broker user, not listable by anyone else.
    """
    root = Path(out_dir)
    owner = _broker_owner(broker_user)
    written: list[Path] = []
    _mkdir(root)
    for f in bundle.files:
        target = root.joinpath(*f.path.parts)
        for parent in reversed(target.relative_to(root).parents):
            _mkdir(root / parent)
        write_private(target, f.content, owner if f.for_broker else None)
        written.append(target)
    return written


def _broker_owner(user: str | None) -> tuple[int, int] | None:
    if user is None or os.geteuid() != 0:
        return None  # not root: the broker runs as this same user, or the admin chowns
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


def _mkdir(path: Path) -> None:
    path.mkdir(mode=0o711, parents=True, exist_ok=True)
    path.chmod(0o711)
