"""The core pipeline steps in order, as plain functions: read -> parse -> load -> fetch -> assess -> publish.

The Dagster assets call these same steps one by one; `run_ingest` chains them in a plain loop (used by
the benchmarks as the baseline for Dagster's overhead, and by tests).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
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
    copies: int = 0
    errors: int = 0
    urls: int = 0
    fetched_ok: int = 0
    fetch_failed: int = 0
    unreachable: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    published_path: str = ""
    report_path: str = ""

    @classmethod
    def from_metadata(cls, values: dict[str, Any]) -> IngestSummary:
        """The summary from a Dagster run's materialization metadata (`"<asset>:<key>" -> value`)."""
        summary = cls()
        for name in ("files_read", "sheets_parsed", "loaded", "quarantined", "unchanged", "copies", "errors"):
            setattr(summary, name, int(values.get(f"codesheets:{name}", 0) or 0))
        for name in ("urls", "fetched_ok", "fetch_failed", "unreachable"):
            setattr(summary, name, int(values.get(f"source_documents:{name}", 0) or 0))
        prefix = "in_force_status:verdict_"
        summary.verdicts = {k[len(prefix):]: int(v) for k, v in values.items() if k.startswith(prefix)}
        summary.published_path = str(values.get("published_warehouse:dagster/uri", "") or "")
        summary.report_path = str(values.get("status_report:dagster/uri", "") or "")
        return summary

    def lines(self) -> list[str]:
        """Human-readable summary lines."""
        out = [
            f"files read: {self.files_read}",
            f"sheets parsed: {self.sheets_parsed}",
            f"sheets loaded: {self.loaded} (unchanged: {self.unchanged})",
            *([f"copies of another sheet of the batch (kept, not loaded twice): {self.copies}"] if self.copies else []),
            f"sheets quarantined: {self.quarantined}",
            f"errors recorded: {self.errors}",
        ]
        if self.urls:
            out.append(
                f"source URLs: {self.urls} (fetched: {self.fetched_ok}, not fetched: {self.fetch_failed}, "
                f"unreachable: {self.unreachable})"
            )
        if self.verdicts:
            out.append("in-force verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(self.verdicts.items())))
        if self.published_path:
            out.append(f"published: {self.published_path}")
        if self.report_path:
            out.append(f"status report: {self.report_path}")
        return out


def parse_inputs(items: Iterable, *, cutoff: dt.date = DEFAULT_CUTOFF) -> ParsedBatch:
    """Parse every input (a RawInput or anything with source_file, sha256 and data); read and parse
    failures become SheetError values, never exceptions."""
    from atop_pipeline.codesheets.parser import NotACodesheetError, parse_bytes
    from atop_pipeline.codesheets.reading import SheetReadError

    batch = ParsedBatch()
    for item in items:
        if isinstance(item, SheetError):
            batch.errors.append(item)
            continue
        batch.inputs.append(item)
        key = (item.sha256, item.source_file, cutoff)
        parsed = _PARSED.get(key)
        if parsed is None:
            try:
                parsed = parse_bytes(item.data, item.source_file, cutoff=cutoff)
            except (SheetReadError, NotACodesheetError) as exc:
                parsed = exc.error
            _remember(key, parsed)
        if isinstance(parsed, SheetError):
            batch.errors.append(parsed)
        else:
            batch.sheets.append(parsed)
    return batch


#: Sheets parsed in this process, by (sha256, source file, cut-off): a run's later steps (the status
#: step re-reads current sheets) and the folder scan reuse a parse instead of repeating it. Bounded:
#: a parsed sheet is ~30 KB, so this holds at most ~60 MB. Parsing is a pure function of the key.
_PARSED: dict[tuple[str, str, dt.date], Any] = {}
_PARSED_MAX = 2048


def _remember(key: tuple[str, str, dt.date], parsed: Any) -> None:
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.pop(next(iter(_PARSED)))  # the oldest (dicts keep insertion order)
    _PARSED[key] = parsed


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


#: ATOP ID found for each content hash in this process (the command's scan and the run's scan of
#: the same folder, the sensor's ticks): a few bytes per file, so unbounded in practice.
_IDENTIFIED: dict[str, int | None] = {}


def _identify(item: Any, peek: PeekFn) -> int | None:
    """The input's ATOP ID (remembered by content hash for the production peek)."""
    if peek is not _default_peek():
        return _identify_uncached(item, peek)
    if item.sha256 not in _IDENTIFIED:
        _IDENTIFIED[item.sha256] = _identify_uncached(item, peek)
    return _IDENTIFIED[item.sha256]


def _identify_uncached(item: Any, peek: PeekFn) -> int | None:
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

#: Tables the source and status steps write (checked on their own assets).
SOURCE_TABLES: tuple[str, ...] = ("source_documents", "source_snapshots", "source_readings")
STATUS_TABLES: tuple[str, ...] = ("in_force_status",)


def warehouse_tables() -> list[str]:
    """Tables the load and reference steps write (checked on the `warehouse` asset): every other
    table with a pandera model, so a table added to the registry is checked with no change here."""
    import atop_pipeline.warehouse  # noqa: F401 - imported first: `schemas` alone hits a schemas<->warehouse import cycle
    from atop_pipeline.schemas import SCHEMAS

    return [t for t in SCHEMAS if t not in SOURCE_TABLES + STATUS_TABLES]


def schema_for(table: str):  # -> type[pandera.DataFrameModel] | None
    """The pandera model a warehouse table's rows must satisfy (None for a table without one)."""
    import atop_pipeline.warehouse  # noqa: F401 - imported first: `schemas` alone hits a schemas<->warehouse import cycle
    from atop_pipeline.schemas import SCHEMAS

    return SCHEMAS.get(table)


# ---------------------------------------------------------------------------------------------------
# The read-only queries this module runs for metadata and checks, in one place. Table names come
# from the pandera registry (`SCHEMAS`, an allow-list), values are always bound parameters.

_Q_QUARANTINE = (
    "SELECT source_file, stage, error, table_name, column_name, question, value, message "
    "FROM ingest_errors WHERE list_contains(?, source_file) ORDER BY source_file, stage, error"
)
_Q_CITED_URLS = "SELECT url, count(DISTINCT atopid) AS cited_by FROM citations GROUP BY url ORDER BY min(atopid), url"
_Q_KNOWN_FIRST_SEEN = "SELECT url, first_seen_at FROM source_documents WHERE list_contains(?, url)"
_Q_LATEST_SNAPSHOTS = (
    "SELECT * FROM source_snapshots "
    # The latest snapshot that gave a page, else the latest attempt: a failed re-fetch must not erase
    # what the last good snapshot showed (tests/reliability/test_network_faults.py).
    "QUALIFY row_number() OVER (PARTITION BY url ORDER BY outcome IN ('ok', 'not_modified') DESC, "
    "fetched_at DESC, snapshot_id DESC) = 1"
)
_Q_READINGS_FOR = "SELECT * FROM source_readings WHERE list_contains(?, snapshot_id)"
_Q_INCOMPLETE = (
    "SELECT atopid, source_file, answer_count FROM codesheets "
    "WHERE is_current AND answer_count <> ? ORDER BY atopid"
)
_Q_DANGLING = """
SELECT 'alliance_references' AS "table", atopid, 'referenced_atopid' AS "column",
       referenced_atopid AS value, context AS detail
FROM alliance_references
WHERE referenced_atopid NOT IN (SELECT atopid FROM alliances UNION SELECT atopid FROM published_atop_alliances)
UNION ALL
SELECT 'members', atopid, 'member', member, 'not in cow_states'
FROM members
WHERE member NOT IN (SELECT ccode FROM cow_states) AND NOT list_contains(?, member)
ORDER BY 1, 2, 4
"""
_Q_AGREEMENT = "SELECT determined, agree, rate FROM reconciliation_summary WHERE variable = '(all)'"
_Q_DISAGREEMENTS = (
    "SELECT atopid, variable, parsed_value, published_value FROM reconciliation "
    "WHERE agree = false ORDER BY atopid, variable LIMIT ?"
)
#: Columns holding raw bytes: counted and validated, never previewed.
_BLOB_COLUMNS = frozenset({"data", "body"})


def _table_sql(table: str) -> str:
    """`table` checked against the pandera registry before it is used as an identifier."""
    from atop_pipeline.schemas import SCHEMAS

    if table not in SCHEMAS:
        raise ValueError(f"not a warehouse table: {table!r}")
    return table


# ---------------------------------------------------------------------------------------------------
# Step: load (read -> parse -> validate/quarantine -> load into the working warehouse).


def open_warehouse(path: str | Path, *, lock_timeout: float = 600.0):  # -> warehouse.db.Warehouse
    """The core Warehouse for a published path; waits up to `lock_timeout` s for another writer."""
    from atop_pipeline.warehouse.db import Warehouse

    return Warehouse(path, lock_timeout=lock_timeout)


@dataclass
class SheetLoad:
    """What the load step did with one batch of inputs."""

    files_read: int = 0
    sheets_parsed: int = 0
    loaded: int = 0
    unchanged: int = 0
    quarantined: int = 0
    copies: int = 0  # sheets saying the same as another sheet of the batch, kept as non-current copies
    errors: int = 0  # files that failed reading or parsing
    error_rows: int = 0
    loaded_atopids: list[int] = field(default_factory=list)
    failed_files: list[str] = field(default_factory=list)  # quarantined or failed, by source_file
    quarantine: Any = None  # DataFrame: the ingest_errors rows of the failed files

    def counts(self) -> dict[str, int]:
        """The counts, named like IngestSummary's fields."""
        return {
            "files_read": self.files_read,
            "sheets_parsed": self.sheets_parsed,
            "loaded": self.loaded,
            "unchanged": self.unchanged,
            "quarantined": self.quarantined,
            "copies": self.copies,
            "errors": self.errors,
        }

    def lines(self) -> list[str]:
        """Human-readable summary lines."""
        return [f"{k.replace('_', ' ')}: {v}" for k, v in self.counts().items()]

    def quarantine_frame(self):
        """The ingest_errors rows of this batch's failed files (empty frame when none failed)."""
        import pandas as pd

        return self.quarantine if self.quarantine is not None else pd.DataFrame()


#: Sheets validated and loaded per transaction. pandera copies every frame it validates, so one
#: transaction for a whole batch grows memory with the batch; chunks keep it flat (benchmarks/).
LOAD_CHUNK_SHEETS = 400


def load_inputs(
    wh,
    items: Iterable,
    *,
    cutoff: dt.date = DEFAULT_CUTOFF,
    reference_dir: Path | str | None = None,
    chunk_sheets: int = LOAD_CHUNK_SHEETS,
    scanned: list[ScannedInput] | None = None,
) -> SheetLoad:
    """Parse the read inputs and load them (quarantining bad sheets) into the working warehouse.

    Parsed and loaded in chunks of about `chunk_sheets` inputs, each its own transaction, so memory
    stays flat whatever the batch size: every input of one alliance (by its peeked ATOP ID; pass the
    folder scan as `scanned` to reuse it) is in the same chunk, so copies and conflicts are decided
    together, and references to alliances of other chunks resolve. Readers never see the chunks:
    they read the published file.
    """
    from atop_pipeline.warehouse.load import load_batch

    scanned = scan_inputs(items) if scanned is None else scanned
    outcome = SheetLoad(files_read=len({s.source_file for s in scanned}))
    if not scanned:
        return outcome
    groups: dict[str, list[ScannedInput]] = {}
    for s in scanned:
        groups.setdefault(s.key, []).append(s)
    known = {a for a in (atopid_for_key(k) for k in groups) if a is not None}
    failed: set[str] = set()
    for number, chunk in enumerate(_chunks(groups, chunk_sheets)):
        batch = parse_inputs((s.item for s in chunk), cutoff=cutoff)
        outcome.sheets_parsed += len(batch.sheets)
        failed.update(e.source_file for e in batch.errors)
        report = load_batch(wh, batch.sheets, batch.errors, batch.inputs, known_atopids=known,
                            reference_dir=Path(reference_dir) if reference_dir and number == 0 else None)
        outcome.loaded += report.loaded
        outcome.unchanged += report.unchanged
        outcome.copies += report.copies
        outcome.quarantined += report.quarantined
        outcome.errors += report.errors
        outcome.error_rows += report.error_rows
        outcome.loaded_atopids.extend(report.loaded_atopids)
        failed.update(report.quarantined_files)
    outcome.loaded_atopids.sort()
    outcome.failed_files = sorted(failed)
    with wh.connect() as con:
        outcome.quarantine = con.execute(_Q_QUARANTINE, [outcome.failed_files]).df()
    return outcome


def load_partitions(wh, root: Path | str, keys: Iterable[str], *, cutoff: dt.date = DEFAULT_CUTOFF) -> SheetLoad:
    """Load the inputs under `root` whose partition key is among `keys` (one run of `codesheets`).

    Inputs whose bytes are already the current version under this parser (or already failed to
    read or parse) would load as "unchanged": they are counted so without being parsed, so a run over
    a wide partition range with a few changed sheets parses only those.
    """
    wanted = set(keys)
    scanned = [s for s in scan_folder(root) if s.key in wanted]
    settled = settled_hashes(wh.published_path)
    todo = [s for s in scanned if s.sha256 not in settled]
    outcome = load_inputs(wh, [s.item for s in todo], cutoff=cutoff, scanned=todo)
    outcome.files_read += len(scanned) - len(todo)
    outcome.unchanged += len(scanned) - len(todo)
    return outcome


def _chunks(groups: dict[str, list[ScannedInput]], size: int) -> list[list[ScannedInput]]:
    """Whole alliances per chunk, about `size` inputs each (an alliance larger than that alone)."""
    chunks: list[list[ScannedInput]] = [[]]
    for group in groups.values():
        if chunks[-1] and len(chunks[-1]) + len(group) > size:
            chunks.append([])
        chunks[-1].extend(group)
    return chunks


@dataclass(frozen=True)
class TablePreview:
    """A table's row count and its first rows (byte columns left out)."""

    row_count: int
    head: Any  # DataFrame


def table_preview(wh, table: str, *, rows: int = 10) -> TablePreview:
    """Row count and first rows of a warehouse table, for metadata."""
    name = _table_sql(table)
    with wh.connect() as con:
        count = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]  # name from the allow-list
        head = con.execute(f"SELECT * FROM {name} LIMIT ?", [rows]).df()
    return TablePreview(int(count), head.drop(columns=[c for c in head.columns if c in _BLOB_COLUMNS]))


# ---------------------------------------------------------------------------------------------------
# Step: warehouse (reference tables, reconciliation with published ATOP).


@dataclass
class Agreement:
    """Derived ATOP values compared with the published ones (the `reconciliation` views)."""

    compared: int
    agreeing: int
    rate: float
    disagreements: Any  # DataFrame sample: atopid, variable, parsed_value, published_value


@dataclass
class WarehouseSummary:
    """The working warehouse after the reference refresh."""

    table_rows: dict[str, int]
    agreement: Agreement
    working_path: str

    @property
    def agreement_rate(self) -> float:
        """Share of determined values agreeing with published ATOP (1.0 when none compared)."""
        return self.agreement.rate

    @property
    def disagreements(self):
        """A sample of the disagreeing values."""
        return self.agreement.disagreements

    def lines(self) -> list[str]:
        """Human-readable summary lines."""
        rows = ", ".join(f"{k} {v}" for k, v in self.table_rows.items())
        return [f"tables: {rows}", f"agreement with ATOP 5.1: {self.agreement.rate:.3f} of {self.agreement.compared} values"]


def _agreement(con, *, sample: int = 20) -> Agreement:
    determined, agreeing, rate = con.execute(_Q_AGREEMENT).fetchone() or (0, 0, None)
    disagreements = con.execute(_Q_DISAGREEMENTS, [sample]).df()
    return Agreement(int(determined or 0), int(agreeing or 0), float(rate) if rate is not None else 1.0, disagreements)


def prepare_warehouse(wh, *, reference_dir: Path | str | None = None) -> WarehouseSummary:
    """Refresh the reference tables (COW, published ATOP 5.1) and measure agreement with ATOP 5.1."""
    from atop_pipeline.warehouse.reference import default_reference_dir, load_reference

    directory = Path(reference_dir) if reference_dir and Path(reference_dir).is_dir() else default_reference_dir()
    with wh.connect() as con:
        con.begin()
        try:
            load_reference(con, directory)
            con.commit()
        except BaseException:
            con.rollback()
            raise
        rows = {t: int(con.execute(f"SELECT count(*) FROM {_table_sql(t)}").fetchone()[0])
                for t in ("codesheets", "alliances", "members", "answers", "citations", "ingest_errors",
                          "cow_states", "published_atop_alliances")}
        agreement = _agreement(con)
    return WarehouseSummary(rows, agreement, str(wh.working_path))


def agreement_with_published(wh, *, sample: int = 20) -> Agreement:
    """Agreement of the derived ATOP values with published ATOP 5.1, with a sample of disagreements."""
    with wh.connect() as con:
        return _agreement(con, sample=sample)


# ---------------------------------------------------------------------------------------------------
# Checks the Dagster layer (and the plain loop) run against the working warehouse.


@dataclass
class TableCheck:
    """A table validated against its pandera model: rows read and the failure cases."""

    table: str
    rows: int
    failure_cases: Any  # DataFrame (pandera's failure_cases), empty when valid
    reused: bool = False  # the same rows passed the same model before (table_validations)

    @property
    def num_failures(self) -> int:
        """Number of failure cases."""
        return len(self.failure_cases)


def check_table(wh, table: str, model: Any = None) -> TableCheck:
    """Read a whole table from the working warehouse and validate it lazily against its pandera model."""
    import pandas as pd
    import pandera.pandas as pa

    model = model or schema_for(table)
    name = _table_sql(table)  # from the allow-list
    digest = _model_digest(model)
    with wh.connect() as con:
        # Row count and the sum and xor of every row's hash: an order-free fingerprint, like validation.
        rows, fingerprint = con.execute(
            f"SELECT count(*), count(*)::VARCHAR || ':' || coalesce(sum(hash(t))::VARCHAR, '0') || ':' "
            f"|| coalesce(bit_xor(hash(t))::VARCHAR, '0') FROM {name} AS t"
        ).fetchone()
        if con.execute(_Q_VALIDATED, [table, fingerprint, digest]).fetchone():
            # The same rows passed the same model before: validating them again cannot differ.
            return TableCheck(table, int(rows), pd.DataFrame(), reused=True)
        frame = con.execute(f"SELECT * FROM {name}").df()
    try:
        model.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.copy()
        cases["failure_case"] = cases["failure_case"].astype(str)
        return TableCheck(table, len(frame), cases.reset_index(drop=True))
    with wh.connect() as con:
        con.execute(_Q_REMEMBER_VALIDATION, [table, int(rows), fingerprint, digest])
    return TableCheck(table, len(frame), pd.DataFrame())


_Q_VALIDATED = "SELECT 1 FROM table_validations WHERE table_name = ? AND fingerprint = ? AND model_digest = ?"
_Q_REMEMBER_VALIDATION = (
    "INSERT OR REPLACE INTO table_validations VALUES (?, ?, ?, ?, now()::TIMESTAMP)"
)


@functools.cache
def _schemas_source_digest() -> str:
    """sha256 of the schema package's source and the pandera version (what a model's checks are)."""
    import pandera

    import atop_pipeline.schemas as schemas_package

    hasher = hashlib.sha256(pandera.__version__.encode())
    for path in sorted(Path(schemas_package.__file__).parent.glob("*.py")):
        hasher.update(path.name.encode() + b"\0" + path.read_bytes())
    return hasher.hexdigest()


def _model_digest(model: Any) -> str:
    """Identity of the model a table is validated against (its name, its package's code)."""
    return f"{getattr(model, '__name__', type(model).__name__)}:{_schemas_source_digest()}"


def incomplete_sheets(wh):
    """Current sheets with fewer (or more) than the 61 answers (DataFrame: atopid, source_file, answer_count)."""
    from atop_pipeline.codesheets.model import QUESTION_COUNT

    with wh.connect() as con:
        return con.execute(_Q_INCOMPLETE, [QUESTION_COUNT]).df()


def dangling_references(wh):
    """References to alliances that exist nowhere, and members that are not COW states (DataFrame)."""
    from atop_pipeline.schemas import NON_COW_MEMBER_CODES

    with wh.connect() as con:
        return con.execute(_Q_DANGLING, [sorted(NON_COW_MEMBER_CODES)]).df()


@dataclass(frozen=True)
class CheckOutcome:
    """One check in the plain loop: its name, whether it passed, whether a failure stops publishing."""

    name: str
    passed: bool
    blocking: bool
    num_failures: int


def run_checks(wh, *, agreement_threshold: float = 0.9, tables: Iterable[str] | None = None) -> list[CheckOutcome]:
    """The same checks the Dagster job runs, for the plain loop: schemas, completeness, references, agreement."""
    from atop_pipeline.schemas import SCHEMAS

    outcomes = []
    for table in tables or SCHEMAS:
        result = check_table(wh, table)
        outcomes.append(CheckOutcome(f"{table}_matches_schema", result.num_failures == 0, True, result.num_failures))
    incomplete = len(incomplete_sheets(wh))
    outcomes.append(CheckOutcome("sheets_have_61_answers", incomplete == 0, False, incomplete))
    dangling = len(dangling_references(wh))
    outcomes.append(CheckOutcome("references_resolve", dangling == 0, True, dangling))
    agreement = agreement_with_published(wh)
    ok = agreement.compared == 0 or agreement.rate >= agreement_threshold
    outcomes.append(CheckOutcome("agrees_with_published_atop", ok, False, len(agreement.disagreements)))
    return outcomes


# ---------------------------------------------------------------------------------------------------
# Step: publish.


@dataclass(frozen=True)
class Published:
    """The published warehouse file after an atomic replace."""

    path: str
    size_bytes: int
    table_rows: dict[str, int]


def publish(wh) -> Published:
    """Atomically publish the working warehouse; returns the file and its main tables' row counts."""
    path = wh.publish()
    with wh.read_published() as con:
        rows = {t: int(con.execute(f"SELECT count(*) FROM {_table_sql(t)}").fetchone()[0])
                for t in ("codesheets", "alliances", "members", "in_force_status", "source_snapshots")}
    return Published(str(path), Path(path).stat().st_size, rows)


# ---------------------------------------------------------------------------------------------------
# Step: fetch the cited sources (or record them as offline) and read them.


@dataclass
class SourcesReport:
    """What the source step fetched: outcomes by kind, readings, the URLs."""

    urls: list[str] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)  # outcome -> count (fallback fetches included)
    readings: int = 0
    offline: bool = False

    @property
    def fetched_ok(self) -> int:
        """Fetches that gave a page (200, or 304 with the stored page)."""
        return sum(v for k, v in self.outcomes.items() if k in {"ok", "not_modified"})

    @property
    def unreachable(self) -> int:
        """Fetches whose host could not be reached (offline, timeout, connection error, circuit open)."""
        return sum(v for k, v in self.outcomes.items() if k in {"timeout", "connection_error", "offline", "host_down"})

    def counts(self) -> dict[str, int]:
        """The counts, named like IngestSummary's fields."""
        total = sum(self.outcomes.values())
        return {"urls": len(self.urls), "fetched_ok": self.fetched_ok, "fetch_failed": total - self.fetched_ok,
                "unreachable": self.unreachable, "readings": self.readings}

    def lines(self) -> list[str]:
        """Human-readable summary lines."""
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())) or "none"
        return [f"source URLs: {len(self.urls)}{' (offline run)' if self.offline else ''}", f"outcomes: {kinds}",
                f"readings: {self.readings}"]


def snapshot_root(wh) -> Path:
    """Where raw source bodies are kept by content hash: beside the published warehouse file."""
    from atop_pipeline.sources.commands import snapshot_root as root_for

    return root_for(Path(wh.published_path))


def _offline_documents(urls: list[str]) -> list[tuple[Any, None]]:
    """An `offline` outcome per URL, sending nothing: the run records that sources were not consulted."""
    from atop_pipeline.sources.http import FetchOutcome

    now = dt.datetime.now(dt.timezone.utc)
    return [
        (FetchOutcome(snapshot_id=hashlib.sha256(f"{url}\0{now.isoformat()}".encode()).hexdigest()[:32], url=url,
                      final_url=url, fetched_at=now, outcome="offline", error_message="offline run: not fetched"), None)
        for url in urls
    ]


def _record_frame(records: Iterable[Any]):
    """Dataclass records as a frame with real dates and naive-UTC timestamps (what the models and DuckDB expect).

    The core's `*_row` helpers give ISO text for JSON output; the warehouse stores DATE and TIMESTAMP.
    """
    import dataclasses

    import pandas as pd

    rows = []
    for record in records:
        row = dataclasses.asdict(record)
        for key, value in row.items():
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                row[key] = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        rows.append(row)
    return pd.DataFrame(rows)


def _snapshot_frame(documents: list[tuple[Any, Any]]):
    import pandas as pd

    rows = []
    for outcome, _ in documents:
        row = outcome.to_record()
        row["fetched_at"] = outcome.fetched_at.astimezone(dt.timezone.utc).replace(tzinfo=None)
        row["body"] = outcome.body
        rows.append(row)
    return pd.DataFrame(rows)


def fetch_sources(wh, settings=None, *, offline: bool = False, hosts: Iterable[str] | None = None) -> SourcesReport:
    """Fetch (or, offline, record as not fetched) every URL the current sheets cite; store and read them.

    Writes source_documents, source_snapshots and source_readings in one transaction. Nothing is
    overwritten: each fetch is a new snapshot row, and the raw bodies also go to the snapshot store.
    """
    # Held across the fetch too: a second process fetching the same hosts at the same time would
    # defeat the per-host interval, and unlike a Dagster pool slot an flock dies with its process.
    with wh.lock():
        return _fetch_sources_locked(wh, settings, offline=offline, hosts=hosts)


def _fetch_sources_locked(wh, settings, *, offline: bool, hosts: Iterable[str] | None) -> SourcesReport:
    import pandas as pd

    from atop_pipeline.sources.documents import fetch_source_documents
    from atop_pipeline.sources.http import PoliteFetcher
    from atop_pipeline.sources.readers import host_of
    from atop_pipeline.sources.store import SnapshotStore
    from atop_pipeline.warehouse.db import utc_now
    from atop_pipeline.warehouse.writer import write_rows

    with wh.connect() as con:
        cited = con.execute(_Q_CITED_URLS).df()
    wanted = {h.lower() for h in hosts} if hosts else None
    if wanted is not None:
        cited = cited[[host_of(u) in wanted for u in cited["url"]]]
    urls = list(cited["url"])
    if offline or not urls:
        documents = _offline_documents(urls)
    else:
        with PoliteFetcher(settings or fetch_settings(), store=SnapshotStore(snapshot_root(wh))) as fetcher:
            documents = fetch_source_documents(urls, fetcher)
    now = utc_now()
    report = SourcesReport(urls=urls, offline=offline)
    for outcome, _ in documents:
        report.outcomes[outcome.outcome] = report.outcomes.get(outcome.outcome, 0) + 1
    readings = [r for _, r in documents if r is not None]
    report.readings = len(readings)
    with wh.connect() as con:
        known = dict(con.execute(_Q_KNOWN_FIRST_SEEN, [urls]).fetchall())
        docs = pd.DataFrame({"url": urls, "host": [host_of(u) or "?" for u in urls],
                             "first_seen_at": [known.get(u, now) for u in urls],
                             "cited_by_count": list(cited["cited_by"])})
        con.begin()
        try:
            write_rows(con, "source_documents", docs, key=["url"])
            if documents:
                write_rows(con, "source_snapshots", _snapshot_frame(documents), key=["snapshot_id"], on_conflict="ignore")
            if readings:
                write_rows(con, "source_readings", _record_frame(readings), key=["snapshot_id", "reader"])
            con.commit()
        except BaseException:
            con.rollback()
            raise
    return report


# ---------------------------------------------------------------------------------------------------
# Step: assess in-force status from the stored sheets and the latest snapshot of each source.


@dataclass
class StatusReport:
    """The verdicts written for one as-of date."""

    as_of: dt.date
    verdicts: dict[str, int] = field(default_factory=dict)  # verdict -> count
    with_disagreements: int = 0
    assessed: int = 0  # verdicts computed by this run
    reused: int = 0  # verdicts already stored for the date from the same inputs

    def lines(self) -> list[str]:
        """Human-readable summary lines."""
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(self.verdicts.items())) or "none"
        return [f"in-force verdicts as of {self.as_of.isoformat()}: {kinds}",
                f"alliances with disagreements: {self.with_disagreements}",
                f"assessed now: {self.assessed}, kept (same inputs): {self.reused}"]


def _reading_from_row(row: dict[str, Any]):
    """A SourceReading rebuilt from its `source_readings` row."""
    import pandas as pd

    from atop_pipeline.sources.readers import SourceReading

    values = {}
    for name in SourceReading.__dataclass_fields__:
        value = row.get(name)
        if value is None or (not isinstance(value, (str, bytes, bool)) and pd.isna(value)):
            value = None
        elif isinstance(value, pd.Timestamp):
            value = value.date()
        elif isinstance(value, dt.datetime):
            value = value.date()
        values[name] = value
    values["denunciation"] = bool(values.get("denunciation"))
    return SourceReading(**values)


def stored_documents(con) -> list[tuple[Any, Any]]:
    """The latest snapshot of each fetched URL with its reading, as `fetch_source_documents` returns them."""
    import pandas as pd

    from atop_pipeline.sources.http import FetchOutcome

    snapshots = con.execute(_Q_LATEST_SNAPSHOTS).df()
    if snapshots.empty:
        return []
    readings = con.execute(_Q_READINGS_FOR, [list(snapshots["snapshot_id"])]).df()
    by_snapshot = {r["snapshot_id"]: r for r in readings.to_dict("records")}
    documents = []
    for row in snapshots.to_dict("records"):
        body = row.pop("body", None)
        record = {k: (None if not isinstance(v, (str, bytes, bool)) and v is not None and pd.isna(v) else v)
                  for k, v in row.items()}
        fetched = pd.Timestamp(record["fetched_at"]).to_pydatetime().replace(tzinfo=dt.timezone.utc)
        record["fetched_at"] = fetched.isoformat()
        for name in ("status_code", "size", "attempts"):
            if record.get(name) is not None:
                record[name] = int(record[name])
        outcome = FetchOutcome.from_record(record, body=bytes(body) if body is not None else None)
        reading = by_snapshot.get(row["snapshot_id"])
        documents.append((outcome, _reading_from_row(reading) if reading is not None else None))
    return documents


def _raw_input(data: bytes, source_file: str):
    from atop_pipeline.codesheets.reading import RawInput

    return RawInput(source_file, data)


_Q_CURRENT_VERSIONS = "SELECT atopid, sha256 FROM codesheets WHERE is_current ORDER BY atopid"
_Q_CITED_BY = "SELECT atopid, url FROM citations"
_Q_PRIOR_VERDICTS = "SELECT atopid, inputs_digest FROM in_force_status WHERE as_of = ?"
# A join on the unnested list, not list_contains(): that compares every row with the whole list.
_Q_INPUT_NAMES = (
    "SELECT r.sha256, r.source_file FROM raw_inputs AS r JOIN (SELECT unnest(?) AS sha256) AS w USING (sha256) "
    "ORDER BY r.sha256"
)
_Q_INPUT_BYTES = "SELECT r.sha256, r.data FROM raw_inputs AS r JOIN (SELECT unnest(?) AS sha256) AS w USING (sha256)"
_Q_VERDICT_COUNTS = (
    "SELECT verdict, count(*), count(*) FILTER (WHERE disagreements_json NOT IN ('[]', '') "
    "AND disagreements_json IS NOT NULL) FROM in_force_status WHERE as_of = ? AND list_contains(?, atopid) "
    "GROUP BY verdict"
)


def _assessor_version() -> str:
    """Identity of the code a verdict comes from: the parser version and the assessor's source."""
    import atop_pipeline.status as status_module
    from atop_pipeline.codesheets.parser import PARSER_VERSION

    digest = hashlib.sha256(Path(status_module.__file__).read_bytes()).hexdigest()[:16]
    return f"{PARSER_VERSION}:{digest}"


def _document_fingerprint(outcome: Any, reading: Any) -> list[Any]:
    """What a stored document gives the assessor, without when it was fetched: the outcome kind, the
    page's bytes and what was read from them. A repeated failure of the same kind is no change."""
    import dataclasses

    read = None
    if reading is not None:
        read = {k: v for k, v in dataclasses.asdict(reading).items() if k != "snapshot_id"}
    return [outcome.url, outcome.outcome, outcome.status_code, outcome.sha256, read]


def verdict_inputs(sheets: dict[int, str], cited: dict[int, list[str]], documents: list[tuple[Any, Any]] | None,
                   version: str) -> dict[int, str]:
    """A digest per alliance of everything its verdict for one as-of date depends on: the sheet's
    bytes, the documents of the URLs it cites, and the assessor's code."""
    by_url: dict[str, list[Any]] = {}
    for outcome, reading in documents or []:
        by_url.setdefault(outcome.url, []).append(_document_fingerprint(outcome, reading))
    out = {}
    for atopid, sha in sheets.items():
        docs = [by_url.get(u, []) for u in sorted(set(cited.get(atopid, [])))]
        payload = json.dumps([version, sha, documents is None, docs], sort_keys=True, default=str)
        out[atopid] = hashlib.sha256(payload.encode()).hexdigest()
    return out


def assess_status(wh, *, as_of: dt.date, cutoff: dt.date = DEFAULT_CUTOFF) -> StatusReport:
    """A verdict per current alliance as of `as_of`, from its sheet and its sources' latest snapshots.

    A verdict already stored for `as_of` from the same inputs (`in_force_status.inputs_digest`: the
    sheet's bytes, its sources' content and outcomes, the assessor's code) is kept as it is: only
    alliances whose inputs changed are re-parsed and re-assessed, so a re-run with nothing new costs
    no parsing. A new as-of date assesses everything.
    """
    from atop_pipeline.status import assess_all
    from atop_pipeline.warehouse.writer import write_rows

    with wh.connect() as con:
        versions = dict(con.execute(_Q_CURRENT_VERSIONS).fetchall())
        cited: dict[int, list[str]] = {}
        for atopid, url in con.execute(_Q_CITED_BY).fetchall():
            cited.setdefault(atopid, []).append(url)
        documents = stored_documents(con)
        prior = dict(con.execute(_Q_PRIOR_VERDICTS, [as_of]).fetchall())
        digests = verdict_inputs(versions, cited, documents or None, _assessor_version())
        stale = sorted(a for a, d in digests.items() if prior.get(a) != d)
        names = con.execute(_Q_INPUT_NAMES, [[versions[a] for a in stale]]).fetchall() if stale else []
        # Sheets this process has parsed already (the load step just did most) are taken as they are
        # now; bytes are read only for the others.
        cached = [_PARSED.get((sha, name, cutoff)) for sha, name in names]
        missing = [sha for (sha, _), hit in zip(names, cached) if hit is None]
        data = dict(con.execute(_Q_INPUT_BYTES, [missing]).fetchall()) if missing else {}
    batch = parse_inputs((_raw_input(bytes(data[sha]), name) for (sha, name), hit in zip(names, cached) if hit is None),
                         cutoff=cutoff)
    # A stored sheet that today's parser rejects gets no new verdict (its last one stays); the next
    # ingest of its file records why.
    sheets = [hit for hit in cached if isinstance(hit, Codesheet)] + batch.sheets
    verdicts = assess_all(sheets, documents or None, as_of)
    report = StatusReport(as_of=as_of, assessed=len(verdicts), reused=len(versions) - len(stale))
    if verdicts:
        frame = _record_frame(verdicts)
        frame["inputs_digest"] = [digests.get(v.atopid) for v in verdicts]
        with wh.connect() as con:
            con.begin()
            try:
                write_rows(con, "in_force_status", frame, key=["atopid", "as_of"])
                con.commit()
            except BaseException:
                con.rollback()
                raise
    with wh.connect() as con:
        for verdict, count, disagreeing in con.execute(_Q_VERDICT_COUNTS, [as_of, list(versions)]).fetchall():
            report.verdicts[verdict] = int(count)
            report.with_disagreements += int(disagreeing)
    return report


# ---------------------------------------------------------------------------------------------------
# The plain loop: every step in order, no orchestrator. Same work as ingest_job (checks included),
# so the benchmarks can measure what Dagster costs on top.


class BlockingCheckFailed(RuntimeError):
    """A blocking check failed, so the working warehouse was not published."""


def run_ingest(
    sheets: str | Path,
    warehouse: str | Path,
    *,
    offline: bool = False,
    as_of: dt.date | None = None,
    fetch_settings=None,
    reference_dir: str | Path | None = None,
    agreement_threshold: float = 0.9,
    reports_dir: str | Path | None = None,
) -> IngestSummary:
    """Read, parse, validate/load, check, fetch sources, assess, check and publish, in a plain loop.

    With `reports_dir`, also render the HTML status report there (the job's `status_report` step;
    pass it when comparing with the Dagster job). Without, nothing is written outside the warehouse's
    folder.

    Raises BlockingCheckFailed (and leaves the published file as it was) when a blocking check fails,
    exactly where the Dagster job would stop before `published_warehouse`.
    """
    from atop_pipeline.codesheets.reading import iter_inputs

    settings = fetch_settings
    as_of = as_of or dt.datetime.now(dt.timezone.utc).date()
    root = resolve_sheets(sheets, settings=settings)
    wh = open_warehouse(warehouse)
    # The writer lock for the whole run (re-entrant for this Warehouse object): another run must not
    # load between our checks and our publish. It waits `lock_timeout`, then fails naming the holder.
    with wh.lock():
        load = load_inputs(wh, list(iter_inputs(root)), reference_dir=reference_dir)
        prepare_warehouse(wh, reference_dir=reference_dir)
        _stop_on_blocking(run_checks(wh, agreement_threshold=agreement_threshold, tables=warehouse_tables()))
        sources = fetch_sources(wh, settings, offline=offline)
        status = assess_status(wh, as_of=as_of)
        _stop_on_blocking(run_checks(wh, agreement_threshold=agreement_threshold,
                                     tables=SOURCE_TABLES + STATUS_TABLES))
        published = publish(wh)
    report = render_status_report(published.path, reports_dir, as_of=as_of) if reports_dir else ""
    summary = IngestSummary(**load.counts(), urls=len(sources.urls), fetched_ok=sources.fetched_ok,
                            fetch_failed=sources.counts()["fetch_failed"], unreachable=sources.unreachable, verdicts=dict(status.verdicts),
                            published_path=published.path, report_path=str(report))
    return summary


def render_status_report(published_path: str | Path, reports_dir: str | Path, *, as_of: dt.date) -> Path:
    """The analyst's HTML status page for the published warehouse; returns the dated page."""
    from atop_pipeline.analyst.report import render_report

    return render_report(Path(published_path), Path(reports_dir), as_of=as_of)


def _stop_on_blocking(outcomes: list[CheckOutcome]) -> None:
    failed = [o for o in outcomes if o.blocking and not o.passed]
    if failed:
        raise BlockingCheckFailed("blocking checks failed: " + ", ".join(f"{o.name} ({o.num_failures})" for o in failed))


def cited_hosts(published_path: str | Path) -> list[str]:
    """The hosts of every URL the published warehouse's sheets cite (empty when nothing is published).

    Reads the PUBLISHED file read-only: schedules run in the code server and must never take the
    working file's writer lock. The published file is only ever replaced, never written in place.
    """
    import duckdb

    from atop_pipeline.sources.readers import host_of

    path = Path(published_path)
    if not path.exists():
        return []
    con = duckdb.connect(str(path), read_only=True)
    try:
        urls = [row[0] for row in con.execute("SELECT DISTINCT url FROM citations").fetchall()]
    finally:
        con.close()
    return sorted({h for h in (host_of(u) for u in urls) if h})


_Q_SETTLED_INPUTS = """
SELECT r.sha256 FROM raw_inputs AS r
WHERE EXISTS (SELECT 1 FROM codesheets AS c
              WHERE c.sha256 = r.sha256 AND c.is_current AND c.parser_version = $1)
   OR EXISTS (SELECT 1 FROM codesheets AS c JOIN codesheets AS k ON k.sha256 = c.duplicate_of
              WHERE c.sha256 = r.sha256 AND c.parser_version = $1 AND k.is_current AND k.parser_version = $1)
   OR (NOT EXISTS (SELECT 1 FROM codesheets AS c WHERE c.sha256 = r.sha256)
       AND EXISTS (SELECT 1 FROM ingest_errors AS e WHERE e.sha256 = r.sha256 AND e.stage IN ('read', 'parse'))
       AND NOT EXISTS (SELECT 1 FROM ingest_errors AS e
                       WHERE e.sha256 = r.sha256 AND e.stage NOT IN ('read', 'parse')))
"""


def settled_hashes(published_path: str | Path) -> set[str]:
    """Content hashes of inputs a new run would not change: nothing to re-read for them.

    A hash is settled when it is the current version of its alliance under this parser version, a
    copy of that current version (same content, other bytes: `codesheets.duplicate_of`), or when it
    failed to read or parse (its error row is already recorded). A version that is stored but
    not current (a file reverted to earlier bytes), a sheet quarantined by validation (whose
    references may now resolve) and anything under an older parser are not settled. Reads the
    PUBLISHED file read-only, so it never contends with a run's writer lock; an unpublished or
    missing warehouse settles nothing.
    """
    import duckdb

    from atop_pipeline.codesheets.parser import PARSER_VERSION

    path = Path(published_path)
    if not path.exists():
        return set()
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return set()
    try:
        return {row[0] for row in con.execute(_Q_SETTLED_INPUTS, [PARSER_VERSION]).fetchall()}
    except duckdb.Error:  # a warehouse from before these tables existed: re-read everything
        return set()
    finally:
        con.close()


def changed_keys(scanned: Iterable[ScannedInput], settled: set[str]) -> list[str]:
    """Partition keys with at least one input whose bytes are not settled, in scan order."""
    return list(dict.fromkeys(s.key for s in scanned if s.sha256 not in settled))
