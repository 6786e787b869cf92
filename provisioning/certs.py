"""TLS certificates of a hall, made with the ``openssl`` command (no Python crypto library needed).

One CA per hall signs a server certificate for the broker (its names: the address devices dial, and
loopback) and one client certificate per device, whose CN is the device id: Mosquitto's
``use_identity_as_username`` makes it the ACL username, so a device's certificate grants exactly its
password's rights. The queue server gets one too (CN ``hallq-server``) for a broker on another machine.

Keys are P-256 EC. The CA and every certificate are kept in the bundle's ``tls/`` (secret, 0600) and
read back by the next run, which adds certificates for new devices only; ``--rotate`` makes all anew
(the devices then need their new files). Validity is long on purpose: a hall on a closed network has
nobody to renew a certificate that expires on a holiday, and a lost device is taken out by
re-provisioning without it and rotating.
"""

from __future__ import annotations

import ipaddress
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from queue_server.protocol.topics import check_id

CA_DAYS = 20 * 365
LEAF_DAYS = 10 * 365
CURVE = "P-256"
BROKER_NAME = "hallq-broker"
"""The broker's certificate in the store (``tls/hallq-broker.crt``); device ids never start ``hallq-``."""


class CertificateError(RuntimeError):
    """openssl is missing or failed; the message says which step and why."""


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A certificate and its private key, both PEM text."""

    cert: str
    key: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Kept:
    """What a previous run left in the store: the CA and the client certificates."""

    ca: KeyPair
    clients: Mapping[str, KeyPair]


@dataclass(frozen=True, slots=True)
class Certificates:
    """A hall's CA, the broker's server certificate and one client certificate per account name."""

    ca: KeyPair
    broker: KeyPair
    clients: Mapping[str, KeyPair]


def openssl_binary() -> str:
    found = shutil.which("openssl")
    if found is None:
        raise CertificateError("the openssl command is not installed (apt-get install openssl)")
    return found


def ensure_certificates(
    hall: str, clients: Iterable[str], broker_names: Iterable[str], kept: Kept | None = None
) -> Certificates:
    """The CA and client certificates ``kept`` from a previous run, the missing ones made; the
    broker's certificate is made anew for ``broker_names`` (clients check it against the CA and the
    name they dial; nobody pins it)."""
    check_id(hall, "hall")
    names = sorted(set(clients))
    with tempfile.TemporaryDirectory(prefix="hallq-tls-") as tmp:
        work = Path(tmp)
        ca = kept.ca if kept is not None else _make_ca(work, hall)
        (work / "ca.crt").write_text(ca.cert)
        (work / "ca.key").write_text(ca.key)
        (work / "ca.key").chmod(0o600)
        old = dict(kept.clients) if kept is not None else {}
        made = {name: old[name] if name in old else _make_leaf(work, name, client=True) for name in names}
        broker = _make_leaf(work, f"hallq broker {hall}", client=False, sans=_sans(broker_names))
    return Certificates(ca, broker, made)


def _sans(names: Iterable[str]) -> list[str]:
    sans = []
    for name in dict.fromkeys([*names, "127.0.0.1", "localhost"]):
        try:
            sans.append(f"IP:{ipaddress.ip_address(name)}")
        except ValueError:
            sans.append(f"DNS:{name}")
    return sans


def _run(*args: str, cwd: Path) -> None:
    done = subprocess.run([openssl_binary(), *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise CertificateError(f"openssl {args[0]} failed: {reason}")


def _make_ca(work: Path, hall: str) -> KeyPair:
    _run(
        "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", f"ec_paramgen_curve:{CURVE}", "-nodes",
        "-keyout", "ca.key", "-out", "ca.crt", "-days", str(CA_DAYS), "-subj", f"/O=hallq/CN=hallq CA {hall}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-addext", "subjectKeyIdentifier=hash",
        cwd=work,
    )  # fmt: skip
    return KeyPair((work / "ca.crt").read_text(), (work / "ca.key").read_text())


def _make_leaf(work: Path, common_name: str, *, client: bool, sans: list[str] | None = None) -> KeyPair:
    stem = secrets.token_hex(6)
    extensions = [
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature",
        f"extendedKeyUsage={'clientAuth' if client else 'serverAuth'}",
        "subjectKeyIdentifier=hash",
        "authorityKeyIdentifier=keyid,issuer",
    ]
    if sans:
        extensions.append("subjectAltName=" + ",".join(sans))
    (work / f"{stem}.ext").write_text("\n".join(extensions) + "\n")
    _run(
        "req", "-new", "-newkey", "ec", "-pkeyopt", f"ec_paramgen_curve:{CURVE}", "-nodes",
        "-keyout", f"{stem}.key", "-out", f"{stem}.csr", "-subj", f"/O=hallq/CN={common_name}",
        cwd=work,
    )  # fmt: skip
    _run(
        "x509", "-req", "-in", f"{stem}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-set_serial", f"0x{secrets.token_hex(16)}", "-days", str(LEAF_DAYS),
        "-extfile", f"{stem}.ext", "-out", f"{stem}.crt",
        cwd=work,
    )  # fmt: skip
    return KeyPair((work / f"{stem}.crt").read_text(), (work / f"{stem}.key").read_text())


# --- the store in the bundle (tls/) ---------------------------------------------------------------


def store_files(certs: Certificates) -> dict[str, str]:
    """The store's files by name (``ca.crt``, ``ca.key``, ``broker.crt`` …, ``<client>.crt/.key``)."""
    files = {"ca.crt": certs.ca.cert, "ca.key": certs.ca.key}
    for name, pair in {BROKER_NAME: certs.broker, **certs.clients}.items():
        files[f"{name}.crt"], files[f"{name}.key"] = pair.cert, pair.key
    return files


def read_certificates(store: Path) -> Kept | None:
    """The CA and client certificates a previous run kept in ``store`` (None when it has no CA)."""
    try:
        ca = KeyPair((store / "ca.crt").read_text(), (store / "ca.key").read_text())
    except FileNotFoundError:
        return None
    clients: dict[str, KeyPair] = {}
    for cert in sorted(store.glob("*.crt")):
        key = cert.with_suffix(".key")
        if cert.stem not in ("ca", BROKER_NAME) and key.exists():
            clients[cert.stem] = KeyPair(cert.read_text(), key.read_text())
    return Kept(ca, clients)
