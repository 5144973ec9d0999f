"""The core pipeline steps in order, as plain functions: read -> parse -> load -> fetch -> assess -> publish.

The Dagster assets call these same steps one by one; `run_ingest` chains them in a plain loop (used by
the benchmarks as the baseline for Dagster's overhead, and by tests).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


# ---------------------------------------------------------------------------------------------------
# Partition keys: one per alliance, so one sheet can be (re)materialized on its own.

#: Prefix of a codesheet partition key: `atop_6070`.
PARTITION_PREFIX = "atop_"
#: The partition for files whose ATOP ID cannot be read (unreadable files, non-sheets): they still go
#: through the batch so that their failure is recorded in `ingest_errors`.
UNIDENTIFIED_KEY = "atop_unidentified"


def partition_key(atopid: int | None) -> str:
    """The partition key of an alliance (`atop_6070`), or the unidentified key for None."""
    return UNIDENTIFIED_KEY if atopid is None else f"{PARTITION_PREFIX}{int(atopid)}"


def atopid_for_key(key: str) -> int | None:
    """The ATOP ID a partition key names, or None for the unidentified key or a foreign key."""
    suffix = key.removeprefix(PARTITION_PREFIX)
    return int(suffix) if suffix != key and suffix.isdigit() else None


#: A cheap ATOP-ID reader: (bytes, source_file) -> ATOP ID or None. `parser.peek_atopid` in production.
PeekFn = Callable[[bytes, str], "int | None"]


@dataclass(frozen=True)
class ScannedInput:
    """One input found in the sheet folder: its partition key, content hash and the read result."""

    key: str
    source_file: str
    sha256: str
    item: Any  # RawInput | SheetError


def _default_peek() -> PeekFn:
    from atop_pipeline.codesheets.parser import peek_atopid

    return peek_atopid


def _identify(item: Any, peek: PeekFn) -> int | None:
    """The input's ATOP ID: the cheap peek, else a full parse (a quirk the peek misses must not turn
    an alliance's sheet into an unidentified one); None when neither finds it."""
    try:
        atopid = peek(item.data, item.source_file)
    except Exception:  # noqa: BLE001 - a sheet the peek cannot read is parsed (and quarantined) later
        atopid = None
    if atopid is not None:
        return atopid
    from atop_pipeline.codesheets.parser import NotACodesheetError, parse_bytes
    from atop_pipeline.codesheets.reading import SheetReadError

    try:
        return parse_bytes(item.data, item.source_file).atopid
    except (SheetReadError, NotACodesheetError, ValueError):
        return None


def scan_inputs(items: Iterable, *, peek: PeekFn | None = None) -> list[ScannedInput]:
    """Key every read input by the alliance it describes (peeking its ATOP ID), in input order."""
    peek = peek or _default_peek()
    scanned: list[ScannedInput] = []
    for item in items:
        if isinstance(item, SheetError):
            # No bytes to hash: the error's identity stands in, so a fixed file counts as changed.
            digest = item.sha256 or f"{item.stage}:{item.error}"
            scanned.append(ScannedInput(UNIDENTIFIED_KEY, item.source_file, digest, item))
            continue
        atopid = _identify(item, peek)
        scanned.append(ScannedInput(partition_key(atopid), item.source_file, item.sha256, item))
    return scanned


def scan_folder(root: Path | str, *, peek: PeekFn | None = None) -> list[ScannedInput]:
    """Read every input under a sheet folder or zip once and key it by partition."""
    from atop_pipeline.codesheets.reading import iter_inputs

    return scan_inputs(iter_inputs(root), peek=peek)


def keys_in_order(scanned: Iterable[ScannedInput]) -> list[str]:
    """The distinct partition keys of a scan, in order of first appearance."""
    return list(dict.fromkeys(s.key for s in scanned))


def inputs_for_keys(scanned: Iterable[ScannedInput], keys: Iterable[str]) -> list:
    """The read results (RawInput | SheetError) whose partition key is among `keys`."""
    wanted = set(keys)
    return [s.item for s in scanned if s.key in wanted]


@dataclass(frozen=True)
class FolderChanges:
    """What a look at the sheet folder found since the last look (the sensor's plan for one tick)."""

    new_keys: list[str]  # partition keys not registered yet
    run_keys: dict[str, str]  # partition key -> run key (content digest) for new or changed files
    state: dict[str, str]  # source_file -> sha256 after this tick (the next cursor)
    deferred: int = 0  # changed partitions left for a later tick by the cap


def plan_folder_changes(
    scanned: list[ScannedInput],
    previous: dict[str, str],
    existing_keys: Iterable[str],
    *,
    max_runs: int = 25,
) -> FolderChanges:
    """Diff a folder scan against the last cursor by content hash; cap the run requests per tick.

    Files of deferred partitions keep their old hash in the state, so the next tick sees them again.
    """
    existing = set(existing_keys)
    changed_by_key: dict[str, list[ScannedInput]] = {}
    for s in scanned:
        if previous.get(s.source_file) != s.sha256:
            changed_by_key.setdefault(s.key, []).append(s)
    chosen = list(changed_by_key)[:max_runs]
    state = {s.source_file: previous[s.source_file] for s in scanned if s.source_file in previous}
    run_keys: dict[str, str] = {}
    for key in chosen:
        hasher = hashlib.sha256()
        for s in sorted(changed_by_key[key], key=lambda s: s.source_file):
            hasher.update(f"{s.source_file}\0{s.sha256}\n".encode())
            state[s.source_file] = s.sha256
        run_keys[key] = f"{key}:{hasher.hexdigest()[:16]}"
    new_keys = [k for k in keys_in_order(scanned) if k not in existing]
    return FolderChanges(new_keys, run_keys, state, deferred=len(changed_by_key) - len(chosen))


# ---------------------------------------------------------------------------------------------------
# Where things are, and the sheets when they come from a URL.

#: Sheets downloaded from a URL are kept here, named by content hash (like any other input).
DEFAULT_DOWNLOADS = Path("data/raw/downloads")


def is_url(source: str | Path) -> bool:
    """True when the sheet source is an http(s) URL rather than a folder or file."""
    return str(source).lower().startswith(("http://", "https://"))


def fetch_settings(
    *,
    user_agent: str | None = None,
    contact: str | None = None,
    min_interval: float | None = None,
    connect_timeout: float | None = None,
    read_timeout: float | None = None,
    allow_private: bool | None = None,
):  # -> sources.http.FetchSettings
    """FetchSettings from the ATOP_HTTP_* environment, with the given (non-None) values on top."""
    from atop_pipeline.sources.http import FetchSettings

    overrides = {
        "user_agent": user_agent or None,
        "contact": contact or None,
        "min_interval_s": min_interval,
        "connect_timeout_s": connect_timeout,
        "read_timeout_s": read_timeout,
        "allow_private_addresses": allow_private or None,
    }
    return FetchSettings.from_env(**{k: v for k, v in overrides.items() if v is not None})


def resolve_sheets(source: str | Path, *, download_dir: str | Path = DEFAULT_DOWNLOADS, settings=None) -> Path:
    """The local folder/file holding the sheets: `source` itself, or the download of a URL.

    A downloaded PDF or zip is kept under `download_dir` by content hash, so a re-run reads the same
    bytes and the batch keeps what it received.
    """
    if not is_url(source):
        return Path(source)
    from atop_pipeline.sources.fetch import download
    from atop_pipeline.sources.http import PoliteFetcher

    with PoliteFetcher(settings or fetch_settings()) as fetcher:
        return download(str(source), download_dir, fetcher)


# ---------------------------------------------------------------------------------------------------
# Tables and their pandera models.

#: Tables the load and reference steps write (checked on the `warehouse` asset); the source and
#: status tables are checked on their own assets.
WAREHOUSE_TABLES: tuple[str, ...] = (
    "raw_inputs",
    "codesheets",
    "answers",
    "alliances",
    "members",
    "provisions",
    "alliance_references",
    "citations",
    "ingest_errors",
    "cow_states",
    "published_atop_alliances",
    "published_atop_members",
)


def schema_for(table: str):  # -> type[pandera.DataFrameModel] | None
    """The pandera model a warehouse table's rows must satisfy (None for a table without one)."""
    from atop_pipeline.schemas import SCHEMAS

    return SCHEMAS.get(table)
