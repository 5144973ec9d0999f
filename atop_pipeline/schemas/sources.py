"""Schemas of the treaty-source and in-force tables (filled by sources/ and status.py via write_rows)."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

SHA256 = r"^[0-9a-f]{64}$"

#: Every recorded outcome of a fetch: a failure is a snapshot too.
FETCH_OUTCOMES = [
    "ok", "not_modified", "http_error", "not_found", "robots_disallowed", "timeout", "connection_error",
    "offline", "host_down", "too_large", "bad_content_type", "redirect_loop", "too_many_redirects",
    "address_refused", "scheme_refused", "spa_shell",
]
STATUS_NORMS = ["in_force", "not_in_force", "unknown"]
SUBJECTS = ["ratifying_act", "treaty", "unknown"]
VERDICTS = ["in_force", "terminated", "expired", "unknown", "conflicting"]
SHEET_CLAIMS = ["terminated", "in_effect", "unknown"]


def _is_date(value: object) -> bool:
    """A calendar date (or missing). Read back from DuckDB a DATE arrives as a midnight timestamp."""
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return True
    if isinstance(value, dt.datetime):
        return value.time() == dt.time(0) and value.tzinfo is None
    return isinstance(value, dt.date)


def _dates_ok(series: pd.Series) -> pd.Series:
    return series.map(_is_date).astype(bool)


def _json_array_or_null(value: object) -> bool:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return True
    try:
        return isinstance(json.loads(value), list)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _json_or_null(value: object) -> bool:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return True
    try:
        json.loads(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


class SourceDocumentSchema(pa.DataFrameModel):
    """`source_documents`: every URL the sheets cite, deduplicated."""

    url: Series[str] = pa.Field(str_matches=r"^https?://", unique=True)
    host: Series[str] = pa.Field(str_length={"min_value": 1})
    first_seen_at: Series[pd.Timestamp] = pa.Field()
    cited_by_count: Series[pd.Int64Dtype] = pa.Field(ge=0, description="number of sheets citing the URL")

    class Config:
        coerce = True
        strict = True


class SourceSnapshotSchema(pa.DataFrameModel):
    """`source_snapshots`: every response and every failure, with the raw bytes."""

    snapshot_id: Series[str] = pa.Field(unique=True)
    url: Series[str] = pa.Field()
    final_url: Series[str] = pa.Field(nullable=True)
    fetched_at: Series[pd.Timestamp] = pa.Field()
    outcome: Series[str] = pa.Field(isin=FETCH_OUTCOMES)
    status_code: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=100, le=599)
    headers_json: Series[str] = pa.Field(nullable=True)
    content_type: Series[str] = pa.Field(nullable=True)
    encoding: Series[str] = pa.Field(nullable=True)
    sha256: Series[str] = pa.Field(nullable=True, str_matches=SHA256)
    size: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    body: Series[object] = pa.Field(nullable=True, description="raw bytes as received")
    fetched_via: Series[str] = pa.Field(nullable=True)
    attempts: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    elapsed_s: Series[float] = pa.Field(nullable=True, ge=0)
    error_message: Series[str] = pa.Field(nullable=True)
    previous_sha256: Series[str] = pa.Field(nullable=True, str_matches=SHA256)
    changed: Series[pd.BooleanDtype] = pa.Field(nullable=True)

    class Config:
        coerce = True
        strict = True

    @pa.check("headers_json", name="headers_json_is_json")
    def _headers(cls, s: Series[str]) -> Series[bool]:
        return s.map(_json_or_null).astype(bool)

    @pa.check("body", name="body_is_bytes")
    def _body(cls, s: Series[object]) -> Series[bool]:
        return s.map(lambda b: b is None or isinstance(b, (bytes, bytearray))).astype(bool)


class SourceReadingSchema(pa.DataFrameModel):
    """`source_readings`: what a reader extracted from a snapshot's stored bytes."""

    snapshot_id: Series[str] = pa.Field()
    url: Series[str] = pa.Field()
    reader: Series[str] = pa.Field(str_length={"min_value": 1})
    title: Series[str] = pa.Field(nullable=True)
    language: Series[str] = pa.Field(nullable=True)
    status_class: Series[str] = pa.Field(nullable=True, description="page's status marker as found")
    status_norm: Series[str] = pa.Field(isin=STATUS_NORMS)
    subject: Series[str] = pa.Field(isin=SUBJECTS, description="whose status: the ratifying act or the treaty")
    act_date: Series[object] = pa.Field(nullable=True)
    act_number: Series[str] = pa.Field(nullable=True)
    repeal_date: Series[object] = pa.Field(nullable=True)
    repeal_effective_date: Series[object] = pa.Field(nullable=True)
    entry_into_force_date: Series[object] = pa.Field(nullable=True)
    denunciation: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    source_as_of: Series[object] = pa.Field(nullable=True)
    text_sha256: Series[str] = pa.Field(nullable=True, str_matches=SHA256)
    dates_json: Series[str] = pa.Field(nullable=True)
    evidence_text: Series[str] = pa.Field(nullable=True)

    class Config:
        coerce = True
        strict = True
        unique = ["snapshot_id", "reader"]

    @pa.check("act_date", "repeal_date", "repeal_effective_date", "entry_into_force_date", "source_as_of", name="is_date")
    def _dates(cls, s: Series[object]) -> Series[bool]:
        return _dates_ok(s)

    @pa.check("dates_json", name="dates_json_is_json")
    def _dates_json(cls, s: Series[str]) -> Series[bool]:
        return s.map(_json_or_null).astype(bool)


class InForceStatusSchema(pa.DataFrameModel):
    """`in_force_status`: the verdict per alliance and as-of date, with its evidence."""

    atopid: Series[pd.Int64Dtype] = pa.Field(ge=1000, le=7999)
    as_of: Series[object] = pa.Field()
    verdict: Series[str] = pa.Field(isin=VERDICTS)
    sheet_claim: Series[str] = pa.Field(isin=SHEET_CLAIMS, metadata={"question": 14})
    sheet_claim_date: Series[object] = pa.Field(nullable=True)
    claim_age_days: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    term_end: Series[object] = pa.Field(nullable=True)
    next_notice_deadline: Series[object] = pa.Field(nullable=True)
    clause_basis: Series[str] = pa.Field(nullable=True)
    source_status: Series[str] = pa.Field(nullable=True)
    evidence_json: Series[str] = pa.Field(nullable=True)
    disagreements_json: Series[str] = pa.Field(nullable=True)
    warnings_json: Series[str] = pa.Field(nullable=True)
    computed_at: Series[pd.Timestamp] = pa.Field()
    inputs_digest: Series[str] = pa.Field(
        nullable=True, str_matches=r"^[0-9a-f]{64}$",
        description="sha256 of the verdict's inputs (sheet bytes, its sources' content and outcomes, the "
                    "assessor's code); a re-run with the same digest keeps the row",
    )

    class Config:
        coerce = True
        strict = True
        unique = ["atopid", "as_of"]

    @pa.check("as_of", "sheet_claim_date", "term_end", "next_notice_deadline", name="is_date")
    def _dates(cls, s: Series[object]) -> Series[bool]:
        return _dates_ok(s)

    @pa.check("disagreements_json", "warnings_json", name="is_json_array")
    def _arrays(cls, s: Series[str]) -> Series[bool]:
        return s.map(_json_array_or_null).astype(bool)

    @pa.check("evidence_json", name="is_json")
    def _evidence(cls, s: Series[str]) -> Series[bool]:
        return s.map(_json_or_null).astype(bool)
