"""The `in_force_status` asset: each alliance's verdict as of the configured date, with its evidence."""

# No `from __future__ import annotations`: Dagster inspects the context and resource annotations.

import dagster as dg

from atop_pipeline import pipeline
from atop_pipeline.defs import metadata
from atop_pipeline.defs.jobs import STATUS
from atop_pipeline.defs.resources import StatusSettingsResource, WarehouseResource


@dg.asset(
    deps=["source_readings", "warehouse"],
    group_name=STATUS,
    kinds={"python", "duckdb"},
    description=(
        "In force / terminated / expired / unknown / conflicting for every current alliance, as of the "
        "configured date: the sheet's claim, the duration clauses and the sources, with each disagreement "
        "and warning named."
    ),
)
def in_force_status(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, status: StatusSettingsResource
) -> dg.MaterializeResult:
    report = pipeline.assess_status(warehouse.open(), as_of=status.as_of_date())
    context.log.info("; ".join(report.lines()))
    preview = pipeline.table_preview(warehouse.open(), "in_force_status")
    return dg.MaterializeResult(
        metadata={
            **metadata.table_metadata("in_force_status", preview.head, preview.row_count, pipeline.schema_for("in_force_status")),
            **metadata.counts({f"verdict_{k}": v for k, v in report.verdicts.items()}),
            "as_of": report.as_of.isoformat(),
            "with_disagreements": dg.MetadataValue.int(report.with_disagreements),
        }
    )
