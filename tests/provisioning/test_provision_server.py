"""The server's part of a bundle: production settings, the hall's secret, the kiosks' shared ID-hash key,
units that run in /var/lib/hallq, and the kiosk's printer in its device file."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path
from typing import Any

import pytest

from kiosk.cli import build_identity
from kiosk.runtime import ID_KEY_ENV, load_id_key
from provisioning import (
    Credential,
    UnitSettings,
    device_registry,
    ensure_credentials,
    render_bundle,
    render_device_unit,
    render_server_unit,
    usernames,
)
from provisioning.server import ServerSetup, id_hash_key, new_secret
from queue_server.cli import build_parser, main
from queue_server.halls import DEMO_HALL_PATH, HallFile, validate_data
from queue_server.halls.errors import HallFileError
from queue_server.protocol.messages import DeviceKind
from queue_server.settings import load_settings

SECRET = "ab" * 32


def env_of(text: str) -> dict[str, str]:
    return dict(ln.split("=", 1) for ln in text.splitlines() if ln and not ln.startswith("#"))


def test_server_env_is_production_with_a_secret_file_and_the_database_in_the_state_directory(
    demo_hall: HallFile, demo_credentials: dict[str, Credential]
) -> None:
    bundle = render_bundle(demo_hall, demo_credentials, server=ServerSetup(secret=SECRET))
    env = env_of(bundle.text("server/server.env"))
    assert env["HALLQ_ENVIRONMENT"] == "production"
    assert env["HALLQ_SECRET_KEY_FILE"] == "/etc/hallq/secret.key"
    assert env["HALLQ_DATABASE_URL"] == "sqlite:////var/lib/hallq/hallq.db"
    assert bundle.text("server/secret.key") == SECRET + "\n"
    # What the server makes of it: production settings that load (the broker is the provisioned one).
    with_file: dict[str, Any] = {k.removeprefix("HALLQ_").lower(): v for k, v in env.items()}
    with_file["secret_key_file"] = "/dev/null"  # the path only is checked here
    assert load_settings(server=True, **with_file).environment.value == "production"


def test_every_kiosk_gets_the_same_id_key_derived_from_the_halls_secret(
    demo_hall: HallFile, demo_credentials: dict[str, Credential], tmp_path: Path
) -> None:
    bundle = render_bundle(demo_hall, demo_credentials, server=ServerSetup(secret=SECRET))
    kiosks = [d.id for d in demo_hall.devices if d.kind is DeviceKind.KIOSK]
    assert len(kiosks) >= 2
    keys = {env_of(bundle.text(f"devices/{k}/kiosk.env"))[ID_KEY_ENV] for k in kiosks}
    assert keys == {id_hash_key(SECRET)}
    others = [p for p in bundle.paths if p.endswith("kiosk.env") and p.split("/")[1] not in kiosks]
    assert others == []  # screens and agents hash no IDs: they get no key
    # The key is the one the server derives for "id-hash" from the same secret file.
    secret_file = tmp_path / "secret.key"
    secret_file.write_text(SECRET + "\n")
    settings = load_settings(environment="test", secret_key_file=secret_file)
    assert keys == {settings.derive_key("id-hash").hex()}
    assert id_hash_key(new_secret()) != id_hash_key(SECRET)


def test_the_kiosk_runtime_uses_the_provisioned_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ID_KEY_ENV, id_hash_key(SECRET))
    assert load_id_key(tmp_path) == id_hash_key(SECRET).encode()
    assert not (tmp_path / "id_hash.key").exists()  # no key of its own


def test_units_run_in_the_state_directory_and_the_kiosk_reads_its_key_file(demo_hall: HallFile) -> None:
    settings = UnitSettings()
    server = render_server_unit(demo_hall.hall.name, settings)
    for line in ("WorkingDirectory=/var/lib/hallq", "StateDirectory=hallq", "ProtectSystem=strict"):
        assert line in server.splitlines()
    for entry in device_registry(demo_hall):
        unit = render_device_unit(entry, settings).splitlines()
        assert "WorkingDirectory=/var/lib/hallq" in unit
        has_key = "EnvironmentFile=/etc/hallq/kiosk.env" in unit
        assert has_key == (entry.kind is DeviceKind.KIOSK)
        if entry.kind is DeviceKind.KIOSK:
            assert f"--data-dir /var/lib/hallq/kiosk-{entry.id}" in next(
                ln for ln in unit if ln.startswith("ExecStart=")
            )


def _hall_with_kiosk_printer(printer: str, kind: str = "kiosk") -> HallFile | list[HallFileError]:
    raw = tomllib.loads(DEMO_HALL_PATH.read_text(encoding="utf-8"))
    device = {"id": "gy-kiosk-9", "kind": kind, "printer": printer}
    if kind == "window_agent":
        device["window"] = "1"
    raw["devices"] = [device]
    return validate_data(raw)


def test_the_kiosks_printer_goes_from_the_hall_file_into_its_device_file(
    tmp_path: Path,
) -> None:
    hall = _hall_with_kiosk_printer("tcp://10.0.0.9:9100")
    assert isinstance(hall, HallFile)
    bundle = render_bundle(hall, ensure_credentials(usernames(hall), {}))
    path = tmp_path / "device.toml"
    path.write_text(bundle.text("devices/gy-kiosk-9/device.toml"), encoding="utf-8")
    args = build_parser(["kiosk", "--config", str(path)]).parse_args(["kiosk", "--config", str(path)])
    assert build_identity(args).printer == "tcp://10.0.0.9:9100"
    # --printer still overrides the file.
    argv = ["kiosk", "--config", str(path), "--printer", "file:///dev/usb/lp0"]
    assert build_identity(build_parser(argv).parse_args(argv)).printer == "file:///dev/usb/lp0"


@pytest.mark.parametrize(
    ("printer", "kind"),
    [("file:///etc/passwd", "kiosk"), ("http://10.0.0.9/", "kiosk"), ("tcp://10.0.0.9:9100", "window_agent")],
)
def test_a_printer_connection_is_a_printer_and_a_kiosks(printer: str, kind: str) -> None:
    problems = _hall_with_kiosk_printer(printer, kind)
    assert isinstance(problems, list)
    assert any("printer" in str(p) for p in problems)


def test_provision_writes_the_secret_0600_keeps_it_and_rotates_it_on_request(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    base = ["provision", "--hall", str(DEMO_HALL_PATH), "--out", str(out)]
    assert main(base) == 0
    secret = out / "server" / "secret.key"
    kiosk_env = out / "devices" / "demo-kiosk-1" / "kiosk.env"
    for path in (secret, kiosk_env):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = secret.read_text()
    assert len(first.strip()) == 64
    assert env_of(kiosk_env.read_text())[ID_KEY_ENV] == id_hash_key(first)
    assert main(base) == 0
    assert secret.read_text() == first  # a second run keeps the hall's secret (and every ID hash)
    assert main([*base, "--rotate-secret"]) == 0
    assert secret.read_text() != first
    assert env_of(kiosk_env.read_text())[ID_KEY_ENV] == id_hash_key(secret.read_text())


def test_provision_options_reach_server_env(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    argv = ["provision", "--hall", str(DEMO_HALL_PATH), "--out", str(out), "--broker-host", "10.0.0.2"]
    argv += ["--db", "postgresql+psycopg://hallq@db/hallq", "--http-port", "8080"]
    assert main(argv) == 0
    env = env_of((out / "server" / "server.env").read_text())
    assert env["HALLQ_DATABASE_URL"] == "postgresql+psycopg://hallq@db/hallq"
    assert (env["HALLQ_HTTP_PORT"], env["HALLQ_PUBLIC_BASE_URL"]) == ("8080", "http://10.0.0.2:8080")


def test_the_printer_allow_list_is_set_at_provisioning_and_read_by_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "bundle"
    argv = ["provision", "--hall", str(DEMO_HALL_PATH), "--out", str(out)]
    argv += ["--printer-address", "10.0.0.7:9100", "--printer-address", "10.0.0.8"]
    assert main(argv) == 0
    env = env_of((out / "server" / "server.env").read_text())
    for name, value in env.items():  # the server reads exactly what the unit's EnvironmentFile gives
        monkeypatch.setenv(name, value)
    assert load_settings().printer_addresses == ["10.0.0.7:9100", "10.0.0.8"]
    assert main(["provision", "--hall", str(DEMO_HALL_PATH), "--out", str(tmp_path / "none")]) == 0
    assert (
        env_of((tmp_path / "none" / "server" / "server.env").read_text())["HALLQ_PRINTER_ADDRESSES"] == "[]"
    )
