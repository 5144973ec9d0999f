"""The `status_report` asset: the analyst's HTML status page, rendered from the published warehouse."""

# No `from __future__ import annotations`: Dagster inspects the context and resource annotations.

import dagster as dg

from atop_pipeline import pipeline
from atop_pipeline.defs.jobs import STATUS
from atop_pipeline.defs.resources import StatusSettingsResource, WarehouseResource


@dg.asset(
    deps=["published_warehouse"],
    group_name=STATUS,
    kinds={"python", "html"},
    description=(
        "The in-force status report (HTML page with plots, disagreements and changes since the previous "
        "report), rendered by atop_pipeline.analyst.report from the published warehouse."
    ),
)
def status_report(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, status: StatusSettingsResource
) -> dg.MaterializeResult:
    page = pipeline.render_status_report(warehouse.open().published_path, status.reports_path(), as_of=status.as_of_date())
    context.log.info(f"report written to {page}")
    return dg.MaterializeResult(
        metadata={
            "dagster/uri": dg.MetadataValue.path(str(page)),
            "index": dg.MetadataValue.path(str(page.parent / "index.html")),
            "as_of": status.as_of_date().isoformat(),
        }
    )
