"""The folder sensor: registers a partition per new alliance and requests a run per new or changed sheet.

Changes are found by content hash (the cursor maps each file to its sha256), never by mtime, and the
existing partitions are read once per tick. The sensor opens no database: sensors run in the code
server, and DuckDB admits a single writer.
"""

# No `from __future__ import annotations`: Dagster inspects the context and resource annotations.

import json

import dagster as dg

from atop_pipeline import pipeline
from atop_pipeline.defs.jobs import SHEET_UPDATE_SELECTION, ingest_job
from atop_pipeline.defs.partitions import codesheet_partitions
from atop_pipeline.defs.resources import CodesheetFolderResource

#: Run requests per tick; the rest wait for the next tick (a bulk drop is better run as one
#: `atop-pipeline ingest` or a UI backfill, which is a single run).
MAX_RUNS_PER_TICK = 25


def build_codesheet_folder_sensor(
    *, peek: pipeline.PeekFn | None = None, max_runs: int = MAX_RUNS_PER_TICK
) -> dg.SensorDefinition:
    """The folder sensor; `peek` reads a sheet's ATOP ID (the parser's `peek_atopid` by default)."""

    @dg.sensor(
        name="codesheet_folder_sensor",
        job=ingest_job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Watches the codesheet folder; new or changed sheets (by sha256) get a partition and a run.",
    )
    def codesheet_folder_sensor(context: dg.SensorEvaluationContext, sheets: CodesheetFolderResource):
        if sheets.is_url():
            return dg.SkipReason(f"sheets come from a URL ({sheets.path}); the nightly ingest downloads them")
        scanned = pipeline.scan_folder(sheets.path, peek=peek)
        existing = context.instance.get_dynamic_partitions(codesheet_partitions.name)
        plan = pipeline.plan_folder_changes(scanned, _load_cursor(context.cursor), existing, max_runs=max_runs)
        selection = SHEET_UPDATE_SELECTION.resolve(context.repository_def.asset_graph) if context.repository_def else None
        requests = [
            dg.RunRequest(partition_key=key, run_key=run_key, asset_selection=list(selection) if selection else None)
            for key, run_key in plan.run_keys.items()
        ]
        return dg.SensorResult(
            run_requests=requests,
            dynamic_partitions_requests=[codesheet_partitions.build_add_request(plan.new_keys)] if plan.new_keys else [],
            cursor=json.dumps(plan.state, sort_keys=True, separators=(",", ":")),
            skip_reason=None if requests or plan.new_keys else "no new or changed codesheets",
        )

    return codesheet_folder_sensor


def _load_cursor(cursor: str | None) -> dict[str, str]:
    """The previous tick's {source_file: sha256}; an unreadable cursor counts as a first tick."""
    try:
        state = json.loads(cursor) if cursor else {}
    except json.JSONDecodeError:
        return {}
    return state if isinstance(state, dict) else {}


codesheet_folder_sensor = build_codesheet_folder_sensor()
