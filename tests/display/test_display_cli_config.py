"""``hallq display --config``: the device.toml provisioning renders gives the screen its identity."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from display.cli import build_identity
from harness.waiting import scaled
from provisioning import BrokerSettings, TlsSettings, new_credential, render_device_config
from provisioning.certs import ensure_certificates
from provisioning.devices import DeviceEntry
from queue_server.cli import build_parser, main
from queue_server.protocol import topics
from queue_server.protocol.client import BrokerAddress, TlsFiles
from queue_server.protocol.messages import DeviceKind
from tests.conftest import MosquittoBroker

HALL_SCREEN = DeviceEntry("gy01", "gy01-hall", DeviceKind.HALL_DISPLAY, "综合屏", None, None, ())
WIN_SCREEN = DeviceEntry("gy01", "gy01-win-7", DeviceKind.WINDOW_DISPLAY, "", "7", None, ())
KIOSK = DeviceEntry("gy01", "gy01-kiosk-1", DeviceKind.KIOSK, "", None, 80, ())


def _write(path: Path, entry: DeviceEntry, broker: BrokerSettings | None = None) -> Path:
    broker = broker or BrokerSettings(host="10.0.0.2", port=1884)
    cred = new_credential(entry.id)
    path.write_text(render_device_config(entry, "贵阳市政务服务中心", cred, broker), encoding="utf-8")
    return path


def _args(*argv: str) -> argparse.Namespace:
    return build_parser(["display", *argv]).parse_args(["display", *argv])


def test_a_hall_display_file_gives_hall_id_and_broker(tmp_path: Path) -> None:
    path = _write(tmp_path / "device.toml", HALL_SCREEN)
    password = path.read_text(encoding="utf-8").split('password = "')[1].split('"')[0]
    ident = build_identity(_args("--config", str(path)))
    assert (ident.hall, ident.device_id, ident.window) == ("gy01", "gy01-hall", None)
    assert ident.broker == BrokerAddress("10.0.0.2", 1884, "gy01-hall", password)


def test_a_window_display_file_gives_its_window_and_options_override(tmp_path: Path) -> None:
    path = _write(tmp_path / "device.toml", WIN_SCREEN)
    assert build_identity(_args("--config", str(path))).window == "7"
    ident = build_identity(
        _args("--config", str(path), "--window", "9", "--hall", "h2", "--device-id", "d2", "--broker", "h:1")
    )
    assert (ident.hall, ident.device_id, ident.window) == ("h2", "d2", "9")
    filed = build_identity(_args("--config", str(path))).broker
    # Another node, the same account (the URL names none): the file's credential is not retyped.
    assert ident.broker == BrokerAddress("h", 1, filed.username, filed.password)
    assert filed.username == WIN_SCREEN.id


def test_without_a_file_the_environment_defaults_stay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALLQ_HALL", "envhall")
    monkeypatch.setenv("HALLQ_BROKER", "mqtt://10.1.1.1:1885")
    ident = build_identity(_args())
    assert (ident.hall, ident.device_id, ident.window) == ("envhall", None, None)
    assert ident.broker == BrokerAddress("10.1.1.1", 1885)


def _fails(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["display", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err  # one line
    assert err.startswith("hallq display: bad configuration: ")
    return err


def test_a_tls_file_gives_the_broker_its_certificate_files_beside_it(tmp_path: Path) -> None:
    certs = ensure_certificates("gy01", [HALL_SCREEN.id], ["10.0.0.2"])
    for name, text in (
        ("ca.crt", certs.ca.cert),
        (f"{HALL_SCREEN.id}.crt", certs.clients[HALL_SCREEN.id].cert),
        (f"{HALL_SCREEN.id}.key", certs.clients[HALL_SCREEN.id].key),
    ):
        (tmp_path / name).write_text(text)
    tls = TlsSettings(cafile="/etc/m/ca.crt", certfile="/etc/m/b.crt", keyfile="/etc/m/b.key")  # the broker's
    path = _write(tmp_path / "device.toml", HALL_SCREEN, BrokerSettings(host="10.0.0.2", tls=tls))
    broker = build_identity(_args("--config", str(path))).broker
    assert (broker.host, broker.port) == ("10.0.0.2", 8883)
    files = TlsFiles(
        str(tmp_path / "ca.crt"),
        str(tmp_path / f"{HALL_SCREEN.id}.crt"),
        str(tmp_path / f"{HALL_SCREEN.id}.key"),
    )
    assert broker.tls == files
    # --broker pointing the screen at another node keeps the file's certificate files (a URL has none).
    moved = build_identity(_args("--config", str(path), "--broker", "mqtts://10.0.0.3:8884")).broker
    assert (moved.host, moved.port, moved.tls) == ("10.0.0.3", 8884, files)
    plain = build_identity(_args("--config", str(path), "--broker", "mqtt://10.0.0.3")).broker
    assert plain.tls is None  # plain MQTT asked for: no TLS


def test_a_kiosk_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _fails(capsys, "--config", str(_write(tmp_path / "device.toml", KIOSK)))
    assert "kiosk 'gy01-kiosk-1'" in err
    assert "hall_display or window_display" in err


def test_unreadable_and_windowless_files_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "cannot read" in _fails(capsys, "--config", str(tmp_path / "absent.toml"))
    no_window = _write(
        tmp_path / "device.toml", DeviceEntry("gy01", "w", DeviceKind.WINDOW_DISPLAY, "", None, None, ())
    )
    assert "needs [device] window" in _fails(capsys, "--config", str(no_window))


def test_a_display_started_with_the_file_comes_online_on_its_broker(
    broker: MosquittoBroker, tmp_path: Path
) -> None:
    sub = shutil.which("mosquitto_sub")
    if sub is None:
        pytest.skip("mosquitto_sub is not installed")
    path = _write(tmp_path / "device.toml", HALL_SCREEN, BrokerSettings(host="127.0.0.1", port=broker.port))
    cmd = [sys.executable, "-m", "queue_server.cli", "display", "--config", str(path), "--headless"]
    cmd += ["--no-voice", "--state-dir", str(tmp_path)]
    proc = subprocess.Popen(
        cmd, stderr=subprocess.PIPE, env={**os.environ, "HALLQ_BROKER": "mqtt://nowhere:1"}
    )
    try:
        topic = topics.dev_status("gy01", "gy01-hall")
        # The retained status appears only if the display used the file's broker, hall and id.
        out = subprocess.run(
            [sub, "-p", str(broker.port), "-t", topic, "-C", "1", "-W", "15"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert json.loads(out)["state"] == "online"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(scaled(10))
        assert proc.stderr is not None
        proc.stderr.close()
    assert proc.returncode == 0
