"""``hallq bench``: run every benchmark module and print one JSON object of measured figures."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path
from typing import Protocol, cast

# Each module defines run(quick: bool, db: str) -> dict[str, float | int | str].
MODULES = ("benchmarks.server", "benchmarks.devices", "benchmarks.kiosk", "benchmarks.display")

Figures = dict[str, float | int | str]


class _Bench(Protocol):
    def run(self, quick: bool, db: str) -> Figures: ...


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object (the default output)")
    parser.add_argument("--quick", action="store_true", help="a short run, as CI does")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--only", action="append", help="run only these modules (e.g. server)")


def run(args: argparse.Namespace) -> int:
    # The benchmarks drive the hall with the test suite's harness (private broker, hall factory), so
    # they run from a checkout: make its root importable when started as the installed ``hallq``.
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    figures: Figures = {"db": args.db, "quick": int(bool(args.quick))}
    failed: list[str] = []
    for name in MODULES:
        short = name.rsplit(".", 1)[1]
        if args.only and short not in args.only:
            continue
        try:
            module = cast(_Bench, importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        t0 = time.perf_counter()
        print(f"bench: {short} …", file=sys.stderr, flush=True)
        try:
            figures.update(module.run(args.quick, args.db))
        except Exception as exc:
            failed.append(short)
            figures[f"{short}_error"] = f"{type(exc).__name__}: {exc}"
        print(f"bench: {short} done in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    return 1 if failed else 0
