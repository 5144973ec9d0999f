"""`atop-pipeline status [--as-of DATE] [--json] [--sheets DIR] [--warehouse PATH] [--offline]`.

Parses the sheets, fetches every cited source once (politely; adilet shells fall back to the old host),
reads them, and prints each alliance's in-force verdict with its evidence, disagreements and warnings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TextIO

from atop_pipeline.codesheets.model import Codesheet, SheetError
from atop_pipeline.status import InForceVerdict, assess_all, verdict_summary

DEFAULT_SHEETS = Path("data/codesheets")
DEFAULT_WAREHOUSE = Path("data/warehouse/atop.duckdb")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `status` subcommand."""
    p = subparsers.add_parser(
        "status",
        help="fetch the cited sources and print each alliance's in-force verdict",
        description="For each codesheet: what the sheet claims, what its clauses imply, what the cited "
        "sources show, and the in-force verdict as of a date, with disagreements and warnings.",
    )
    p.add_argument("--as-of", type=_parse_date, default=None, metavar="YYYY-MM-DD",
                   help="the date the verdict is for (default: today, UTC)")
    p.add_argument("--json", action="store_true", help="print one JSON object per alliance (JSON Lines)")
    p.add_argument("--sheets", type=Path, default=DEFAULT_SHEETS, metavar="DIR",
                   help=f"a folder or .zip of codesheets (default: {DEFAULT_SHEETS})")
    p.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE, metavar="PATH",
                   help="the warehouse file; raw snapshots are kept in a 'snapshots' folder beside it "
                   f"(default: {DEFAULT_WAREHOUSE})")
    p.add_argument("--offline", action="store_true",
                   help="do not fetch: every cited source is recorded as unreachable")
    p.set_defaults(handler=run_status)


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--as-of must be a date as YYYY-MM-DD, not {text!r}") from exc


def snapshot_root(warehouse: Path) -> Path:
    """Where raw source snapshots are kept: a `snapshots` folder beside the warehouse file."""
    return warehouse.parent / "snapshots"


def load_sheets(root: Path) -> tuple[list[Codesheet], list[SheetError]]:
    """Every codesheet under `root` parsed, and the files that failed (as values)."""
    from atop_pipeline.codesheets.parser import NotACodesheetError, parse_bytes
    from atop_pipeline.codesheets.reading import RawInput, SheetReadError, iter_inputs

    sheets: list[Codesheet] = []
    errors: list[SheetError] = []
    if not root.exists():
        return [], [SheetError(str(root), None, "read", "not_found", f"{root}: no such file or folder")]
    for item in iter_inputs(root):
        if not isinstance(item, RawInput):
            errors.append(item)
            continue
        try:
            sheets.append(parse_bytes(item.data, item.source_file))
        except (SheetReadError, NotACodesheetError) as exc:
            errors.append(exc.error)
    return sheets, errors


def check_status(sheets: list[Codesheet], as_of: dt.date, *, warehouse: Path, offline: bool) -> list[InForceVerdict]:
    """Fetch (unless offline), read and assess every sheet's sources; a verdict per sheet."""
    if offline:
        return assess_all(sheets, None, as_of)
    from atop_pipeline.sources.documents import fetch_source_documents
    from atop_pipeline.sources.http import FetchSettings, PoliteFetcher
    from atop_pipeline.sources.store import SnapshotStore

    urls = [u for s in sheets for u in s.urls + list(s.termination.source_urls if s.termination else ())]
    store = SnapshotStore(snapshot_root(warehouse))
    with PoliteFetcher(FetchSettings.from_env(), store=store) as fetcher:
        documents = fetch_source_documents(urls, fetcher)
    return assess_all(sheets, documents, as_of)


def format_verdict(v: InForceVerdict) -> list[str]:
    """Human-readable lines for one verdict."""
    lines = [f"ATOP {v.atopid}: {v.verdict} as of {v.as_of.isoformat()}"]
    claim = v.sheet_claim.replace("_", " ")
    if v.sheet_claim_date:
        claim += f" ({'on' if v.sheet_claim == 'terminated' else 'as of'} {v.sheet_claim_date.isoformat()}, "
        claim += f"{v.claim_age_days} days before {v.as_of.isoformat()})"
    lines.append(f"  sheet:    {claim}")
    if v.term_end:
        term = f"current term ends {v.term_end.isoformat()}"
        if v.next_notice_deadline:
            term += f"; notice deadline {v.next_notice_deadline.isoformat()}"
        lines.append(f"  clauses:  {term}")
    lines.append(f"  basis:    {v.clause_basis}")
    lines.append(f"  sources:  {v.source_status}")
    lines += [f"  DISAGREES {d['kind']}: {d['detail']}" for d in v.disagreements]
    lines += [f"  warning   {w['kind']}: {w['detail']}" for w in v.warnings]
    return lines


def run_status(args: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run `status`; returns 0 when every sheet got a verdict, 1 when no sheet could be read."""
    out = out or sys.stdout
    err = err or sys.stderr
    as_of = args.as_of or dt.datetime.now(dt.timezone.utc).date()
    sheets, errors = load_sheets(Path(args.sheets))
    for e in errors:
        print(f"skipped {e.source_file}: {e.message}", file=err)
    if not sheets:
        print(f"no codesheet could be read from {args.sheets}", file=err)
        return 1
    verdicts = check_status(sheets, as_of, warehouse=Path(args.warehouse), offline=args.offline)
    for v in verdicts:
        if args.json:
            print(json.dumps(verdict_summary(v), ensure_ascii=False), file=out)
        else:
            print("\n".join(format_verdict(v)), file=out)
    return 0
