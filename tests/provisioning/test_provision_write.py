"""Writing the bundle (0600 files, broker files readable by the broker's user) and ``hallq provision``."""

from __future__ import annotations

import os
import pwd
import stat
import tomllib
from pathlib import Path

import pytest

from provisioning import Credential, read_credentials, render_bundle, write_bundle
from queue_server.cli import main
from queue_server.halls import DEMO_HALL_PATH, HallFile


def modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode) for p in root.rglob("*")}


def test_every_file_is_0600_and_directories_0711(
    tmp_path: Path, demo_hall: HallFile, demo_credentials: dict[str, Credential]
) -> None:
    out = tmp_path / "bundle"
    bundle = render_bundle(demo_hall, demo_credentials)
    written = write_bundle(bundle, out)
    assert sorted(str(p.relative_to(out)) for p in written) == sorted(bundle.paths)
    for path, mode in modes(out).items():
        expected = 0o711 if (out / path).is_dir() else 0o600
        assert mode == expected, path
    assert (out / "broker" / "acl").read_text(encoding="utf-8") == bundle.text("broker/acl")


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can hand files to the broker's user")
def test_broker_files_belong_to_the_broker_user_when_written_as_root(
    tmp_path: Path, demo_hall: HallFile, demo_credentials: dict[str, Credential]
) -> None:
    try:
        broker_uid = pwd.getpwnam("mosquitto").pw_uid
    except KeyError:
        pytest.skip("no mosquitto user on this machine")
    write_bundle(render_bundle(demo_hall, demo_credentials), tmp_path)
    owners = {str(p.relative_to(tmp_path)): p.stat().st_uid for p in tmp_path.rglob("*") if p.is_file()}
    assert {p for p, uid in owners.items() if uid == broker_uid} == {
        "broker/mosquitto.conf",
        "broker/passwd",
        "broker/acl",
    }


def test_writing_again_replaces_files(
    tmp_path: Path, demo_hall: HallFile, demo_credentials: dict[str, Credential]
) -> None:
    write_bundle(render_bundle(demo_hall, demo_credentials), tmp_path)
    (tmp_path / "broker" / "acl").write_text("stale", encoding="utf-8")
    write_bundle(render_bundle(demo_hall, demo_credentials), tmp_path)
    assert (tmp_path / "broker" / "acl").read_text(encoding="utf-8").startswith("# hallq ACL")
    assert not list(tmp_path.rglob(".*.tmp"))


def test_provision_cli_keeps_passwords_and_rotates_on_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["provision", "--hall", str(DEMO_HALL_PATH), "--out", str(out), "--units"]) == 0
    first = read_credentials(out)
    printed = capsys.readouterr().out
    assert "demo-kiosk-1" in printed and "window 5" in printed
    assert not any(c.password in printed for c in first.values()), "passwords stay in the 0600 files"
    kiosk = tomllib.loads((out / "devices" / "demo-kiosk-1" / "device.toml").read_text(encoding="utf-8"))
    assert kiosk["broker"]["password"] == first["demo-kiosk-1"].password
    assert (out / "systemd" / "hallq-server.service").exists()

    assert main(["provision", "--hall", str(DEMO_HALL_PATH), "--out", str(out)]) == 0
    assert read_credentials(out) == first

    assert main(["provision", "--hall", str(DEMO_HALL_PATH), "--out", str(out), "--rotate"]) == 0
    rotated = read_credentials(out)
    assert set(rotated) == set(first)
    assert all(rotated[u].password != first[u].password for u in first)


def test_provision_cli_refuses_an_invalid_hall(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "hall.toml"
    bad.write_text(
        DEMO_HALL_PATH.read_text(encoding="utf-8").replace('window = "5"', 'window = "55"'), "utf-8"
    )
    out = tmp_path / "out"
    assert main(["provision", "--hall", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "unknown window '55'; did you mean '5'?" in err
    assert "nothing written" in err
    assert not out.exists()


def test_provision_cli_needs_all_three_tls_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    args = ["provision", "--hall", str(DEMO_HALL_PATH), "--out", str(out), "--tls-ca", "/etc/hallq/ca.crt"]
    assert main(args) == 2
    assert "--tls-cert" in capsys.readouterr().err
    assert not out.exists()
