"""``hallq bench``: run every benchmark module and print one JSON object of measured figures."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable

from benchmarks import city_bench, devices, display, kiosk, materials_bench, server, stats_bench
from benchmarks.figures import Figures

# Each module's run(quick, db) measures on this machine, now, and returns its figures.
MODULES: dict[str, Callable[[bool, str], Figures]] = {
    "server": server.run,
    "devices": devices.run,
    "kiosk": kiosk.run,
    "display": display.run,
    "stats": stats_bench.run,
    "materials": materials_bench.run,
}
# ``--scenario city`` runs only the city bench (minutes: never part of the default run nor of CI's).
SCENARIOS: dict[str, dict[str, Callable[[bool, str], Figures]]] = {
    "default": MODULES,
    "city": {"city": city_bench.run},
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object (the default output)")
    parser.add_argument("--quick", action="store_true", help="a short run, as CI does")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--only", action="append", choices=sorted(MODULES), help="run only these modules (e.g. server)"
    )
    parser.add_argument(
        "--scenario",
        choices=sorted(SCENARIOS),
        default="default",
        help="default: every module (see --only); city: only the city peak hour with a failover (PostgreSQL)",
    )


def run(args: argparse.Namespace) -> int:
    figures: Figures = {"db": args.db, "quick": int(bool(args.quick))}
    failed: list[str] = []
    for name, bench in SCENARIOS[args.scenario].items():
        if args.only and name not in args.only:
            continue
        t0 = time.perf_counter()
        print(f"bench: {name} …", file=sys.stderr, flush=True)
        try:
            figures.update(bench(args.quick, args.db))
        except Exception as exc:  # one module failing must not hide the others' figures
            failed.append(name)
            figures[f"{name}_error"] = f"{type(exc).__name__}: {exc}"
        print(f"bench: {name} done in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    return 1 if failed else 0
