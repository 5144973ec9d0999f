"""The `codesheets` asset: read, parse, validate and load the sheets of the run's alliances."""

# No `from __future__ import annotations`: Dagster inspects the context and resource annotations.

import dagster as dg

from atop_pipeline import pipeline
from atop_pipeline.defs import metadata
from atop_pipeline.defs.jobs import INGEST
from atop_pipeline.defs.partitions import codesheet_partitions
from atop_pipeline.defs.resources import CodesheetFolderResource, HttpClientResource, WarehouseResource

@dg.asset(
    partitions_def=codesheet_partitions,
    # Any number of partitions, from the UI or a backfill, runs as ONE run looping over
    # context.partition_keys: hundreds of sheets must not mean hundreds of runs.
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name=INGEST,
    kinds={"python", "duckdb"},
    description=(
        "Codesheets of the run's alliances read (folder, zip or downloaded URL), parsed into the 61 "
        "questions and typed fields, validated with pandera and loaded into the working warehouse; "
        "failing sheets are quarantined into `ingest_errors` with their reasons."
    ),
)
def codesheets(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    sheets: CodesheetFolderResource,
    http: HttpClientResource,
) -> dg.MaterializeResult:
    root = pipeline.resolve_sheets(sheets.path, download_dir=sheets.download_dir, settings=http.settings())
    outcome = pipeline.load_partitions(warehouse.open(), root, context.partition_keys)
    context.log.info("; ".join(outcome.lines()))
    preview = pipeline.table_preview(warehouse.open(), "codesheets")
    return dg.MaterializeResult(
        metadata={
            **metadata.counts(outcome.counts()),
            **metadata.table_metadata("codesheets", preview.head, preview.row_count, pipeline.schema_for("codesheets")),
            # The run's sheets now current in the warehouse (the table keeps every version besides).
            "dagster/row_count": dg.MetadataValue.int(outcome.loaded + outcome.unchanged),
            "codesheets_table_rows": dg.MetadataValue.int(preview.row_count),
            "quarantined_files": metadata.markdown_table(outcome.quarantine_frame()),
            "sheets_root": dg.MetadataValue.path(str(root)),
            "partitions_in_run": len(context.partition_keys),
        }
    )
