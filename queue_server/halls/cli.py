"""``hallq hall``: validate a hall file, load it into a database, or show where the demo hall is.

hallq hall validate FILE [--on DATE]   every problem with its path; exit 1 when there are any
hallq hall load FILE [--db URL]        validate, then upsert into the database (idempotent)
hallq hall show-demo-path              the demo hall file, to copy and edit
hallq hall export [--hall CODE] [--db URL] [-o FILE]
                                       the hall in the database as a hall file (no passwords)
hallq hall calendar --year YYYY [--file FILE] [--json]
                                       the year's weekday days off and weekend working days as the
                                       hall uses them (national arrangement + the hall file's days)
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from queue_server.domain.calendar import HallCalendar, calendar_warnings, national_source

from .schedule import hall_calendar
from .validate import DEMO_HALL_PATH, validate_file

EXIT_INVALID = 1
EXIT_FAILED = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="hall_command", metavar="SUBCOMMAND", required=True)
    validate = sub.add_parser("validate", help="check a hall file and list every problem")
    validate.add_argument("file", metavar="FILE")
    validate.add_argument(
        "--on",
        type=date.fromisoformat,
        metavar="DATE",
        help="also require licensing windows to have a qualification valid on DATE (YYYY-MM-DD)",
    )
    load = sub.add_parser("load", help="validate a hall file and write it into the database")
    load.add_argument("file", metavar="FILE")
    load.add_argument("--db", metavar="URL", help="database URL (default: the settings' database)")
    sub.add_parser("show-demo-path", help="print the path of the demo hall file")
    export = sub.add_parser("export", help="write the hall in the database as a hall file (TOML)")
    export.add_argument("--hall", metavar="CODE", help="the hall's code (default: the database's only hall)")
    export.add_argument("--db", metavar="URL", help="database URL (default: the settings' database)")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: standard output)")
    calendar = sub.add_parser("calendar", help="print a year's days off and make-up working days")
    calendar.add_argument("--year", type=int, required=True, metavar="YYYY")
    calendar.add_argument("--file", metavar="FILE", help="a hall file whose own days apply (default: none)")
    calendar.add_argument("--json", action="store_true", help="one JSON object (the default output)")


def run(args: argparse.Namespace) -> int:
    if args.hall_command == "show-demo-path":
        print(DEMO_HALL_PATH)
        return 0
    if args.hall_command == "calendar":
        return _calendar(args)
    if args.hall_command == "export":
        return _export(args)
    hall = validate_file(args.file, today=getattr(args, "on", None))
    if isinstance(hall, list):
        print(f"{args.file}: {len(hall)} problem(s)", file=sys.stderr)
        for error in hall:
            print(f"  {error}", file=sys.stderr)
        return EXIT_INVALID
    if args.hall_command == "validate":
        print(
            f"{args.file}: ok: hall {hall.hall.code} ({hall.hall.name}), {len(hall.services)} services, "
            f"{len(hall.matters)} matters, {len(hall.windows)} windows, {len(hall.staff)} staff, "
            f"{len(hall.devices)} devices"
        )
        today = args.on or datetime.now(ZoneInfo(hall.hall.tz)).date()
        for warning in calendar_warnings(hall_calendar(hall), today):
            print(f"{args.file}: warning: {warning}", file=sys.stderr)
        return 0
    return _load(args, hall)


def _load(args: argparse.Namespace, hall: object) -> int:
    # The database layer is imported only here: `hallq hall validate` needs no SQL driver.
    from queue_server.settings import Environment, load_settings
    from queue_server.store import init_db

    from .errors import ProblemsError
    from .loader import load_hall
    from .passwords import PasswordError
    from .schema import HallFile

    assert isinstance(hall, HallFile)
    settings = load_settings()
    engine = init_db(args.db or settings.database_url)
    try:
        # Outside development every person needs a real password source (env var or secrets file).
        report = load_hall(engine, hall, allow_dev_passwords=settings.environment is Environment.DEVELOPMENT)
    except (PasswordError, ProblemsError) as exc:  # ProblemsError: the hall's place among the stored halls
        print(f"{args.file}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        engine.dispose()
    print(f"hall {hall.hall.code} loaded into {engine.url.render_as_string(hide_password=True)}")
    print(f"  {report.summary()}")
    for code, version in sorted(report.new_matter_versions.items()):
        print(f"  matter {code}: now version {version}")
    if report.generated_passwords:
        print("  development passwords (shown once, stored only as hashes):")
        for login, password in sorted(report.generated_passwords.items()):
            print(f"    {login:<16} {password}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from queue_server.settings import load_settings
    from queue_server.store import make_engine

    from .export import ExportError, export_toml

    engine = make_engine(args.db or load_settings().database_url)
    try:
        text = export_toml(engine, args.hall)
    except ExportError as exc:
        print(f"hallq hall export: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        engine.dispose()
    if args.output is None:
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"hall written to {args.output}", file=sys.stderr)
    return 0


def _calendar(args: argparse.Namespace) -> int:
    calendar = HallCalendar()
    if args.file is not None:
        hall = validate_file(args.file)
        if isinstance(hall, list):
            print(f"{args.file}: {len(hall)} problem(s); run `hallq hall validate`", file=sys.stderr)
            return EXIT_INVALID
        calendar = hall_calendar(hall)
    off, working = calendar.year_days(args.year)
    source = "confirmed" if args.year in calendar.confirmed_years else national_source(args.year).value
    print(
        json.dumps(
            {
                "year": args.year,
                "source": source,
                "holidays": [d.isoformat() for d in off],
                "workdays": [d.isoformat() for d in working],
            }
        )
    )
    return 0
