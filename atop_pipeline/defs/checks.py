"""Asset checks: one generated from each table's pandera model, plus completeness, referential
integrity and agreement with the published ATOP rows.

The schema checks are blocking: when one fails, nothing downstream of its asset runs in that run, so
`published_warehouse` keeps the last good version. Failures carry `num_failures` and a markdown
sample of the failing rows. The checks read the working warehouse through the core; no SQL here.

Checks on one asset share one step (a `multi_asset_check`): each still shows as its own check in the
UI, but the run pays Dagster's per-step cost once per asset rather than once per table.
"""

# No `from __future__ import annotations`: Dagster inspects the context and resource annotations.

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import dagster as dg

from atop_pipeline import pipeline
from atop_pipeline.defs import metadata
from atop_pipeline.defs.resources import StatusSettingsResource, WarehouseResource

#: Failing rows shown in a check's metadata.
SAMPLE_ROWS = 20



def table_assets() -> dict[str, str]:
    """Which asset each validated table belongs to (the asset whose step writes it)."""
    return {
        **{t: "warehouse" for t in pipeline.warehouse_tables()},
        **{t: t for t in pipeline.SOURCE_TABLES + pipeline.STATUS_TABLES},
    }

#: evaluate(working warehouse, status settings) -> (passed, num_failures, failing rows, extra metadata)
Evaluate = Callable[[Any, StatusSettingsResource], tuple[bool, int, Any, dict[str, Any]]]


@dataclass(frozen=True)
class CheckSpec:
    """One check: its name, asset, whether a failure blocks downstream assets, and how to evaluate it."""

    name: str
    asset: str
    description: str
    evaluate: Evaluate
    blocking: bool = True
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR


def schema_check(model: Any, table: str, asset: str, *, blocking: bool = True) -> CheckSpec:
    """A check that reads `table` from the working warehouse and validates it lazily against `model`."""

    def evaluate(wh: Any, _status: StatusSettingsResource):
        outcome = pipeline.check_table(wh, table, model)
        extra = {"rows_checked": dg.MetadataValue.int(outcome.rows), "schema": model.__name__,
                 # True when these exact rows already passed this model (table_validations): not re-read.
                 "validation_reused": outcome.reused}
        return outcome.num_failures == 0, outcome.num_failures, outcome.failure_cases, extra

    return CheckSpec(
        f"{table}_matches_schema",
        asset,
        f"Every row of `{table}` satisfies the pandera model {model.__name__} (validated lazily).",
        evaluate,
        blocking=blocking,
    )


def checks_step(name: str, specs: Iterable[CheckSpec]) -> dg.AssetChecksDefinition:
    """One step evaluating `specs` against the working warehouse, a result (with failing rows) per check."""
    specs = list(specs)

    @dg.multi_asset_check(
        name=name,
        specs=[dg.AssetCheckSpec(s.name, asset=s.asset, blocking=s.blocking, description=s.description) for s in specs],
        )
    def _checks(warehouse: WarehouseResource, status: StatusSettingsResource):
        wh = warehouse.open()
        for spec in specs:
            passed, failures, sample, extra = spec.evaluate(wh, status)
            yield dg.AssetCheckResult(
                asset_key=spec.asset,
                check_name=spec.name,
                passed=bool(passed),
                severity=spec.severity,
                metadata={
                    "num_failures": dg.MetadataValue.int(int(failures)),
                    "failure_sample": metadata.markdown_table(sample, rows=SAMPLE_ROWS),
                    **extra,
                },
            )

    return _checks


def asset_check_from_schema(model: Any, table: str, asset: str, *, blocking: bool = True) -> dg.AssetChecksDefinition:
    """The PUDL-style factory: a (by default blocking) check of one table against its pandera model."""
    return checks_step(f"{table}_schema_check", [schema_check(model, table, asset, blocking=blocking)])


def _completeness(wh: Any, _status: StatusSettingsResource):
    incomplete = pipeline.incomplete_sheets(wh)
    return incomplete.empty, len(incomplete), incomplete, {}


def _references(wh: Any, _status: StatusSettingsResource):
    dangling = pipeline.dangling_references(wh)
    return dangling.empty, len(dangling), dangling, {}


def _agreement(wh: Any, status: StatusSettingsResource):
    agreement = pipeline.agreement_with_published(wh)
    passed = agreement.compared == 0 or agreement.rate >= status.agreement_threshold
    extra = {
        "agreement_rate": dg.MetadataValue.float(float(agreement.rate)),
        "threshold": dg.MetadataValue.float(float(status.agreement_threshold)),
        "values_compared": dg.MetadataValue.int(agreement.compared),
    }
    return passed, len(agreement.disagreements), agreement.disagreements, extra


CROSS_TABLE_CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec(
        "sheets_have_61_answers",
        "warehouse",
        "Every current sheet has all 61 answers (a sheet with fewer is loaded, with warnings).",
        _completeness,
        blocking=False,
        severity=dg.AssetCheckSeverity.WARN,
    ),
    CheckSpec(
        "references_resolve",
        "warehouse",
        "Referenced alliances exist (here or in published ATOP 5.1) and every member is a COW state.",
        _references,
    ),
    CheckSpec(
        "agrees_with_published_atop",
        "warehouse",
        "The share of derived ATOP values equal to published ATOP 5.1 is at least the configured threshold.",
        _agreement,
        blocking=False,
        severity=dg.AssetCheckSeverity.WARN,
    ),
)


def all_checks() -> list[dg.AssetChecksDefinition]:
    """Every check, one step per asset: its tables' schema checks plus the cross-table ones."""
    by_asset: dict[str, list[CheckSpec]] = {}
    for table, asset in table_assets().items():
        model = pipeline.schema_for(table)
        if model is not None:
            by_asset.setdefault(asset, []).append(schema_check(model, table, asset))
    for spec in CROSS_TABLE_CHECKS:
        by_asset.setdefault(spec.asset, []).append(spec)
    return [checks_step(f"{asset}_checks", specs) for asset, specs in by_asset.items()]
