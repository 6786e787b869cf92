"""``hallq nats``: the city's clustered broker (NATS with replicated JetStream, docs/city.md).

    hallq nats try --nodes 3                              # three nodes on loopback ports, until Ctrl-C
    hallq nats try --nodes 3 --db postgresql+psycopg://… --servers 2   # and two hallq servers on them
    hallq nats config --name n1 --host 10.0.0.1 --routes 10.0.0.1,10.0.0.2,10.0.0.3 --store /var/lib/nats \
        --password-file /etc/hallq/nats-password

``try`` is for trying the city topology out on one machine: it prints each node's MQTT address and
writes the broker list every server and device is given, with the cluster's account, to a file
readable by its owner only (``broker-url`` in ``--dir``; a fresh password each run). ``config``
prints one node's configuration file for a cluster of machines (one node per machine, the same ports
on each); the cluster's password comes from a file the operator made once and copied to every node
(the same password goes in the servers' and devices' broker URLs), never from the command line.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from queue_server.files import write_private
from queue_server.runtime.nats_cluster import (
    CLIENT_USER,
    MAX_REPLICAS,
    MONITOR_HOST,
    NatsAccounts,
    NatsCluster,
    NodePorts,
    NodeSpec,
    node_config,
)

DEFAULT_DIR = Path("var") / "nats"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="nats_command", metavar="ACTION", required=True)
    trial = sub.add_parser("try", help="run a NATS cluster (and hallq servers) on loopback ports")
    trial.add_argument(
        "--nodes", type=int, default=3, help="NATS nodes (default 3: survives the loss of one)"
    )
    trial.add_argument(
        "--dir", type=Path, default=DEFAULT_DIR, help=f"stores and logs (default {DEFAULT_DIR})"
    )
    trial.add_argument("--db", help="database URL (loaded with `hallq hall load`): start hallq servers on it")
    trial.add_argument("--servers", type=int, default=1, help="hallq server instances with --db (default 1)")
    conf = sub.add_parser("config", help="print one node's configuration, for a cluster of machines")
    conf.add_argument("--name", required=True, help="this node's name, unique in the cluster (n1, n2 …)")
    conf.add_argument("--host", required=True, help="the address this node listens on")
    conf.add_argument("--routes", required=True, help="every node's host (or host:port), comma-separated")
    conf.add_argument("--store", type=Path, required=True, help="JetStream store directory")
    conf.add_argument(
        "--replicas", type=int, help=f"copies of the MQTT state (default: nodes, at most {MAX_REPLICAS})"
    )
    conf.add_argument(
        "--password-file",
        type=Path,
        required=True,
        help="the cluster's password (one line, 16+ characters; e.g. `openssl rand -hex 24`), the same "
        "file on every node",
    )


def run(args: argparse.Namespace) -> int:
    if args.nats_command == "config":
        return _config(args)
    return _try(args)


def _config(args: argparse.Namespace) -> int:
    ports = NodePorts()
    hosts = [h.strip() for h in args.routes.split(",") if h.strip()]
    routes = [f"nats-route://{h if ':' in h else f'{h}:{ports.cluster}'}" for h in hosts]
    replicas = args.replicas or min(len(routes), MAX_REPLICAS)
    try:
        accounts = NatsAccounts(args.password_file.read_text().strip())
        text = node_config(
            NodeSpec(args.name, args.host, ports, args.store), routes, accounts, replicas=replicas
        )
    except (OSError, ValueError) as exc:
        print(f"hallq nats config: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    print(
        f"hallq nats config: clients sign in as {CLIENT_USER!r} with the password of {args.password_file}; "
        "the file written from this holds it too: readable by the node's user only (chmod 600)",
        file=sys.stderr,
    )
    return 0


def _try(args: argparse.Namespace) -> int:
    cluster = NatsCluster(args.dir.resolve(), args.nodes)
    servers: list[tuple[str, subprocess.Popen[bytes]]] = []
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        cluster.start()
        for node in cluster.nodes:
            print(
                f"NATS {node.spec.name}: {node.mqtt_address} (monitor http://{MONITOR_HOST}:{node.spec.ports.monitor})"
            )
        url_file = args.dir / "broker-url"
        write_private(url_file, cluster.url + "\n")
        print(
            f"broker list with the account (HALLQ_BROKER_URL, --broker): in {url_file} (user {CLIENT_USER})",
            flush=True,
        )
        if args.db:
            servers = [_start_server(args, cluster.url, i) for i in range(1, args.servers + 1)]
        print("running; Ctrl-C stops everything", flush=True)
        while all(proc.poll() is None for _, proc in servers):
            time.sleep(0.5)
        print("a hallq server stopped; stopping the rest", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for _, proc in servers:
            proc.terminate()
        for _, proc in servers:
            proc.wait(30)
        cluster.stop()
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _start_server(
    args: argparse.Namespace, broker_url: str, index: int
) -> tuple[str, subprocess.Popen[bytes]]:
    """``hallq server`` instance ``server-{index}`` on the cluster; leases when there are several."""
    from queue_server.runtime.broker import die_with_parent, free_port

    key = args.dir / "secret.key"
    if not key.exists():
        key.write_text(secrets.token_hex(32) + "\n")
        key.chmod(0o600)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("HALLQ_LEASES", "HALLQ_INSTANCE")} | {
        "HALLQ_BROKER_URL": broker_url,
        "HALLQ_DATABASE_URL": args.db,
        "HALLQ_INSTANCE": f"server-{index}",
        "HALLQ_HTTP_PORT": str(port),
        "HALLQ_SECRET_KEY_FILE": str(key.resolve()),
        "HALLQ_LEASES": "true" if args.servers > 1 else "false",
    }
    log_file = args.dir / f"server-{index}.log"
    with log_file.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "queue_server.cli", "server"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent(),
        )
    url = f"http://127.0.0.1:{port}"
    print(f"hallq server server-{index}: {url} (log {log_file})", flush=True)
    return url, proc
