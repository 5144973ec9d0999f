"""The published ATOP 5.1 column names (defined beside the schemas; re-exported for the warehouse)."""

from __future__ import annotations

from atop_pipeline.schemas.columns import ALLIANCE_COLUMNS, MEMBER_COLUMNS, TEXT_COLUMNS, sql_type

__all__ = ["ALLIANCE_COLUMNS", "MEMBER_COLUMNS", "TEXT_COLUMNS", "sql_type"]
