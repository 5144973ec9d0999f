"""The core pipeline steps in order, as plain functions: read -> parse -> load -> fetch -> assess -> publish.

The Dagster assets call these same steps one by one; `run_ingest` chains them in a plain loop (used by
the benchmarks as the baseline for Dagster's overhead, and by tests).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from atop_pipeline.codesheets.model import Codesheet, SheetError

DEFAULT_SHEETS = Path("data/codesheets")
DEFAULT_WAREHOUSE = Path("data/warehouse/atop.duckdb")
DEFAULT_REFERENCE = Path("data/reference")
#: ATOP measures INEFFECT against the dataset's cut-off, 31 December 2018.
DEFAULT_CUTOFF = dt.date(2018, 12, 31)


@dataclass
class ParsedBatch:
    """Sheets parsed from a set of inputs, the failures, and the raw inputs (kept as received)."""

    sheets: list[Codesheet] = field(default_factory=list)
    errors: list[SheetError] = field(default_factory=list)
    inputs: list = field(default_factory=list)  # list[RawInput]


@dataclass
class IngestSummary:
    """What one run did, for printing and for Dagster metadata."""

    files_read: int = 0
    sheets_parsed: int = 0
    loaded: int = 0
    quarantined: int = 0
    unchanged: int = 0
    errors: int = 0
    urls: int = 0
    fetched_ok: int = 0
    fetch_failed: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    published_path: str = ""

    def lines(self) -> list[str]:
        """Human-readable summary lines."""
        out = [
            f"files read: {self.files_read}",
            f"sheets parsed: {self.sheets_parsed}",
            f"sheets loaded: {self.loaded} (unchanged: {self.unchanged})",
            f"sheets quarantined: {self.quarantined}",
            f"errors recorded: {self.errors}",
        ]
        if self.urls:
            out.append(f"source URLs: {self.urls} (fetched: {self.fetched_ok}, not fetched: {self.fetch_failed})")
        if self.verdicts:
            out.append("in-force verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(self.verdicts.items())))
        if self.published_path:
            out.append(f"published: {self.published_path}")
        return out


def parse_inputs(items: Iterable, *, cutoff: dt.date = DEFAULT_CUTOFF) -> ParsedBatch:
    """Parse every RawInput; read/parse failures become SheetError values, never exceptions."""
    from atop_pipeline.codesheets.parser import NotACodesheetError, parse_bytes
    from atop_pipeline.codesheets.reading import RawInput, SheetReadError

    batch = ParsedBatch()
    for item in items:
        if not isinstance(item, RawInput):
            batch.errors.append(item)
            continue
        batch.inputs.append(item)
        try:
            batch.sheets.append(parse_bytes(item.data, item.source_file, cutoff=cutoff))
        except (SheetReadError, NotACodesheetError) as exc:
            batch.errors.append(exc.error)
    return batch


def read_and_parse(sheets_root: Path | str, *, cutoff: dt.date = DEFAULT_CUTOFF) -> ParsedBatch:
    """Read every sheet under a folder or zip and parse it."""
    from atop_pipeline.codesheets.reading import iter_inputs

    return parse_inputs(iter_inputs(sheets_root), cutoff=cutoff)
