"""``hallq agent``: run the window device agent.

    hallq agent --config /etc/hallq/device.toml
    hallq agent --simulate-devices --hall demo --device-id agent-1 --window 1 --broker mqtt://127.0.0.1:1883

``--config`` reads the device file provisioning wrote (plus the ``[keypad]``, ``[rating_pad]`` and
``[sign]`` ports); the other options override it or, without a file, are the whole configuration.
``--simulate-devices`` puts a keypad, a rating pad and a sign on pseudo-terminals, binds the agent to
them, and reads key presses from stdin (``?`` lists them).
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from queue_server.protocol.address import BrokerAddress

log = logging.getLogger(__name__)

# How soon the main thread notices a stop signal (see SignalFlag.wait).
SIGNAL_POLL_S = 0.2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, metavar="FILE", help="device.toml written by provisioning")
    parser.add_argument("--hall", help="hall code (overrides the file; default demo)")
    parser.add_argument("--device-id", help="this agent's device id (overrides the file; default agent-1)")
    parser.add_argument("--window", help="the window number served (overrides the file; default 1)")
    parser.add_argument(
        "--broker",
        help="broker URL mqtt://user:pass@host:port, or a comma-separated list of a cluster's nodes "
        "(overrides the file)",
    )
    parser.add_argument("--data-dir", type=Path, help="outbox and boot counter directory")
    parser.add_argument(
        "--simulate-devices",
        action="store_true",
        help="keypad, rating pad and sign simulated on ptys; key presses from stdin",
    )


def build_config(args: argparse.Namespace) -> Any:
    """The AgentConfig from ``--config`` and the override options."""
    from devices.agent.config import AgentConfig, BrokerSection, load_config

    raw: dict[str, Any]
    if args.config is not None:
        raw = load_config(args.config).model_dump(exclude_none=True)
    else:
        raw = {"device": {"hall": "demo", "id": "agent-1", "window": "1"}}
    device = raw.setdefault("device", {})
    for option, key in (("hall", "hall"), ("device_id", "id"), ("window", "window")):
        value = getattr(args, option)
        if value is not None:
            device[key] = value
    if args.broker is not None:
        # The same rule as the kiosk's and the display's (``BrokerAddress.overridden_by``).
        filed = BrokerSection.model_validate(raw.get("broker", {})).address
        raw["broker"] = _broker_table(filed.overridden_by(args.broker))
    if args.data_dir is not None:
        raw.setdefault("agent", {})["data_dir"] = args.data_dir
    return AgentConfig.model_validate(raw)


def _broker_table(address: BrokerAddress) -> dict[str, Any]:
    """``address`` as the device file's ``[broker]`` table."""
    tls = address.tls
    return {
        "host": address.host,
        "port": address.port,
        "username": address.username,
        "password": address.password,
        "tls": tls is not None,
        "alternates": [f"{host}:{port}" for host, port in address.alternates],
        "cafile": tls.cafile if tls else None,
        "certfile": tls.certfile if tls else None,
        "keyfile": tls.keyfile if tls else None,
    }


def run(args: argparse.Namespace) -> int:
    from devices.agent.agent import WindowAgent, describe
    from devices.agent.simulate import SimulatedWindow, console, watch
    from queue_server.protocol.signals import SignalFlag

    try:
        config = build_config(args)
    except (OSError, ValueError) as exc:
        print(f"hallq agent: bad configuration: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()  # set by the simulator's console on "q", and here on a signal
    signals = SignalFlag(signal.SIGTERM, signal.SIGINT)

    simulated = SimulatedWindow().start() if args.simulate_devices else None
    if simulated is not None:
        config = simulated.bind(config)
    elif config.keypad is None and config.rating_pad is None and config.sign is None:
        log.warning("no keypad, rating pad or sign configured: the agent only follows the window")
    agent = WindowAgent(config)
    try:
        agent.start()
        print(json.dumps(describe(agent), ensure_ascii=False), flush=True)
        if simulated is not None:
            for name, path in ((n, d.path) for n, d in simulated.devices().items()):
                print(f"simulated {name}: {path}", flush=True)
            threading.Thread(target=watch, args=(simulated, stop), daemon=True).start()
            threading.Thread(target=console, args=(simulated, stop), daemon=True).start()
        signals.wait(SIGNAL_POLL_S, or_until=stop)
    finally:
        stop.set()  # the simulator's threads watch it
        agent.stop()
        if simulated is not None:
            simulated.stop()
    return 0
