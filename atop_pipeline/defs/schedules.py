"""Schedules (UTC, shipped stopped; start them in the UI under Automation or with
`dagster schedule start -w workspace.yaml <name>`): a nightly ingest and a weekly status re-check.
"""

# No `from __future__ import annotations`: Dagster inspects the context and resource annotations.

import dagster as dg

from atop_pipeline import pipeline
from atop_pipeline.defs.jobs import ingest_job, status_recheck_job
from atop_pipeline.defs.partitions import all_partitions_tags, codesheet_partitions
from atop_pipeline.defs.resources import CodesheetFolderResource, WarehouseResource

#: Run tag the instance limits to one in-flight run per value (dagster.yaml tag_concurrency_limits).
SOURCE_HOST_TAG = "atop/source_host"


@dg.schedule(
    cron_schedule="0 2 * * *",
    job=ingest_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="02:00 UTC: register partitions for new sheets, then one run over every alliance "
    "(unchanged sheets are skipped by content hash, so this is incremental).",
)
def nightly_ingest_schedule(context: dg.ScheduleEvaluationContext, sheets: CodesheetFolderResource):
    if not sheets.is_url():
        keys = pipeline.keys_in_order(pipeline.scan_folder(sheets.path))
        existing = set(context.instance.get_dynamic_partitions(codesheet_partitions.name))
        missing = [k for k in keys if k not in existing]
        if missing:
            context.instance.add_dynamic_partitions(codesheet_partitions.name, missing)
    tags = all_partitions_tags(context.instance)
    if not tags:
        return dg.SkipReason(f"no codesheets registered and none found in {sheets.path}")
    return dg.RunRequest(run_key=f"nightly:{_date(context)}", tags=tags)


@dg.schedule(
    cron_schedule="0 4 * * 1",
    job=status_recheck_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Mondays 04:00 UTC: re-fetch the cited sources and re-assess in-force status as of today; "
    "one run per source host, tagged atop/source_host so the instance runs at most one per host at a time.",
)
def weekly_status_recheck_schedule(context: dg.ScheduleEvaluationContext, warehouse: WarehouseResource):
    hosts = pipeline.cited_hosts(warehouse.open().published_path)
    day = _date(context)
    if not hosts:
        return dg.RunRequest(run_key=f"status_recheck:{day}")
    return [
        dg.RunRequest(
            run_key=f"status_recheck:{day}:{host}",
            run_config={"ops": {"sources": {"config": {"hosts": [host]}}}},
            tags={SOURCE_HOST_TAG: host},
        )
        for host in hosts
    ]


def _date(context: dg.ScheduleEvaluationContext) -> str:
    when = context.scheduled_execution_time
    return when.date().isoformat() if when else "manual"
