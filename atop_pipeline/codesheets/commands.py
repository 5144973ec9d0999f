"""`atop-pipeline parse PATH... [--json] [--cutoff YYYY-MM-DD]`: parse codesheets and print them."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from atop_pipeline.codesheets.model import Codesheet, SheetError
from atop_pipeline.codesheets.parser import DEFAULT_CUTOFF, NotACodesheetError, parse_bytes


#: SheetError names for files that are not codesheets at all: reported, but not failures.
_SKIPPED = frozenset({"not_a_sheet_file"})


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `parse` subcommand."""
    p = subparsers.add_parser(
        "parse",
        help="parse codesheets (files, folders or .zip archives) and print what they say",
        description="Parse ATOP codesheets and print each one's answers, typed fields and derived ATOP variables.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="a codesheet file, a folder of them, or a .zip archive")
    p.add_argument("--json", action="store_true", help="print one JSON object per sheet (JSON Lines)")
    p.add_argument(
        "--cutoff",
        type=_parse_cutoff,
        default=DEFAULT_CUTOFF,
        metavar="YYYY-MM-DD",
        help="date INEFFECT is measured against (default: ATOP 5.1's 2018-12-31)",
    )
    p.set_defaults(handler=run_parse)


def _parse_cutoff(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--cutoff must be a date as YYYY-MM-DD, not {text!r}") from exc


def _inputs(path_text: str) -> Iterator[tuple[str, bytes] | SheetError]:
    """(source_file, bytes) for every sheet under a path; problems as SheetError values."""
    path = Path(path_text)
    if path.is_file() and path.suffix.lower() != ".zip":
        yield str(path), path.read_bytes()
        return
    if not path.exists():
        yield SheetError(
            source_file=path_text,
            sha256=None,
            stage="read",
            error="not_found",
            message=f"{path_text}: no such file or folder",
        )
        return
    from atop_pipeline.codesheets.reading import iter_inputs

    for item in iter_inputs(path):
        if isinstance(item, SheetError):
            yield item
        else:
            yield item.source_file, item.data


def parse_one(source_file: str, data: bytes, cutoff: dt.date) -> Codesheet | SheetError:
    """The parsed sheet, or the SheetError saying why it could not be parsed."""
    from atop_pipeline.codesheets.reading import SheetReadError

    try:
        return parse_bytes(data, source_file, cutoff=cutoff)
    except (SheetReadError, NotACodesheetError) as exc:
        return exc.error


def _summary(sheet: Codesheet) -> str:
    a = sheet.atop
    members = ", ".join(
        f"{m.name or '?'} ({m.ccode})" + ("" if m.known_to_cow else " [not in COW list]") for m in sheet.members
    )
    begin = "-".join(str(a.get(k)) for k in ("begyr", "begmo", "begday"))
    if a.get("ineffect") == 1:
        status = "in effect at cut-off"
    elif a.get("ineffect") == 0:
        status = "ended " + "-".join(str(a.get(k)) for k in ("endyr", "endmo", "endday"))
    else:
        status = "status not determined"
    lines = [
        f"{sheet.source_file}: ATOP {sheet.atopid}, {len(sheet.answers)}/61 questions",
        f"  members: {members or 'none found'}",
        f"  began {begin}; {status}",
        f"  urls: {len(sheet.urls)}, alliance references: {[r.atopid for r in sheet.references]}",
    ]
    lines.extend(f"  warning: {w}" for w in sheet.warnings)
    return "\n".join(lines)


def run_parse(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Parse every sheet under args.paths, print them, return 1 if any failed else 0."""
    out = out or sys.stdout
    failed = False
    for path_text in args.paths:
        for item in _inputs(path_text):
            if isinstance(item, SheetError):
                result: Codesheet | SheetError = item
            else:
                result = parse_one(item[0], item[1], args.cutoff)
            if isinstance(result, SheetError):
                # A file that is not a sheet at all (README.md beside the sheets) is reported,
                # not a failure; a sheet that cannot be read or parsed is.
                skipped = result.error in _SKIPPED
                failed = failed or not skipped
                if args.json:
                    obj: dict[str, Any] = {
                        "source_file": result.source_file,
                        "sha256": result.sha256,
                        "stage": result.stage,
                        "error_name": result.error,
                        "error": result.message,
                        "skipped": skipped,
                    }
                    out.write(json.dumps(obj, ensure_ascii=False) + "\n")
                else:
                    out.write(f"{result.source_file}: {'skipped' if skipped else 'FAILED'}: {result.message}\n")
                continue
            if args.json:
                out.write(json.dumps(result.to_json(), ensure_ascii=False, default=str) + "\n")
            else:
                out.write(_summary(result) + "\n")
    return 1 if failed else 0
