"""Schemas of the sheet-level tables: inputs, sheet versions, answers, provisions, references, citations, errors."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from atop_pipeline.codesheets.model import QUESTION_COUNT, SECTIONS
from atop_pipeline.schemas._checks import row_check

SHA256 = r"^[0-9a-f]{64}$"
FLAGS = ["yes", "no", "n/a", "unknown", "other", "empty"]
STAGES = ["read", "parse", "validate", "load", "fetch"]


class RawInputSchema(pa.DataFrameModel):
    """`raw_inputs`: every input file's bytes as received, including files that failed."""

    sha256: Series[str] = pa.Field(str_matches=SHA256, unique=True, description="SHA-256 of the bytes")
    size: Series[pd.Int64Dtype] = pa.Field(ge=0, description="byte count")
    source_file: Series[str] = pa.Field(description="name the bytes first arrived under")
    data: Series[object] = pa.Field(description="the raw bytes")
    received_at: Series[pd.Timestamp] = pa.Field(description="when first received (UTC)")

    class Config:
        coerce = True
        strict = True

    @pa.check("data", name="data_is_bytes")
    def _bytes(cls, data: Series[object]) -> Series[bool]:
        return data.map(lambda b: isinstance(b, (bytes, bytearray))).astype(bool)


class CodesheetSchema(pa.DataFrameModel):
    """`codesheets`: one row per ingested sheet version."""

    sha256: Series[str] = pa.Field(str_matches=SHA256, unique=True, description="SHA-256 of the sheet's bytes")
    atopid: Series[pd.Int64Dtype] = pa.Field(
        ge=1000, le=7999, description="ATOP ID (Q1)",
        metadata={"question": 1},
    )
    source_file: Series[str] = pa.Field(description="path as given, relative to the batch root")
    size: Series[pd.Int64Dtype] = pa.Field(ge=0, description="raw byte count")
    encoding: Series[str] = pa.Field(nullable=True, description="codec used to decode")
    kind: Series[str] = pa.Field(nullable=True, description="txt | pdf")
    ingested_at: Series[pd.Timestamp] = pa.Field(description="when this version was first ingested (UTC)")
    parser_version: Series[str] = pa.Field(description="parser that produced the rows")
    raw_text: Series[str] = pa.Field(nullable=True, description="the decoded text of the sheet")
    answer_count: Series[pd.Int64Dtype] = pa.Field(
        description="numbered questions found", metadata={"question": None}
    )
    member_count: Series[pd.Int64Dtype] = pa.Field(ge=0, description="members listed (Q4)", metadata={"question": 4})
    warnings_json: Series[str] = pa.Field(description="parser warnings, JSON array")
    is_current: Series[bool] = pa.Field(description="the version the other tables hold")
    duplicate_of: Series[str] = pa.Field(
        nullable=True, str_matches=SHA256,
        description="for a copy that says the same as another sheet of its batch: the sha256 of the one loaded",
    )

    class Config:
        coerce = True
        strict = True

    @row_check(
        "one_current_version_per_alliance", ("atopid",), question=1,
        description="two different sheets claim the same ATOP ID; neither is loaded until one is fixed",
    )
    def _one_current(cls, df: pd.DataFrame) -> pd.Series:
        current = df["is_current"].astype(bool)
        duplicated = df["atopid"].duplicated(keep=False) & current
        duplicated &= df[current]["atopid"].duplicated(keep=False).reindex(df.index, fill_value=False)
        return ~duplicated

    @pa.check("answer_count", name="sixty_one_answers")
    def _sixty_one(cls, count: Series[pd.Int64Dtype]) -> Series[bool]:
        # Template v8 (2000) has exactly 61 numbered questions; fewer means a truncated or merged sheet.
        return (count == QUESTION_COUNT).fillna(False).astype(bool)


class AnswerSchema(pa.DataFrameModel):
    """`answers`: every numbered question as printed, its answer, flag and source lines."""

    atopid: Series[pd.Int64Dtype] = pa.Field(description="the alliance (range checked once, on codesheets/alliances)")
    number: Series[pd.Int64Dtype] = pa.Field(ge=1, le=QUESTION_COUNT, description="question number")
    section: Series[str] = pa.Field(isin=list(SECTIONS), description="template section I..V")
    question_text: Series[str] = pa.Field(description="question as printed")
    answer_text: Series[str] = pa.Field(description="answer as printed")
    flag: Series[str] = pa.Field(isin=FLAGS, description="normalised leading word(s) of the answer")
    line_start: Series[pd.Int64Dtype] = pa.Field(ge=1, description="first source line")
    line_end: Series[pd.Int64Dtype] = pa.Field(ge=1, description="last source line")
    sha256: Series[str] = pa.Field(str_matches=SHA256)

    class Config:
        coerce = True
        strict = True
        unique = ["atopid", "number"]

    @row_check("answer_lines_ordered", ("line_start", "line_end"))
    def _lines(cls, df: pd.DataFrame) -> pd.Series:
        return (df["line_end"] >= df["line_start"]).fillna(False).astype(bool)


class ProvisionSchema(pa.DataFrameModel):
    """`provisions`: quoted treaty provisions with their article labels."""

    atopid: Series[pd.Int64Dtype] = pa.Field(description="the alliance (range checked once, on codesheets/alliances)")
    ordinal: Series[pd.Int64Dtype] = pa.Field(ge=0)
    question: Series[pd.Int64Dtype] = pa.Field(ge=1, le=QUESTION_COUNT)
    article: Series[str] = pa.Field(description="label as written: 'Article 5', 'Section 30'")
    quote: Series[str] = pa.Field(str_length={"min_value": 1}, description="the quoted text")
    sha256: Series[str] = pa.Field(str_matches=SHA256)

    class Config:
        coerce = True
        strict = True
        unique = ["atopid", "ordinal"]


class AllianceReferenceSchema(pa.DataFrameModel):
    """`alliance_references`: atopid -> referenced atopid. Whether the target exists is checked per batch."""

    atopid: Series[pd.Int64Dtype] = pa.Field(description="the alliance (range checked once, on codesheets/alliances)")
    ordinal: Series[pd.Int64Dtype] = pa.Field(ge=0)
    question: Series[pd.Int64Dtype] = pa.Field(ge=1, le=QUESTION_COUNT)
    referenced_atopid: Series[pd.Int64Dtype] = pa.Field(ge=1000, le=7999, metadata={"question": 48})
    context: Series[str] = pa.Field(description="the sentence the reference came from")
    sha256: Series[str] = pa.Field(str_matches=SHA256)

    class Config:
        coerce = True
        strict = True
        unique = ["atopid", "ordinal"]


class CitationSchema(pa.DataFrameModel):
    """`citations`: URLs cited on the sheet, per question."""

    atopid: Series[pd.Int64Dtype] = pa.Field(description="the alliance (range checked once, on codesheets/alliances)")
    question: Series[pd.Int64Dtype] = pa.Field(ge=1, le=QUESTION_COUNT)
    url: Series[str] = pa.Field(str_length={"min_value": 1})
    sha256: Series[str] = pa.Field(str_matches=SHA256)

    class Config:
        coerce = True
        strict = True
        unique = ["atopid", "question", "url"]


class IngestErrorSchema(pa.DataFrameModel):
    """`ingest_errors`: one row per failure of reading, parsing, validation or loading."""

    error_id: Series[str] = pa.Field(str_matches=SHA256, unique=True, description="hash of what identifies the failure")
    source_file: Series[str] = pa.Field(description="file the failure belongs to")
    sha256: Series[str] = pa.Field(nullable=True, str_matches=SHA256)
    atopid: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    stage: Series[str] = pa.Field(isin=STAGES)
    error: Series[str] = pa.Field(str_length={"min_value": 1}, description="error or check name")
    table_name: Series[str] = pa.Field(nullable=True)
    column_name: Series[str] = pa.Field(nullable=True)
    question: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1, le=QUESTION_COUNT)
    value: Series[str] = pa.Field(nullable=True, description="offending value as text")
    message: Series[str] = pa.Field(description="a sentence a person can act on")
    created_at: Series[pd.Timestamp] = pa.Field(description="first recorded (UTC)")

    class Config:
        coerce = True
        strict = True


class CowStateSchema(pa.DataFrameModel):
    """`cow_states`: the Correlates of War state list, one row per country code."""

    ccode: Series[pd.Int64Dtype] = pa.Field(ge=1, le=999, unique=True)
    state_abb: Series[str] = pa.Field()
    state_name: Series[str] = pa.Field()

    class Config:
        coerce = True
        strict = True


class ReferenceFileSchema(pa.DataFrameModel):
    """`reference_files`: the reference CSV each reference table was loaded from."""

    file_name: Series[str] = pa.Field(unique=True)
    table_name: Series[str] = pa.Field(isin=["cow_states", "published_atop_alliances", "published_atop_members"])
    sha256: Series[str] = pa.Field(str_matches=SHA256)
    size: Series[pd.Int64Dtype] = pa.Field(ge=0)
    rows: Series[pd.Int64Dtype] = pa.Field(ge=0)
    loaded_at: Series[pd.Timestamp] = pa.Field()

    class Config:
        coerce = True
        strict = True
