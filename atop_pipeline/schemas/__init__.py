"""Pandera DataFrameModels, one per warehouse table; `SCHEMAS` maps table name -> model."""

from __future__ import annotations

import functools

import pandera.pandas as pa

from atop_pipeline.schemas._checks import ATOPID_BANDS, COW_CODES, NON_COW_MEMBER_CODES, ROW_CHECKS, RowCheck
from atop_pipeline.schemas.atop import (
    VARIABLES,
    AllianceSchema,
    MemberSchema,
    PublishedAllianceSchema,
    PublishedMemberSchema,
    Variable,
)
from atop_pipeline.schemas.codesheets import (
    AllianceReferenceSchema,
    AnswerSchema,
    CitationSchema,
    CodesheetSchema,
    CowStateSchema,
    IngestErrorSchema,
    ProvisionSchema,
    RawInputSchema,
    ReferenceFileSchema,
)
from atop_pipeline.schemas.sources import (
    InForceStatusSchema,
    SourceDocumentSchema,
    SourceReadingSchema,
    SourceSnapshotSchema,
)

#: Warehouse table -> the model its rows must satisfy. Also the allow-list of writable tables.
SCHEMAS: dict[str, type] = {
    "raw_inputs": RawInputSchema,
    "codesheets": CodesheetSchema,
    "answers": AnswerSchema,
    "alliances": AllianceSchema,
    "members": MemberSchema,
    "provisions": ProvisionSchema,
    "alliance_references": AllianceReferenceSchema,
    "citations": CitationSchema,
    "ingest_errors": IngestErrorSchema,
    "cow_states": CowStateSchema,
    "reference_files": ReferenceFileSchema,
    "published_atop_alliances": PublishedAllianceSchema,
    "published_atop_members": PublishedMemberSchema,
    "source_documents": SourceDocumentSchema,
    "source_snapshots": SourceSnapshotSchema,
    "source_readings": SourceReadingSchema,
    "in_force_status": InForceStatusSchema,
}



@functools.cache
def schema_of(table: str) -> pa.DataFrameSchema:
    """The (cached) DataFrameSchema of a table's model; building one from a model is not cheap."""
    return SCHEMAS[table].to_schema()


__all__ = [
    "schema_of",
    "ATOPID_BANDS",
    "COW_CODES",
    "NON_COW_MEMBER_CODES",
    "ROW_CHECKS",
    "SCHEMAS",
    "VARIABLES",
    "AllianceReferenceSchema",
    "AllianceSchema",
    "AnswerSchema",
    "CitationSchema",
    "CodesheetSchema",
    "CowStateSchema",
    "InForceStatusSchema",
    "IngestErrorSchema",
    "MemberSchema",
    "ProvisionSchema",
    "PublishedAllianceSchema",
    "PublishedMemberSchema",
    "RawInputSchema",
    "ReferenceFileSchema",
    "RowCheck",
    "SourceDocumentSchema",
    "SourceReadingSchema",
    "SourceSnapshotSchema",
    "Variable",
]
