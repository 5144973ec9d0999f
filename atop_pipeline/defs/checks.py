"""Asset checks: one generated from each table's pandera model, plus completeness, referential
integrity and agreement with the published ATOP rows.

The schema checks are blocking: when one fails, nothing downstream of its asset runs in that run, so
`published_warehouse` keeps the last good version. Failures carry `num_failures` and a markdown
sample of the failing rows. The checks read the working warehouse through the core; no SQL here.
"""

# No `from __future__ import annotations`: Dagster inspects the context and resource annotations.

from typing import Any

import dagster as dg

from atop_pipeline import pipeline
from atop_pipeline.defs import metadata
from atop_pipeline.defs.assets.ingest import WAREHOUSE_POOL
from atop_pipeline.defs.resources import StatusSettingsResource, WarehouseResource

#: Failing rows shown in a check's metadata.
SAMPLE_ROWS = 20

#: Which asset each validated table belongs to (the asset whose step last writes it).
TABLE_ASSETS: dict[str, str] = {
    **{t: "warehouse" for t in pipeline.WAREHOUSE_TABLES},
    "source_documents": "source_documents",
    "source_snapshots": "source_snapshots",
    "source_readings": "source_readings",
    "in_force_status": "in_force_status",
}


def _failure_result(num_failures: int, sample: Any, *, severity=dg.AssetCheckSeverity.ERROR, **extra: Any) -> dg.AssetCheckResult:
    """A check result whose metadata has the count and a markdown sample of the failing rows."""
    return dg.AssetCheckResult(
        passed=num_failures == 0,
        severity=severity,
        metadata={
            "num_failures": dg.MetadataValue.int(int(num_failures)),
            "failure_sample": metadata.markdown_table(sample, rows=SAMPLE_ROWS),
            **extra,
        },
    )


def asset_check_from_schema(model: Any, table: str, asset: str, *, blocking: bool = True) -> dg.AssetChecksDefinition:
    """A check that reads `table` from the working warehouse and validates it lazily against `model`."""

    @dg.asset_check(
        asset=asset,
        name=f"{table}_matches_schema",
        blocking=blocking,
        pool=WAREHOUSE_POOL,
        description=f"Every row of `{table}` satisfies the pandera model {model.__name__} (validated lazily).",
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        outcome = pipeline.check_table(warehouse.open(), table, model)
        return _failure_result(outcome.num_failures, outcome.failure_cases, rows_checked=dg.MetadataValue.int(outcome.rows))

    return _check


@dg.asset_check(
    asset="warehouse",
    blocking=False,
    pool=WAREHOUSE_POOL,
    description="Every current sheet has all 61 answers (a sheet with fewer was loaded with warnings).",
)
def sheets_have_61_answers(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    incomplete = pipeline.incomplete_sheets(warehouse.open())
    return _failure_result(len(incomplete), incomplete, severity=dg.AssetCheckSeverity.WARN)


@dg.asset_check(
    asset="warehouse",
    blocking=True,
    pool=WAREHOUSE_POOL,
    description="Referenced alliances exist (in this warehouse or published ATOP 5.1) and members are COW states.",
)
def references_resolve(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    dangling = pipeline.dangling_references(warehouse.open())
    return _failure_result(len(dangling), dangling)


@dg.asset_check(
    asset="warehouse",
    blocking=False,
    pool=WAREHOUSE_POOL,
    description="Share of derived ATOP values agreeing with published ATOP 5.1, at least the configured threshold.",
)
def agrees_with_published_atop(warehouse: WarehouseResource, status: StatusSettingsResource) -> dg.AssetCheckResult:
    agreement = pipeline.agreement_with_published(warehouse.open())
    passed = agreement.compared == 0 or agreement.rate >= status.agreement_threshold
    return dg.AssetCheckResult(
        passed=passed,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "agreement_rate": dg.MetadataValue.float(float(agreement.rate)),
            "threshold": dg.MetadataValue.float(float(status.agreement_threshold)),
            "values_compared": dg.MetadataValue.int(agreement.compared),
            "num_failures": dg.MetadataValue.int(len(agreement.disagreements)),
            "failure_sample": metadata.markdown_table(agreement.disagreements, rows=SAMPLE_ROWS),
        },
    )


def all_checks() -> list[dg.AssetChecksDefinition]:
    """Every check: one per validated table plus the cross-table ones."""
    generated = [
        asset_check_from_schema(pipeline.schema_for(table), table, asset)
        for table, asset in TABLE_ASSETS.items()
        if pipeline.schema_for(table) is not None
    ]
    return [*generated, sheets_have_61_answers, references_resolve, agrees_with_published_atop]
