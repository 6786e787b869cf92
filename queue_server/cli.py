"""The ``hallq`` command: one entry point, one module per sub-command, imported only when used.

Each module named in COMMANDS defines ``add_arguments(parser)`` and ``run(args) -> int``. The table
holds module names, not imports, so ``hallq kiosk`` never loads the server and the server package
never imports the kiosk or display packages (docs/design/ARCHITECTURE.md layering).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from typing import Protocol, cast

COMMANDS: dict[str, tuple[str, str]] = {
    "up": ("queue_server.runtime.up", "run a whole demo hall on this machine (database, broker, server)"),
    "server": ("queue_server.runtime.server_cmd", "run the queue server (HTTP API + MQTT bridge)"),
    "hall": ("queue_server.halls.cli", "validate or load a hall description file"),
    "kiosk": ("kiosk.cli", "run the lobby kiosk (Kivy)"),
    "display": ("display.cli", "run a hall display or a window display (Kivy, voice)"),
    "agent": ("devices.agent.cli", "run the window device agent (keypad, rating pad, LED sign)"),
    "provision": ("provisioning.cli", "device credentials, broker config and device bundles"),
    "bench": ("benchmarks.cli", "run the benchmarks and print the figures"),
    "stats": ("queue_server.stats.cli", "statistics: rebuild the rollups from the raw rows"),
    "purge": ("queue_server.runtime.purge_cmd", "delete phones, ID hashes, request ids past retention"),
    "city": ("queue_server.city.cli", "the city link: a hall's credential at this city"),
    "nats": ("queue_server.runtime.nats_cmd", "city broker: NATS nodes to try here, or a node's config"),
}


class _Command(Protocol):
    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def _load(name: str) -> _Command:
    return cast(_Command, importlib.import_module(COMMANDS[name][0]))


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The ``hallq`` parser, with the options of the one sub-command ``argv`` names loaded."""
    parser = argparse.ArgumentParser(prog="hallq", description="hallq: queue management for a service hall")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (_, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            _load(name).add_arguments(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv).parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.verbose:
        from queue_server.protocol.client import PAHO_LOG

        PAHO_LOG.setLevel(logging.DEBUG)
    return _load(args.command).run(args)


if __name__ == "__main__":
    raise SystemExit(main())
