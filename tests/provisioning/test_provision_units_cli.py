"""Every systemd unit provisioning renders starts a command line that ``hallq`` accepts.

The regression this guards: units ran ``hallq kiosk --config …`` while only ``hallq agent`` had
``--config``, so a provisioned kiosk or screen failed at start.
"""

from __future__ import annotations

import shlex

from provisioning import UnitSettings, device_registry, render_device_unit, render_server_unit
from queue_server.cli import COMMANDS, build_parser
from queue_server.halls import HallFile


def _exec_start(unit: str) -> list[str]:
    line = next(ln for ln in unit.splitlines() if ln.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart="))[1:]  # the arguments after the binary


def test_every_rendered_unit_command_line_parses(demo_hall: HallFile) -> None:
    settings = UnitSettings()
    units = [render_server_unit(demo_hall.hall.name, settings)]
    units += [render_device_unit(entry, settings) for entry in device_registry(demo_hall)]
    seen = set()
    for unit in units:
        argv = _exec_start(unit)
        args = build_parser(argv).parse_args(argv)  # argparse exits (SystemExit 2) on an unknown option
        assert args.command in COMMANDS
        seen.add(args.command)
        if args.command != "server":
            assert str(args.config) == "/etc/hallq/device.toml"
    assert seen == {"server", "kiosk", "display", "agent"}
