"""Rendering a hall's provisioning bundle: pure, complete, and each file in the format its reader wants."""

from __future__ import annotations

import base64
import hashlib
import tomllib
from pathlib import PurePosixPath

import pytest

from provisioning import (
    SERVER_USER,
    BrokerSettings,
    Credential,
    TlsSettings,
    UnitSettings,
    ensure_credentials,
    mosquitto_hash,
    new_credential,
    render_bundle,
    render_password_file,
)
from provisioning.credentials import PBKDF2_ITERATIONS, parse_credentials_toml, render_credentials_toml
from provisioning.devices import DeviceConfigFile
from queue_server.halls import HallFile
from queue_server.protocol.codec import MAX_PAYLOAD_BYTES
from queue_server.protocol.messages import DeviceKind


def test_mosquitto_hash_is_pbkdf2_sha512_in_the_7_format() -> None:
    salt = bytes(range(12))
    line = mosquitto_hash("s3cret", salt)
    scheme, iterations, salt_b64, digest_b64 = line.split("$")[1:]
    assert (scheme, int(iterations)) == ("7", PBKDF2_ITERATIONS)
    assert PBKDF2_ITERATIONS >= 10_000
    assert base64.b64decode(salt_b64) == salt
    assert base64.b64decode(digest_b64) == hashlib.pbkdf2_hmac(
        "sha512", b"s3cret", salt, PBKDF2_ITERATIONS, 64
    )


def test_password_file_has_one_sorted_line_per_account() -> None:
    creds = [new_credential("zz-kiosk"), new_credential("aa-display"), new_credential(SERVER_USER)]
    lines = render_password_file(creds).splitlines()
    assert [ln.split(":", 1)[0] for ln in lines] == ["aa-display", "hallq-server", "zz-kiosk"]
    assert all(ln.split(":", 1)[1].startswith(f"$7${PBKDF2_ITERATIONS}$") for ln in lines)


def test_credentials_round_trip_and_are_kept_on_the_next_run() -> None:
    first = ensure_credentials(["hallq-server", "dev-a", "dev-b"], {})
    text = render_credentials_toml("demo", first.values())
    back = parse_credentials_toml(text)
    assert back == first
    second = ensure_credentials(["hallq-server", "dev-a", "dev-c"], back)
    assert second["dev-a"] == first["dev-a"]
    assert second["hallq-server"] == first["hallq-server"]
    assert "dev-b" not in second, "a device that left the hall loses its account"
    assert second["dev-c"].password not in {c.password for c in first.values()}


def test_a_credential_never_shows_its_password_in_repr() -> None:
    cred = new_credential("dev-a")
    assert cred.password not in repr(cred)


def test_render_is_pure_and_complete(demo_hall: HallFile, demo_credentials: dict[str, Credential]) -> None:
    settings = BrokerSettings(host="10.0.0.2", conf_dir="/etc/mosquitto/hallq")
    a = render_bundle(demo_hall, demo_credentials, broker=settings, units=UnitSettings())
    b = render_bundle(demo_hall, demo_credentials, broker=settings, units=UnitSettings())
    assert a == b
    paths = set(a.paths)
    assert {
        "credentials.toml",
        "registry.toml",
        "broker/mosquitto.conf",
        "broker/passwd",
        "broker/acl",
        "server/server.env",
        "systemd/hallq-server.service",
    } <= paths
    for device in demo_hall.devices:
        assert f"devices/{device.id}/device.toml" in paths
        assert f"systemd/hallq-{device.id}.service" in paths
    passwd_users = [ln.split(":")[0] for ln in a.text("broker/passwd").splitlines()]
    assert sorted(passwd_users) == sorted([SERVER_USER, *(d.id for d in demo_hall.devices)])
    broker_files = {str(f.path) for f in a.files if f.for_broker}
    assert broker_files == {"broker/mosquitto.conf", "broker/passwd", "broker/acl"}


def test_render_refuses_missing_credentials(
    demo_hall: HallFile, demo_credentials: dict[str, Credential]
) -> None:
    del demo_credentials["demo-kiosk-2"]
    with pytest.raises(ValueError, match="no credentials for: demo-kiosk-2"):
        render_bundle(demo_hall, demo_credentials)


def test_device_config_carries_what_the_device_needs(
    demo_hall: HallFile, demo_credentials: dict[str, Credential]
) -> None:
    bundle = render_bundle(demo_hall, demo_credentials, broker=BrokerSettings(host="10.0.0.2", port=1884))
    agent = DeviceConfigFile.model_validate(
        tomllib.loads(bundle.text("devices/demo-win-5-agent/device.toml"))
    )
    assert agent.device.hall == "demo"
    assert agent.device.hall_name == "示范市政务服务中心"
    assert agent.device.kind is DeviceKind.WINDOW_AGENT
    assert agent.device.window == "5"
    assert (agent.broker.host, agent.broker.port) == ("10.0.0.2", 1884)
    assert agent.broker.username == "demo-win-5-agent"
    assert agent.broker.password == demo_credentials["demo-win-5-agent"].password
    assert agent.printer is not None and agent.printer.width_mm == 58
    display = DeviceConfigFile.model_validate(
        tomllib.loads(bundle.text("devices/demo-hall-display/device.toml"))
    )
    assert display.device.window is None and display.printer is None
    env = bundle.text("server/server.env")
    assert (
        f"HALLQ_BROKER_URL=mqtt://hallq-server:{demo_credentials[SERVER_USER].password}@127.0.0.1:1884" in env
    )


def test_acl_grants_each_device_only_its_own_topics(
    demo_hall: HallFile, demo_credentials: dict[str, Credential]
) -> None:
    acl = render_bundle(demo_hall, demo_credentials).text("broker/acl")
    blocks: dict[str, list[str]] = {}
    for block in acl.split("\n\n"):
        lines = [ln for ln in block.splitlines() if ln and not ln.startswith("#")]
        if lines:
            blocks[lines[0]] = lines[1:]
    assert blocks["user hallq-server"] == ["topic readwrite hallq/v1/#"]
    assert blocks["user demo-kiosk-1"] == [
        "topic write hallq/v1/demo/dev/demo-kiosk-1/status",
        "topic write hallq/v1/demo/dev/demo-kiosk-1/req",
        "topic write hallq/v1/demo/dev/demo-kiosk-1/evt/+",
        "topic read hallq/v1/demo/dev/demo-kiosk-1/resp",
        "topic read hallq/v1/demo/dev/demo-kiosk-1/config",
        "topic read hallq/v1/demo/calls",
        "topic read hallq/v1/demo/state",
        "topic read hallq/v1/demo/window/+/state",
        "topic read hallq/v1/server/+/status",
    ]
    assert len(blocks) == 1 + len(demo_hall.devices)
    assert "pattern" not in acl.replace("# ", "")


def test_mosquitto_conf_without_and_with_tls(
    demo_hall: HallFile, demo_credentials: dict[str, Credential]
) -> None:
    plain = render_bundle(demo_hall, demo_credentials, broker=BrokerSettings(port=1883)).text(
        "broker/mosquitto.conf"
    )
    lines = [ln for ln in plain.splitlines() if ln and not ln.startswith("#")]
    assert lines == [
        "per_listener_settings false",
        "allow_anonymous false",
        "set_tcp_nodelay true",
        f"message_size_limit {MAX_PAYLOAD_BYTES}",
        "password_file /etc/mosquitto/hallq/passwd",
        "acl_file /etc/mosquitto/hallq/acl",
        "listener 1883 0.0.0.0",
    ]
    tls = TlsSettings(
        cafile="/etc/hallq/ca.crt", certfile="/etc/hallq/broker.crt", keyfile="/etc/hallq/broker.key"
    )
    bundle = render_bundle(demo_hall, demo_credentials, broker=BrokerSettings(tls=tls))
    conf = bundle.text("broker/mosquitto.conf")
    assert "listener 1883 127.0.0.1" in conf  # plain MQTT only for the local server
    assert "listener 8883 0.0.0.0" in conf
    assert "require_certificate true\nuse_identity_as_username true" in conf
    kiosk = DeviceConfigFile.model_validate(tomllib.loads(bundle.text("devices/demo-kiosk-1/device.toml")))
    assert kiosk.broker.tls and kiosk.broker.port == 8883
    assert kiosk.broker.password is None, "the client certificate authenticates, not a password"
    assert (kiosk.broker.cafile, kiosk.broker.certfile) == ("ca.crt", "demo-kiosk-1.crt")  # beside the file


def test_units_run_the_right_command(demo_hall: HallFile, demo_credentials: dict[str, Credential]) -> None:
    bundle = render_bundle(demo_hall, demo_credentials, units=UnitSettings(hallq_bin="/usr/bin/hallq"))
    units = {PurePosixPath(p).name: bundle.text(p) for p in bundle.paths if p.startswith("systemd/")}
    assert "ExecStart=/usr/bin/hallq server\n" in units["hallq-server.service"]
    assert (
        "ExecStart=/usr/bin/hallq kiosk --config /etc/hallq/device.toml"
        in units["hallq-demo-kiosk-1.service"]
    )
    assert "ExecStart=/usr/bin/hallq display --config" in units["hallq-demo-hall-display.service"]
    assert "ExecStart=/usr/bin/hallq agent --config" in units["hallq-demo-win-5-agent.service"]
    assert "WantedBy=graphical.target" in units["hallq-demo-win-1-display.service"]
    assert "WantedBy=multi-user.target" in units["hallq-demo-win-5-agent.service"]
