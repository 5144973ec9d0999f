"""`atop-pipeline docs` (the data dictionary) and `atop-pipeline report` (the HTML status report)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

DEFAULT_WAREHOUSE = Path("data/warehouse/atop.duckdb")
DEFAULT_REPORTS = Path("data/reports")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `docs` and `report` subcommands."""
    from atop_pipeline.analyst.dictionary import DICTIONARY_PATH

    docs = subparsers.add_parser("docs", help="write (or --check) the data dictionary docs/data_dictionary.md")
    docs.add_argument("--check", action="store_true", help="exit 1 if the committed dictionary is stale")
    docs.add_argument("--out", type=Path, default=DICTIONARY_PATH, help=f"dictionary file (default {DICTIONARY_PATH})")
    docs.set_defaults(handler=run_docs)

    report = subparsers.add_parser("report", help="render the static HTML status report from the published warehouse")
    report.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE, help=f"published warehouse (default {DEFAULT_WAREHOUSE})")
    report.add_argument("--out", type=Path, default=DEFAULT_REPORTS, help=f"report folder (default {DEFAULT_REPORTS})")
    report.add_argument("--previous", type=Path, default=None, metavar="PATH",
                        help="the previous run's state .json (or its .html page) to compare with "
                        "(default: the last state written into --out)")
    report.add_argument("--as-of", type=_date, default=None, metavar="YYYY-MM-DD", help="date in the page and file name (default: today)")
    report.set_defaults(handler=run_report)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date as YYYY-MM-DD: {text!r}") from exc


def run_docs(args: argparse.Namespace) -> int:
    """Write the data dictionary, or with --check report whether it is current (exit 1 if stale)."""
    from atop_pipeline.analyst.dictionary import generate_dictionary

    text = generate_dictionary()
    path: Path = args.out
    if args.check:
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current != text:
            print(f"{path} is stale: run `atop-pipeline docs` and commit the result", file=sys.stderr)
            return 1
        print(f"{path} is current")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


def run_report(args: argparse.Namespace) -> int:
    """Render the status report into --out; exit 1 if the warehouse does not exist."""
    from atop_pipeline.analyst.report import render_report

    if not args.warehouse.is_file():
        print(f"no warehouse at {args.warehouse}: run `atop-pipeline ingest` first", file=sys.stderr)
        return 1
    path = render_report(args.warehouse, args.out, previous=args.previous, as_of=args.as_of)
    print(f"wrote {path}")
    return 0
