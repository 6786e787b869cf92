"""``hallq provision --tls``: the hall's CA and certificates made once, kept by later runs, renewed by
``--rotate``; every key 0600; the device's file names its certificate files beside it."""

from __future__ import annotations

import ssl
import subprocess
import tomllib
from pathlib import Path

import pytest

from provisioning.certs import BROKER_NAME, ensure_certificates
from queue_server.cli import main
from queue_server.halls import DEMO_HALL_PATH

KIOSK = "demo-kiosk-1"


def provision(out: Path, *extra: str) -> None:
    argv = [
        "provision",
        "--hall",
        str(DEMO_HALL_PATH),
        "--out",
        str(out),
        "--tls",
        "--broker-host",
        "10.0.0.2",
    ]
    assert main([*argv, *extra]) == 0


def test_the_certificates_are_kept_by_a_second_run_and_renewed_by_rotate(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    provision(out)
    ca, kiosk = (out / "tls/ca.crt").read_text(), (out / f"devices/{KIOSK}/{KIOSK}.crt").read_text()
    provision(out)
    assert (out / "tls/ca.crt").read_text() == ca
    assert (out / f"devices/{KIOSK}/{KIOSK}.crt").read_text() == kiosk
    assert (out / "broker/ca.crt").read_text() == ca
    provision(out, "--rotate")
    assert (out / "tls/ca.crt").read_text() != ca
    assert (out / f"devices/{KIOSK}/{KIOSK}.crt").read_text() != kiosk


def test_keys_are_private_and_the_device_file_names_its_files(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    provision(out)
    for key in [*out.glob("tls/*.key"), *out.glob("devices/*/*.key"), out / f"broker/{BROKER_NAME}.key"]:
        assert key.stat().st_mode & 0o777 == 0o600, key
    device = tomllib.loads((out / f"devices/{KIOSK}/device.toml").read_text(encoding="utf-8"))["broker"]
    assert device["tls"] is True and "password" not in device
    assert (device["cafile"], device["certfile"], device["keyfile"]) == (
        "ca.crt",
        f"{KIOSK}.crt",
        f"{KIOSK}.key",
    )
    conf = (out / "broker/mosquitto.conf").read_text()
    assert f"certfile {out / 'broker' / BROKER_NAME}.crt" in conf
    assert "require_certificate true" in conf


def test_each_certificate_is_signed_by_the_hall_ca_for_its_purpose(tmp_path: Path) -> None:
    certs = ensure_certificates("demo", [KIOSK], ["10.0.0.2", "broker.hall.lan"])
    ca = tmp_path / "ca.crt"
    ca.write_text(certs.ca.cert)
    for name, pair, purpose in (
        (KIOSK, certs.clients[KIOSK], "sslclient"),
        ("broker", certs.broker, "sslserver"),
    ):
        cert = tmp_path / f"{name}.crt"
        cert.write_text(pair.cert)
        verified = subprocess.run(
            ["openssl", "verify", "-CAfile", str(ca), "-purpose", purpose, str(cert)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert verified.returncode == 0, verified.stderr
    broker = str(tmp_path / "broker.crt")
    text = subprocess.run(
        ["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", broker],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "IP Address:10.0.0.2" in text and "DNS:broker.hall.lan" in text and "IP Address:127.0.0.1" in text
    client = ssl.create_default_context(cafile=str(ca))
    client.load_cert_chain(tmp_path / f"{KIOSK}.crt", _key(tmp_path, certs.clients[KIOSK].key))


def test_tls_and_given_certificate_files_do_not_mix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "provision",
        "--hall",
        str(DEMO_HALL_PATH),
        "--out",
        str(tmp_path / "b"),
        "--tls",
        "--tls-ca",
        "x",
    ]
    assert main(argv) == 2
    assert "--tls makes the certificates" in capsys.readouterr().err


def _key(folder: Path, pem: str) -> Path:
    path = folder / "client.key"
    path.write_text(pem)
    return path
