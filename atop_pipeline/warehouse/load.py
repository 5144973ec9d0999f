"""Batch loading: validate lazily, quarantine failing sheets, load the rest in one transaction, idempotently."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import duckdb
import pandas as pd

from atop_pipeline.codesheets.model import Codesheet, SheetError
from atop_pipeline.warehouse.db import Warehouse, crash_point, utc_now
from atop_pipeline.warehouse.frames import CHILD_TABLES, sheet_frames
from atop_pipeline.warehouse.quarantine import ErrorRecord, error_frame, validate_sheet_frames
from atop_pipeline.warehouse.versions import copy_of_quarantined, plan_versions
from atop_pipeline.warehouse.reference import default_reference_dir, load_reference, reference_loaded
from atop_pipeline.warehouse.writer import delete_alliances, write_rows

#: Key of each sheet table (for write_rows).
_KEYS: dict[str, list[str]] = {
    "codesheets": ["sha256"],
    "answers": ["atopid", "number"],
    "alliances": ["atopid"],
    "members": ["atopid", "ordinal"],
    "provisions": ["atopid", "ordinal"],
    "alliance_references": ["atopid", "ordinal"],
    "citations": ["atopid", "question", "url"],
}


@dataclass
class LoadReport:
    """What a batch did: files read, sheets loaded / unchanged / quarantined, files that failed earlier."""

    read: int = 0  # input files seen (bytes received or failed to read)
    loaded: int = 0  # sheets that became the current version of their alliance
    quarantined: int = 0  # parsed sheets that failed validation
    unchanged: int = 0  # valid sheets whose bytes (and parser version) were already current
    copies: int = 0  # sheets that say the same as another sheet of the batch, kept as non-current copies
    errors: int = 0  # files that failed reading or parsing
    error_rows: int = 0  # new rows in ingest_errors
    loaded_atopids: list[int] = field(default_factory=list)
    quarantined_files: list[str] = field(default_factory=list)
    published: Path | None = None

    def summary(self) -> str:
        """One line for the command line."""
        return (
            f"read {self.read} files: {self.loaded} sheets loaded, {self.unchanged} unchanged, "
            f"{self.quarantined} quarantined, {self.errors} failed to read/parse "
            f"({self.error_rows} new ingest_errors rows)"
        )

    def as_dict(self) -> dict[str, object]:
        """JSON-ready counts (for asset metadata)."""
        return {
            "read": self.read, "loaded": self.loaded, "quarantined": self.quarantined,
            "unchanged": self.unchanged, "copies": self.copies, "errors": self.errors, "error_rows": self.error_rows,
            "published": str(self.published) if self.published else None,
        }


def _raw_text(data: bytes, encoding: str, kind: str) -> str | None:
    """The sheet's text as decoded by the reader; PDFs keep only their bytes (in raw_inputs)."""
    if kind != "txt" or not encoding or encoding == "pdf":
        return None
    from atop_pipeline.codesheets.encoding import DecodingProblem, decode_text

    try:
        # The reader's own decoding (a file may mix encodings line by line), not one codec for all.
        return decode_text(data).text
    except DecodingProblem:
        try:
            return data.decode(encoding, errors="replace")
        except LookupError:
            return None


def _dedupe_sheets(sheets: Iterable[Codesheet]) -> list[Codesheet]:
    """Identical bytes are one sheet, whatever their file names: keep the first."""
    seen: dict[str, Codesheet] = {}
    for s in sheets:
        seen.setdefault(s.sha256, s)
    return list(seen.values())


def _raw_frame(inputs: Iterable[object], received_at: dt.datetime) -> pd.DataFrame:
    rows: dict[str, dict[str, object]] = {}
    for item in inputs:
        data: bytes = item.data  # type: ignore[attr-defined]
        sha = getattr(item, "sha256", None) or hashlib.sha256(data).hexdigest()
        rows.setdefault(
            sha,
            {"sha256": sha, "size": len(data), "source_file": item.source_file,  # type: ignore[attr-defined]
             "data": bytes(data), "received_at": received_at},
        )
    return pd.DataFrame(list(rows.values()), columns=["sha256", "size", "source_file", "data", "received_at"])


def load_batch(
    wh: Warehouse,
    sheets: list[Codesheet],
    errors: list[SheetError],
    inputs: list,
    *,
    reference_dir: Path | None = None,
    now: dt.datetime | None = None,
    known_atopids: Iterable[int] | None = None,
) -> LoadReport:
    """Validate, quarantine and load one batch in a single transaction; running it twice changes nothing.

    `inputs` are the RawInput objects (source_file, data) as received, kept in raw_inputs whether or
    not they parsed. Reference tables are reloaded when `reference_dir` is given (or on first load).
    `known_atopids` are alliances of the same batch loaded in other chunks (references to them resolve).
    """
    now = now or utc_now()
    sheets = _dedupe_sheets(sheets)
    data_by_sha = {}
    for item in inputs:
        sha = getattr(item, "sha256", None) or hashlib.sha256(item.data).hexdigest()
        data_by_sha.setdefault(sha, item.data)
    raw_texts = {
        s.sha256: _raw_text(data_by_sha[s.sha256], s.encoding, s.kind) if s.sha256 in data_by_sha else None
        for s in sheets
    }
    report = LoadReport(
        read=len({getattr(i, "source_file", None) for i in inputs} | {e.source_file for e in errors}),
        errors=len({(e.source_file, e.sha256) for e in errors}),
    )
    with wh.connect() as con:
        con.begin()
        try:
            if reference_dir is not None or not reference_loaded(con):
                load_reference(con, reference_dir or default_reference_dir(), now=now)
            write_rows(con, "raw_inputs", _raw_frame(inputs, now), key=["sha256"], on_conflict="ignore")

            current = {
                atopid: (sha, version)
                for atopid, sha, version in con.execute(
                    "SELECT atopid, sha256, parser_version FROM codesheets WHERE is_current"
                ).fetchall()
            }
            # Several sheets for one alliance: agreeing copies load once, disagreeing ones wait.
            plan = plan_versions(sheets, {a: sha for a, (sha, _) in current.items()})
            known = {s.atopid for s in sheets if s.atopid is not None} | set(known_atopids or ())
            known |= {r[0] for r in con.execute("SELECT atopid FROM alliances").fetchall()}
            known |= {r[0] for r in con.execute("SELECT atopid FROM published_atop_alliances").fetchall()}
            frames = sheet_frames(plan.current, raw_texts=raw_texts, ingested_at=now)
            if plan.copy_sheets:
                copies = sheet_frames(plan.copy_sheets, raw_texts=raw_texts, ingested_at=now)["codesheets"]
                copies["is_current"] = False
                copies["duplicate_of"] = copies["sha256"].map(plan.copies)
                frames["codesheets"] = pd.concat([frames["codesheets"], copies], ignore_index=True)
            result = validate_sheet_frames(frames, plan.current + plan.copy_sheets, known_atopids=known)
            failures = list(plan.conflicts) + result.failures
            quarantined = set(result.quarantined) | plan.conflicted
            by_sha = {s.sha256: s for s in plan.current}
            for copy in plan.copy_sheets:  # a copy goes with the sheet it agrees with
                chosen = plan.copies[copy.sha256]
                if chosen in result.quarantined and copy.sha256 not in quarantined:
                    failures.append(copy_of_quarantined(copy, by_sha[chosen].source_file))
                    quarantined.add(copy.sha256)
            good = {t: f[~f["sha256"].isin(quarantined)].reset_index(drop=True) for t, f in result.frames.items()}
            report.quarantined = len(quarantined)
            report.quarantined_files = sorted(s.source_file for s in sheets if s.sha256 in quarantined)

            versions = good["codesheets"][good["codesheets"]["is_current"].astype(bool)]
            copy_rows = good["codesheets"][~good["codesheets"]["is_current"].astype(bool)]
            is_new = [current.get(int(a)) != (s, v) for a, s, v in zip(
                versions["atopid"], versions["sha256"], versions["parser_version"])]
            changed = versions.loc[pd.Series(is_new, index=versions.index, dtype=bool)]
            report.unchanged = len(versions) - len(changed)
            report.copies = len(copy_rows)
            changed_ids = [int(a) for a in changed["atopid"]]
            changed_shas = set(changed["sha256"])
            if changed_ids:
                _load_versions(con, changed)
                for table in CHILD_TABLES:
                    delete_alliances(con, table, changed_ids)
                    frame = good[table][good[table]["sha256"].isin(changed_shas)]
                    # validated a moment ago by validate_sheet_frames with the same models
                    write_rows(con, table, frame, key=_KEYS[table], validate=False)
            if not copy_rows.empty:
                _load_copies(con, copy_rows)
            report.loaded = len(changed_ids)
            report.loaded_atopids = sorted(changed_ids)

            records = [ErrorRecord.from_sheet_error(e) for e in errors] + failures
            report.error_rows = write_rows(
                con, "ingest_errors", error_frame(records, created_at=now), key=["error_id"], on_conflict="ignore"
            )
            crash_point("load")
            con.commit()
        except BaseException:
            con.rollback()
            raise
    return report


def _load_copies(con: duckdb.DuckDBPyConnection, copies: pd.DataFrame) -> None:
    """Keep copies as non-current versions naming the version they agree with (new rows, or updated)."""
    write_rows(con, "codesheets", copies, key=["sha256"], on_conflict="ignore", validate=False)
    con.register("_copies", copies[["sha256", "duplicate_of", "parser_version"]])
    try:
        con.execute(
            "UPDATE codesheets SET is_current = false, duplicate_of = v.duplicate_of, "
            "parser_version = v.parser_version FROM _copies AS v WHERE codesheets.sha256 = v.sha256"
        )
    finally:
        con.unregister("_copies")


def _load_versions(con: duckdb.DuckDBPyConnection, changed: pd.DataFrame) -> None:
    """Insert new sheet versions, refresh re-parsed ones, and make each the current version of its alliance."""
    write_rows(con, "codesheets", changed, key=["sha256"], on_conflict="ignore")
    refresh = changed[["sha256", "atopid", "parser_version", "answer_count", "member_count", "warnings_json",
                       "duplicate_of"]]
    con.register("_current_versions", refresh)
    try:
        # Same bytes parsed by a newer parser: keep ingested_at, update what the parser produced.
        con.execute(
            "UPDATE codesheets SET parser_version = v.parser_version, answer_count = v.answer_count, "
            "member_count = v.member_count, warnings_json = v.warnings_json, duplicate_of = v.duplicate_of "
            "FROM _current_versions AS v WHERE codesheets.sha256 = v.sha256"
        )
        con.execute(
            "UPDATE codesheets SET is_current = (codesheets.sha256 = v.sha256) "
            "FROM _current_versions AS v WHERE codesheets.atopid = v.atopid"
        )
    finally:
        con.unregister("_current_versions")


def ingest_folder(
    sheets: Path,
    warehouse: Path,
    *,
    reference_dir: Path | None = None,
    publish: bool = True,
    lock_timeout: float = 0.0,
) -> LoadReport:
    """Read every input under `sheets`, parse, validate, load into `warehouse` and (by default) publish it.

    Raises WarehouseLockedError if another ingest holds the warehouse for longer than `lock_timeout` s.
    """
    from atop_pipeline.codesheets import parser, reading
    from atop_pipeline.codesheets.model import SheetError as _SheetError

    inputs = []
    errors: list[SheetError] = []
    parsed: list[Codesheet] = []
    for item in reading.iter_inputs(sheets):
        if isinstance(item, _SheetError):
            errors.append(item)
            continue
        inputs.append(item)
        try:
            parsed.append(parser.parse_bytes(item.data, item.source_file))
        except Exception as exc:  # a bad sheet is a value: the batch goes on
            carried = getattr(exc, "error", None) or getattr(exc, "sheet_error", None)
            if isinstance(carried, _SheetError):
                errors.append(carried)
            else:
                errors.append(
                    _SheetError(
                        source_file=item.source_file,
                        sha256=hashlib.sha256(item.data).hexdigest(),
                        stage="parse",
                        error=type(exc).__name__,
                        message=f"{item.source_file}: the parser failed: {exc}",
                    )
                )
    wh = Warehouse(warehouse, lock_timeout=lock_timeout)
    with wh.lock():
        report = load_batch(wh, parsed, errors, inputs, reference_dir=reference_dir or default_reference_dir())
        if publish:
            report.published = wh.publish()
    return report
