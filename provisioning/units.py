"""systemd units: the queue server on the hall's server, one unit per device on its machine.

Every unit runs in ``StateDirectory=hallq`` (``/var/lib/hallq``, created by systemd for the unit's user)
as its working directory: under the server's ``ProtectSystem=strict`` that is the only writable place,
so the database (``server.env``: ``HALLQ_DATABASE_URL=sqlite:////var/lib/hallq/hallq.db``), a kiosk's
outbox and catalogue, an agent's outbox and a display's boot counter all live there. The kiosk reads
the hall's ID-hash key from ``/etc/hallq/kiosk.env``; a missing file stops the unit rather than let the
kiosk invent a key of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from queue_server.protocol.messages import DeviceKind

from .devices import DEVICE_CONFIG_PATH, DeviceEntry
from .server import KIOSK_ENV_FILE, STATE_DIR

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
    state_dir: str = STATE_DIR
    kiosk_env_file: str = KIOSK_ENV_FILE

    @property
    def state_directory(self) -> str:
        """``StateDirectory=`` takes the name under /var/lib."""
        return self.state_dir.removeprefix("/var/lib/")


def _state_lines(settings: UnitSettings) -> list[str]:
    return [
        f"StateDirectory={settings.state_directory}",
        "StateDirectoryMode=0700",
        f"WorkingDirectory={settings.state_dir}",
        "UMask=0077",
    ]


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
            # Exit 2 is a configuration error (no secret key file): restarting cannot mend it.
            "RestartPreventExitStatus=2",
            "NoNewPrivileges=true",
            "ProtectSystem=strict",
            "ProtectHome=true",
            "PrivateTmp=true",
            *_state_lines(settings),
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
        f"ExecStart={settings.hallq_bin} {_COMMAND[entry.kind]} --config {DEVICE_CONFIG_PATH}"
        + _state_option(entry, settings),
        "Restart=always",
        "RestartSec=2",
        *_state_lines(settings),
    ]
    if entry.kind is DeviceKind.KIOSK:
        lines.append(f"EnvironmentFile={settings.kiosk_env_file}")
    if screen:
        lines.append("Environment=DISPLAY=:0")
    if entry.kind in (DeviceKind.KIOSK, DeviceKind.WINDOW_AGENT):
        lines.append("SupplementaryGroups=dialout lp")  # serial devices and USB printers
    lines += ["", "[Install]", f"WantedBy={'graphical.target' if screen else 'multi-user.target'}", ""]
    return "\n".join(lines)


def _state_option(entry: DeviceEntry, settings: UnitSettings) -> str:
    # The agent finds $STATE_DIRECTORY itself (devices/agent/config.py); the others are told.
    if entry.kind is DeviceKind.KIOSK:
        return f" --data-dir {settings.state_dir}/kiosk-{entry.id}"
    if entry.kind in (DeviceKind.HALL_DISPLAY, DeviceKind.WINDOW_DISPLAY):
        return f" --state-dir {settings.state_dir}"
    return ""
