"""``hallq purge [--config FILE] [--db URL]``: delete now what outlived its retention, in every hall.

The running server does the same every hour (``services/engine/retention.py``); this is for an
operator who shortened ``personal_data_days`` or ``request_log_days`` and wants it applied at once, or
a database no server runs on. It looks at the whole history, prints one line per hall.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, metavar="FILE", help="settings file (TOML), as hallq server")
    parser.add_argument("--db", metavar="URL", help="database URL (default: the settings' database)")


def run(args: argparse.Namespace) -> int:
    from queue_server.services import Services
    from queue_server.settings import load_settings
    from queue_server.store import init_db

    overrides = {"database_url": args.db} if args.db else {}
    settings = load_settings(args.config, **overrides)
    engine = init_db(settings.database_url)
    try:
        services = Services(engine, settings)
        for hall, purged in services.retention.run_once(full=True).items():
            print(f"{hall}: {json.dumps(purged.model_dump(), sort_keys=True)}", flush=True)
        services.runner.wait_idle(30)
    finally:
        engine.dispose()
    return 0
