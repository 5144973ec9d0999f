"""Schedules (UTC, shipped stopped; start them in the UI under Automation or with
`dagster schedule start -w workspace.yaml <name>`): a nightly ingest and a weekly status re-check.
"""

# No `from __future__ import annotations`: Dagster inspects the context and resource annotations.

import dagster as dg

from atop_pipeline import pipeline
from atop_pipeline.defs.jobs import ingest_job, status_recheck_job
from atop_pipeline.defs.partitions import all_partitions_tags
from atop_pipeline.defs.resources import CodesheetFolderResource, WarehouseResource
from atop_pipeline.defs.runs import plan_ingest_run

#: Run tag the instance limits to one in-flight run per value (dagster.yaml tag_concurrency_limits).
SOURCE_HOST_TAG = "atop/source_host"


@dg.schedule(
    cron_schedule="0 2 * * *",
    job=ingest_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="02:00 UTC: register partitions for new sheets, then one run over the alliances whose "
    "sheets are new or changed (by content hash against the published warehouse); with none, a run that "
    "still refreshes sources, in-force status as of today and the published file.",
)
def nightly_ingest_schedule(
    context: dg.ScheduleEvaluationContext, sheets: CodesheetFolderResource, warehouse: WarehouseResource
):
    if sheets.is_url():  # the sheets are downloaded by the run itself: let it look at all of them
        tags = all_partitions_tags(context.instance)
        if not tags:
            return dg.SkipReason(f"no codesheets registered for {sheets.path}")
        return dg.RunRequest(run_key=f"nightly:{_date(context)}", tags=tags)
    tags, selection = plan_ingest_run(context.instance, sheets.path, warehouse.open().published_path)
    if not tags and not all_partitions_tags(context.instance):
        return dg.SkipReason(f"no codesheets registered and none found in {sheets.path}")
    # With nothing new, `selection` leaves out the partitioned asset: status and sources still refresh.
    return dg.RunRequest(run_key=f"nightly:{_date(context)}", tags=tags, asset_selection=selection)


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
