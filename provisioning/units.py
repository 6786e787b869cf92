"""systemd units: the queue server on the hall's server, one unit per device on its machine."""

from __future__ import annotations

from dataclasses import dataclass

from queue_server.protocol.messages import DeviceKind

from .devices import DEVICE_CONFIG_PATH, DeviceEntry

# The ``hallq`` sub-command each kind of device runs (queue_server/cli.py COMMANDS).
_COMMAND = {
    DeviceKind.KIOSK: "kiosk",
    DeviceKind.HALL_DISPLAY: "display",
    DeviceKind.WINDOW_DISPLAY: "display",
    DeviceKind.WINDOW_AGENT: "agent",
}
_SCREEN_KINDS = (DeviceKind.KIOSK, DeviceKind.HALL_DISPLAY, DeviceKind.WINDOW_DISPLAY)


DEFAULT_HALLQ_BIN = "/opt/hallq/.venv/bin/hallq"


@dataclass(frozen=True, slots=True)
class UnitSettings:
    hallq_bin: str = DEFAULT_HALLQ_BIN
    user: str = "hallq"
    server_env_file: str = "/etc/hallq/server.env"
    state_dir: str = "/var/lib/hallq"


def render_server_unit(hall_name: str, settings: UnitSettings) -> str:
    return "\n".join(
        [
            "[Unit]",
            f"Description=hallq queue server ({hall_name})",
            "After=network-online.target mosquitto.service postgresql.service",
            "Wants=network-online.target",
            "",
            "[Service]",
            "Type=simple",
            f"User={settings.user}",
            f"EnvironmentFile={settings.server_env_file}",
            f"ExecStart={settings.hallq_bin} server",
            "Restart=on-failure",
            "RestartSec=2",
            "NoNewPrivileges=true",
            "ProtectSystem=strict",
            "ProtectHome=true",
            "PrivateTmp=true",
            f"StateDirectory={settings.state_dir.rsplit('/', 1)[-1]}",
            "",
            "[Install]",
            "WantedBy=multi-user.target",
            "",
        ]
    )


def render_device_unit(entry: DeviceEntry, settings: UnitSettings) -> str:
    screen = entry.kind in _SCREEN_KINDS
    lines = [
        "[Unit]",
        f"Description=hallq {entry.kind.value} {entry.id}" + (f" ({entry.name})" if entry.name else ""),
        "After=network-online.target" + (" graphical.target" if screen else ""),
        "Wants=network-online.target",
        "",
        "[Service]",
        "Type=simple",
        f"User={settings.user}",
        f"ExecStart={settings.hallq_bin} {_COMMAND[entry.kind]} --config {DEVICE_CONFIG_PATH}",
        "Restart=always",
        "RestartSec=2",
        f"StateDirectory={settings.state_dir.rsplit('/', 1)[-1]}",
    ]
    if screen:
        lines.append("Environment=DISPLAY=:0")
    if entry.kind in (DeviceKind.KIOSK, DeviceKind.WINDOW_AGENT):
        lines.append("SupplementaryGroups=dialout lp")  # serial devices and USB printers
    lines += ["", "[Install]", f"WantedBy={'graphical.target' if screen else 'multi-user.target'}", ""]
    return "\n".join(lines)
