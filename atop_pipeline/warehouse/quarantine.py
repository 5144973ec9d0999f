"""Lazy pandera validation of a batch's frames -> the sheets to quarantine and one error row per failure."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping

import pandas as pd
import pandera.pandas as pa

from atop_pipeline.codesheets.model import Codesheet, SheetError
from atop_pipeline.schemas import ROW_CHECKS, schema_of

#: Column holding the question number in tables where each row belongs to one question.
_QUESTION_COLUMN = {"answers": "number", "provisions": "question", "alliance_references": "question", "citations": "question"}


@dataclass(frozen=True)
class ErrorRecord:
    """One row of `ingest_errors` before it gets its id and timestamp."""

    source_file: str
    sha256: str | None
    atopid: int | None
    stage: str
    error: str
    message: str
    table_name: str | None = None
    column_name: str | None = None
    question: int | None = None
    value: str | None = None

    @property
    def error_id(self) -> str:
        """Stable identity of the failure: the same failure of the same bytes hashes the same."""
        key = [self.source_file, self.sha256, self.stage, self.error, self.table_name, self.column_name,
               self.question, self.value]
        return hashlib.sha256(json.dumps(key, ensure_ascii=False).encode("utf-8")).hexdigest()

    @classmethod
    def from_sheet_error(cls, e: SheetError) -> ErrorRecord:
        """The record of a reading/parsing failure reported as a SheetError."""
        return cls(
            source_file=e.source_file, sha256=e.sha256, atopid=e.atopid, stage=e.stage, error=e.error,
            message=e.message, column_name=e.column, question=e.question, value=e.value,
        )


@dataclass
class ValidationResult:
    """The frames of the sheets that passed, the sha256 of those that did not, and why."""

    frames: dict[str, pd.DataFrame]
    quarantined: set[str] = field(default_factory=set)
    failures: list[ErrorRecord] = field(default_factory=list)


def validate_sheet_frames(
    frames: Mapping[str, pd.DataFrame],
    sheets: Iterable[Codesheet],
    *,
    known_atopids: set[int],
) -> ValidationResult:
    """Validate every table lazily; a sheet with any failure is quarantined from all tables."""
    by_sha = {s.sha256: s for s in sheets}
    failures: list[ErrorRecord] = []
    for table, frame in frames.items():
        schema = _schema_for(table, known_atopids)
        try:
            schema.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as exc:
            failures.extend(_records(table, frame, exc.failure_cases, schema, by_sha))
    quarantined = {f.sha256 for f in failures if f.sha256 is not None}
    good = {t: f[~f["sha256"].isin(quarantined)].reset_index(drop=True) for t, f in frames.items()}
    return ValidationResult(frames=good, quarantined=quarantined, failures=failures)


def _schema_for(table: str, known_atopids: set[int]) -> pa.DataFrameSchema:
    """The table's schema; for references, plus the batch-dependent existence check."""
    schema = schema_of(table)
    if table == "alliance_references":
        known = frozenset(known_atopids)
        exists = pa.Check(
            lambda s: s.map(lambda v: pd.isna(v) or int(v) in known).astype(bool),
            name="referenced_alliance_exists",  # not in this batch, the warehouse, or the published ATOP list
        )
        column = schema.columns["referenced_atopid"]
        schema = schema.update_column("referenced_atopid", checks=[*column.checks, exists])
    return schema


def _records(
    table: str,
    frame: pd.DataFrame,
    cases: pd.DataFrame,
    schema: pa.DataFrameSchema,
    by_sha: Mapping[str, Codesheet],
) -> list[ErrorRecord]:
    """One ErrorRecord per (row, check[, column]) failure, mapped back to its sheet."""
    out: dict[str, ErrorRecord] = {}
    indexed_columns = {c for c, i in zip(cases["column"], cases["index"]) if _is_index(i)}
    coerce_failed = {(c, i) for c, i, k in zip(cases["column"], cases["index"], cases["check"])
                     if str(k).startswith("coerce_dtype")}
    grouped: dict[tuple[object, str], list[tuple[object, object]]] = {}
    for column, index, check, value in zip(cases["column"], cases["index"], cases["check"], cases["failure_case"]):
        check = str(check)
        if check.startswith("dtype(") and (column, index) in coerce_failed:
            continue  # the coercion failure already says it
        if not _is_index(index):
            if column in indexed_columns:
                continue  # a check that crashed on values already reported row by row
            rows: list[object] = list(frame.index)  # a table-wide failure: every sheet in the table
        else:
            rows = [int(index)]  # type: ignore[call-overload]
        for row in rows:
            grouped.setdefault((row, check), []).append((column, value))
    for (row, check), cols in grouped.items():
        record = frame.loc[row]
        sha = record.get("sha256")
        sheet = by_sha.get(sha) if isinstance(sha, str) else None
        if check in ROW_CHECKS:
            spec = ROW_CHECKS[check]
            columns = [c for c in spec.columns if c in frame.columns]
            if check == "mem_codes_in_cow_list":  # name only the offending mem columns
                columns = [c for c in columns if _present(record[c]) and _present_unknown(record[c])] or columns
            column_name = ",".join(columns)
            value = ", ".join(f"{c}={_text(record[c])}" for c in columns)
            question = spec.question
            detail = spec.description
        else:
            names = [str(c) for c, _ in cols if c is not None and not (isinstance(c, float) and math.isnan(c))]
            names = list(dict.fromkeys(names))
            column_name = ",".join(names) or None
            if len(names) > 1:
                value = ", ".join(f"{c}={_text(record[c])}" for c in names if c in frame.columns)
            else:
                value = _text(cols[0][1])
            question = _question(table, names, record, schema)
            detail = ""
        atopid = _maybe_int(record.get("atopid"))
        source_file = sheet.source_file if sheet else "?"
        message = (
            f"{source_file}: {table}.{column_name or '*'} failed check {check!r}"
            + (f" (value {value})" if value is not None else "")
            + (f" -- {detail}" if detail else "")
            + (f"; ATOP ID {atopid}" if atopid is not None else "")
            + "; the sheet is quarantined."
        )
        rec = ErrorRecord(
            source_file=source_file, sha256=sha if isinstance(sha, str) else None, atopid=atopid,
            stage="validate", error=check, message=message, table_name=table, column_name=column_name,
            question=question, value=value,
        )
        out[rec.error_id] = rec
    return list(out.values())


def _question(table: str, columns: list[str], record: pd.Series, schema: pa.DataFrameSchema) -> int | None:
    """The codesheet question a failure concerns: the row's own question, else the column's."""
    qcol = _QUESTION_COLUMN.get(table)
    if qcol is not None:
        q = _maybe_int(record.get(qcol))
        if q is not None and 1 <= q <= 61:
            return q
    for c in columns:
        col = schema.columns.get(c)
        if col is not None and col.metadata and col.metadata.get("question"):
            return int(col.metadata["question"])
    return None


def _is_index(value: object) -> bool:
    if value is None:
        return False
    try:
        return not pd.isna(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and value is not pd.NA


def _present_unknown(value: object) -> bool:
    from atop_pipeline.schemas import COW_CODES, NON_COW_MEMBER_CODES

    try:
        code = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return True
    return code not in COW_CODES and code not in NON_COW_MEMBER_CODES


def _maybe_int(value: object) -> int | None:
    try:
        if value is None or pd.isna(value):  # type: ignore[arg-type]
            return None
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def _text(value: object) -> str | None:
    """The offending value as text ("NULL" for missing)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "NULL"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def error_frame(records: Iterable[ErrorRecord], *, created_at: dt.datetime) -> pd.DataFrame:
    """The `ingest_errors` rows for these records, one per distinct failure."""
    seen: dict[str, dict[str, object]] = {}
    for r in records:
        seen.setdefault(
            r.error_id,
            {
                "error_id": r.error_id, "source_file": r.source_file, "sha256": r.sha256, "atopid": r.atopid,
                "stage": r.stage, "error": r.error, "table_name": r.table_name, "column_name": r.column_name,
                "question": r.question, "value": r.value, "message": r.message, "created_at": created_at,
            },
        )
    columns = ["error_id", "source_file", "sha256", "atopid", "stage", "error", "table_name", "column_name",
               "question", "value", "message", "created_at"]
    return pd.DataFrame(list(seen.values()), columns=columns, dtype=object)
