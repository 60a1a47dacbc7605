"""`harness analyze`: read the telemetry store and show (or print as JSON) the analysis.

A missing database is a user error (exit 2), like any other bad path: the message says where it
looked and what to run first. A bad date is rejected by argparse (exit 2) before anything opens.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from harness.cli_args import whole_number
from harness.config import load_config
from harness.errors import UserError
from harness.models import load_registry
from harness.telemetry.analysis import analyze
from harness.telemetry.dashboard import render
from harness.telemetry.store import TelemetryStore


def _date(text: str) -> datetime:
    """YYYY-MM-DD, midnight UTC."""
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (expected YYYY-MM-DD)") from None


def _analyze(args: argparse.Namespace) -> int:
    config = load_config()
    db: Path = args.db or config.telemetry_db
    if not db.is_file():
        raise UserError(f"no telemetry yet at {db}: run `harness run quick` first (or pass --db PATH)")
    since: datetime | None = args.since
    if args.days is not None:
        since = datetime.now(UTC) - timedelta(days=args.days)
    until: datetime | None = args.until + timedelta(days=1) if args.until else None
    with TelemetryStore(db) as store:
        result = analyze(store, since=since, until=until, task_type=args.task_type,
                         registry=load_registry(config.models_file), include_offline=args.include_offline)
    if args.json:
        print(result.model_dump_json(indent=2))
    else:
        render(result, db, Console())
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "analyze", help="fallback rate, savings and routing advice from telemetry",
        description=("Analyse the telemetry of past runs: calls, success and fallback rates, actual cost "
                     "against the all-premium estimate, an annual projection (from 7 days of data on), and per "
                     "task type whether the cascade pays (break-even: cheap-tier success = 1/r, "
                     "r = premium/cheap price). Live runs only unless --include-offline."))
    window = parser.add_mutually_exclusive_group()
    window.add_argument("--days", type=whole_number(1, "days"), metavar="N", help="only the last N days")
    window.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="only from this day on (UTC)")
    parser.add_argument("--until", type=_date, metavar="YYYY-MM-DD", help="only up to this day, inclusive (UTC)")
    parser.add_argument("--task-type", metavar="T", help="only this task type")
    parser.add_argument("--db", type=Path, metavar="PATH", help="telemetry database (default: from config, "
                        ".harness/telemetry.db)")
    parser.add_argument("--include-offline", action="store_true",
                        help="also count offline runs (sample and cassette replays, fault rehearsals); the "
                        "output then says the figures include offline replays of sample data")
    parser.add_argument("--json", action="store_true", help="machine-readable output (money as USD numbers)")
    parser.set_defaults(handler=_analyze)
