"""``hallq stats rebuild [--hall CODE] [--from D --to D] [--db URL]``: recompute the rollups from the
source rows, a month per transaction, one progress line per month."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    rebuild = sub.add_parser("rebuild", help="recompute the statistics rollups from the raw rows")
    rebuild.add_argument("--hall", metavar="CODE", help="only this hall (default: every hall)")
    rebuild.add_argument("--from", dest="first", type=date.fromisoformat, metavar="YYYY-MM-DD")
    rebuild.add_argument("--to", dest="last", type=date.fromisoformat, metavar="YYYY-MM-DD")
    rebuild.add_argument("--db", metavar="URL", help="database URL (default: the settings' database)")


def run(args: argparse.Namespace) -> int:
    from queue_server.settings import load_settings
    from queue_server.stats.rebuild import Step, rebuild
    from queue_server.store import init_db

    if (args.first is None) != (args.last is None) or (args.first and args.last < args.first):
        print("hallq stats rebuild: give --from and --to together, --from first", file=sys.stderr)
        return 2
    engine = init_db(args.db or load_settings().database_url)
    started = time.perf_counter()

    def show(step: Step) -> None:
        bar = "#" * (20 * step.done // step.total)
        print(
            f"\r[{bar:<20}] {step.done}/{step.total} {step.hall} {step.first}..{step.last} "
            f"({step.seconds:.1f} s)",
            end="" if step.done < step.total else "\n",
            flush=True,
        )

    try:
        chunks = rebuild(engine, args.hall, args.first, args.last, progress=show)
    finally:
        engine.dispose()
    print(f"rebuilt {chunks} month(s) in {time.perf_counter() - started:.1f} s")
    return 0
