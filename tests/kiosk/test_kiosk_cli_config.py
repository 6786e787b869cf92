"""``hallq kiosk --config``: the device.toml provisioning renders gives the kiosk its identity."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from kiosk.cli import build_identity
from provisioning import BrokerSettings, Credential, TlsSettings, new_credential, render_device_config
from provisioning.certs import ensure_certificates
from provisioning.devices import DeviceEntry
from queue_server.cli import build_parser, main
from queue_server.protocol.client import BrokerAddress, TlsFiles
from queue_server.protocol.messages import DeviceKind

KIOSK = DeviceEntry("gy01", "gy01-kiosk-2", DeviceKind.KIOSK, "西侧取号机", None, 58, ("D", "E"))
HALL_SCREEN = DeviceEntry("gy01", "gy01-hall", DeviceKind.HALL_DISPLAY, "综合屏", None, None, ())
TLS = TlsSettings(cafile="/etc/hallq/ca.crt", certfile="/etc/hallq/b.crt", keyfile="/etc/hallq/b.key")


def _write(path: Path, entry: DeviceEntry, cred: Credential | None, tls: TlsSettings | None = None) -> Path:
    broker = BrokerSettings(host="10.0.0.2", port=1884, tls=tls)
    path.write_text(render_device_config(entry, "贵阳市政务服务中心", cred, broker), encoding="utf-8")
    return path


def _certificates_beside(folder: Path) -> None:
    """The CA and the kiosk's certificate and key where the device file names them (beside it)."""
    certs = ensure_certificates("gy01", [KIOSK.id], ["10.0.0.2"])
    (folder / "ca.crt").write_text(certs.ca.cert)
    (folder / f"{KIOSK.id}.crt").write_text(certs.clients[KIOSK.id].cert)
    (folder / f"{KIOSK.id}.key").write_text(certs.clients[KIOSK.id].key)


def _args(*argv: str) -> argparse.Namespace:
    return build_parser(["kiosk", *argv]).parse_args(["kiosk", *argv])


def test_the_provisioned_file_gives_hall_id_broker_and_printer_width(tmp_path: Path) -> None:
    cred = new_credential(KIOSK.id)
    path = _write(tmp_path / "device.toml", KIOSK, cred)
    ident = build_identity(_args("--config", str(path)))
    assert (ident.hall, ident.device_id, ident.printer_width) == ("gy01", "gy01-kiosk-2", 58)
    assert ident.broker == BrokerAddress("10.0.0.2", 1884, "gy01-kiosk-2", cred.password)


def test_options_override_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "device.toml", KIOSK, new_credential(KIOSK.id))
    ident = build_identity(
        _args(
            "--config",
            str(path),
            "--hall",
            "other",
            "--device-id",
            "k9",
            "--broker",
            "mqtt://u:p@127.0.0.1:1999",
            "--printer-width",
            "80",
        )
    )
    assert (ident.hall, ident.device_id, ident.printer_width) == ("other", "k9", 80)
    assert ident.broker == BrokerAddress("127.0.0.1", 1999, "u", "p")


def test_a_broker_url_without_an_account_keeps_the_files_account_and_certificates(tmp_path: Path) -> None:
    cred = new_credential(KIOSK.id)
    _certificates_beside(tmp_path)
    path = _write(tmp_path / "device.toml", KIOSK, cred, tls=TLS)
    filed = build_identity(_args("--config", str(path))).broker
    broker = build_identity(
        _args("--config", str(path), "--broker", "mqtts://10.0.0.3:8884,mqtts://10.0.0.4")
    ).broker
    assert broker == BrokerAddress(
        "10.0.0.3", 8884, KIOSK.id, cred.password, filed.tls, alternates=(("10.0.0.4", 8883),)
    )
    assert broker.tls is not None


def test_without_a_file_the_defaults_stay() -> None:
    ident = build_identity(_args())
    assert (ident.hall, ident.device_id, ident.printer_width) == ("demo", "kiosk-1", 80)
    assert ident.broker == BrokerAddress("127.0.0.1", 1883)


def _fails(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["kiosk", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err  # one line
    assert err.startswith("hallq kiosk: bad configuration: ")
    return err


def test_a_display_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "device.toml", HALL_SCREEN, new_credential(HALL_SCREEN.id))
    err = _fails(capsys, "--config", str(path))
    assert "hall_display 'gy01-hall'" in err
    assert "kiosk" in err


def test_missing_and_broken_files_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "cannot read" in _fails(capsys, "--config", str(tmp_path / "absent.toml"))
    broken = tmp_path / "broken.toml"
    broken.write_text("[device\nhall = ", encoding="utf-8")
    assert "not valid TOML" in _fails(capsys, "--config", str(broken))
    no_id = tmp_path / "no-id.toml"
    no_id.write_text('[device]\nhall = "gy01"\nkind = "kiosk"\n[broker]\nhost = "h"\n', encoding="utf-8")
    assert "device.id: Field required" in _fails(capsys, "--config", str(no_id))


def test_tls_files_it_cannot_read_stop_the_kiosk_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "device.toml", KIOSK, None, tls=TLS)  # no ca.crt beside it
    assert "broker TLS files not usable" in _fails(capsys, "--config", str(path))


def test_a_tls_broker_is_reached_with_the_files_beside_the_device_file(tmp_path: Path) -> None:
    _certificates_beside(tmp_path)
    path = _write(tmp_path / "device.toml", KIOSK, None, tls=TLS)
    broker = build_identity(_args("--config", str(path))).broker
    assert broker.tls == TlsFiles(
        str(tmp_path / "ca.crt"), str(tmp_path / f"{KIOSK.id}.crt"), str(tmp_path / f"{KIOSK.id}.key")
    )
