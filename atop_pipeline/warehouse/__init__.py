"""The DuckDB warehouse: schema (ddl/*.sql), validated idempotent batch loads, atomic publishing."""

from __future__ import annotations

from atop_pipeline.warehouse.db import DEFAULT_WAREHOUSE, Warehouse, WarehouseLockedError, ensure_schema
from atop_pipeline.warehouse.load import LoadReport, ingest_folder, load_batch
from atop_pipeline.warehouse.writer import replace_table, write_rows

__all__ = [
    "DEFAULT_WAREHOUSE",
    "LoadReport",
    "Warehouse",
    "WarehouseLockedError",
    "ensure_schema",
    "ingest_folder",
    "load_batch",
    "replace_table",
    "write_rows",
]
