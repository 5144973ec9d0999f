"""Launching the main job on an instance: register a partition per sheet found, then ONE run over all.

Used by `atop-pipeline ingest`; the run is stored in the instance, so it shows in the UI afterwards.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from pathlib import Path

import dagster as dg

from atop_pipeline import pipeline
from atop_pipeline.defs.partitions import RANGE_END_TAG, RANGE_START_TAG, codesheet_partitions


def register_partitions(
    instance: dg.DagsterInstance, sheets_root: Path | str, *, scanned: list[pipeline.ScannedInput] | None = None
) -> list[str]:
    """Add a partition for every alliance found under `sheets_root`; returns the keys found there."""
    keys = pipeline.keys_in_order(pipeline.scan_folder(sheets_root) if scanned is None else scanned)
    existing = set(instance.get_dynamic_partitions(codesheet_partitions.name))
    missing = [k for k in keys if k not in existing]
    if missing:
        instance.add_dynamic_partitions(codesheet_partitions.name, missing)
    return keys


def changed_partitions_tags(
    instance: dg.DagsterInstance, scanned: list[pipeline.ScannedInput], published_path: Path | str
) -> dict[str, str]:
    """Range tags covering every partition with new or changed bytes; empty when nothing changed.

    Unchanged sheets would be found unchanged by the load step anyway, but only after being read,
    parsed and recorded per partition: skipping them up front is what makes a no-change run cheap.
    A single run covers a contiguous range, so the range spans the first to the last changed key.
    """
    changed = set(pipeline.changed_keys(scanned, pipeline.settled_hashes(published_path)))
    keys = instance.get_dynamic_partitions(codesheet_partitions.name)
    positions = [i for i, k in enumerate(keys) if k in changed]
    if not positions:
        return {}
    return {RANGE_START_TAG: keys[positions[0]], RANGE_END_TAG: keys[positions[-1]]}


def ingest_run_config(
    sheets_root: Path | str,
    *,
    warehouse: Path | str | None = None,
    offline: bool = False,
    as_of: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict:
    """Run config for the resources: the command's options, else ATOP_* variables as set NOW.

    Passing them as run config (rather than relying on the values read when the definitions were
    imported) records them with the run, where the UI shows them.
    """
    env = os.environ if environ is None else environ
    warehouse = warehouse or env.get("ATOP_WAREHOUSE")
    reports = env.get("ATOP_REPORTS")
    resources: dict[str, dict] = {"sheets": {"config": {"path": str(sheets_root)}}}
    if warehouse:
        resources["warehouse"] = {"config": {"path": str(warehouse)}}
    if offline:
        resources["http"] = {"config": {"offline": True}}
    status = {k: v for k, v in (("as_of", as_of or env.get("ATOP_AS_OF")), ("reports_dir", reports)) if v}
    if status:
        resources["status"] = {"config": status}
    # The console shows INFO and up; every event is still stored in the instance for the UI.
    return {"resources": resources, "loggers": {"console": {"config": {"log_level": "INFO"}}}}


def execute_ingest(
    instance: dg.DagsterInstance,
    sheets_root: Path | str,
    *,
    warehouse: Path | str | None = None,
    offline: bool = False,
    as_of: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> dg.ExecuteJobResult:
    """Run ingest_job through Dagster on `instance` over the partitions whose sheets changed, as one run.

    The partition range spans the new or changed sheets (by content hash against the published
    warehouse). With nothing new or changed, or no sheets at all, the run skips `codesheets` and
    still refreshes reference tables, sources, status and the published file.
    """
    from atop_pipeline.definitions import ingest_job_def

    fail_runs_of_dead_processes(instance)
    published = warehouse or os.environ.get("ATOP_WAREHOUSE") or pipeline.DEFAULT_WAREHOUSE
    range_tags, selection = plan_ingest_run(instance, sheets_root, published)
    return dg.execute_job(
        dg.reconstructable(ingest_job_def),
        instance=instance,
        run_config=ingest_run_config(sheets_root, warehouse=warehouse, offline=offline, as_of=as_of),
        tags={**cli_run_tags(), **(tags or {}), **range_tags},
        asset_selection=selection,
        raise_on_error=False,
    )


def plan_ingest_run(
    instance: dg.DagsterInstance, sheets_root: Path | str, published_path: Path | str
) -> tuple[dict[str, str], list[dg.AssetKey] | None]:
    """Register a partition per alliance under `sheets_root`; return the run's (range tags, asset
    selection): the range over the new or changed sheets, or, with none, every asset but `codesheets`.

    The scan (every input's bytes) is dropped on return, not held while the run scans again.
    """
    scanned = pipeline.scan_folder(sheets_root)
    register_partitions(instance, sheets_root, scanned=scanned)
    tags = changed_partitions_tags(instance, scanned, published_path)
    return tags, (None if tags else assets_without_codesheets())


def assets_without_codesheets() -> list[dg.AssetKey]:
    """Every asset of the main job but the per-alliance `codesheets`: a run with no sheet to load."""
    from atop_pipeline.definitions import defs

    graph = defs.resolve_asset_graph()
    return [k for k in graph.get_all_asset_keys() if k != dg.AssetKey("codesheets")]


#: Tags on runs the command starts: which process on which machine runs them (to find dead ones).
CLI_TAG, PID_TAG, HOST_TAG = "atop/launched_by", "atop/pid", "atop/hostname"


def cli_run_tags() -> dict[str, str]:
    """Tags naming this process, so a later command can tell whether the run's process is gone."""
    return {CLI_TAG: "cli", PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def fail_runs_of_dead_processes(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed the command-started runs still 'started' whose process on this machine is gone.

    A killed `atop-pipeline ingest` cannot report its own end; without this its run shows as running
    forever in the UI. Pool slots it held are freed too.
    """
    stale = instance.get_runs(
        filters=dg.RunsFilter(
            tags={CLI_TAG: "cli", HOST_TAG: socket.gethostname()},
            statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.NOT_STARTED],
        )
    )
    failed = []
    for run in stale:
        pid = int(run.tags.get(PID_TAG, "0") or 0)
        if pid and not _alive(pid):
            instance.report_run_failed(run, f"the process that ran it (pid {pid}) is gone")
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
            failed.append(run.run_id)
    return failed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: existence check only
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def summary_from_run(result: dg.ExecuteJobResult) -> pipeline.IngestSummary:
    """The run's counts, read back from its materialization metadata."""
    values: dict[str, object] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        for key, entry in materialization.metadata.items():
            values[f"{materialization.asset_key.to_user_string()}:{key}"] = entry.value
    return pipeline.IngestSummary.from_metadata(values)
