"""Warehouse assets: reference tables and the reconciliation with published ATOP, then the atomic publish."""

# No `from __future__ import annotations`: Dagster inspects the context and resource annotations.

import dagster as dg

from atop_pipeline import pipeline
from atop_pipeline.defs import metadata
from atop_pipeline.defs.assets.ingest import codesheets
from atop_pipeline.defs.jobs import WAREHOUSE
from atop_pipeline.defs.resources import WarehouseResource


@dg.asset(
    deps=[codesheets],
    group_name=WAREHOUSE,
    kinds={"python", "duckdb"},
    description=(
        "The working warehouse after a load: reference tables (COW states, ATOP 5.1 as published) "
        "refreshed and the derived ATOP rows reconciled with the published ones. Schema, completeness, "
        "referential-integrity and agreement checks run against it before anything is published."
    ),
)
def warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    summary = pipeline.prepare_warehouse(warehouse.open(), reference_dir=warehouse.reference_dir)
    context.log.info("; ".join(summary.lines()))
    return dg.MaterializeResult(
        metadata={
            **metadata.counts(summary.table_rows),
            "dagster/row_count": dg.MetadataValue.int(summary.table_rows.get("alliances", 0)),
            "dagster/column_schema": metadata.column_schema(pipeline.schema_for("alliances")),
            "agreement_rate": dg.MetadataValue.float(summary.agreement_rate),
            "reconciliation_preview": metadata.markdown_table(summary.disagreements),
            "working_file": dg.MetadataValue.path(summary.working_path),
        }
    )


@dg.asset(
    deps=[warehouse, "in_force_status"],
    group_name=WAREHOUSE,
    kinds={"duckdb"},
    description=(
        "The warehouse analysts open (read-only): the working file copied and atomically swapped in, "
        "only after the blocking checks upstream passed in the same run."
    ),
)
def published_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    published = pipeline.publish(warehouse.open())
    return dg.MaterializeResult(
        metadata={
            **metadata.counts(published.table_rows),
            "dagster/uri": dg.MetadataValue.path(published.path),
            "size_bytes": dg.MetadataValue.int(published.size_bytes),
            "dagster/row_count": dg.MetadataValue.int(published.table_rows.get("codesheets", 0)),
        }
    )
