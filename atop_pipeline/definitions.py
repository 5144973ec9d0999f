"""The single Dagster `Definitions` of atop-pipeline (loaded by workspace.yaml): wiring only."""

from __future__ import annotations

import dagster as dg

from atop_pipeline.defs import assets as asset_package
from atop_pipeline.defs import checks
from atop_pipeline.defs.jobs import ingest_job, status_recheck_job
from atop_pipeline.defs.resources import default_resources, executor_from_env
from atop_pipeline.defs.schedules import nightly_ingest_schedule, weekly_status_recheck_schedule
from atop_pipeline.defs.sensors import codesheet_folder_sensor

#: Every asset and check, unbound (tests materialize them with their own resources).
ASSETS = dg.load_assets_from_package_module(asset_package)
CHECKS = checks.all_checks()

defs = dg.Definitions(
    assets=ASSETS,
    asset_checks=CHECKS,
    jobs=[ingest_job, status_recheck_job],
    schedules=[nightly_ingest_schedule, weekly_status_recheck_schedule],
    sensors=[codesheet_folder_sensor],
    resources=default_resources(),
    executor=executor_from_env(),
)


def ingest_job_def() -> dg.JobDefinition:
    """The resolved ingest job, for `dg.reconstructable` (the `ingest` command runs it on the instance)."""
    return defs.resolve_job_def("ingest_job")
