"""Schedules: the nightly ingest covers every alliance in one run; the weekly re-check runs the status job."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb

from atop_pipeline import pipeline
from atop_pipeline.defs.partitions import RANGE_END_TAG, RANGE_START_TAG, codesheet_partitions
from atop_pipeline.defs.resources import CodesheetFolderResource, WarehouseResource
from atop_pipeline.defs.schedules import nightly_ingest_schedule, weekly_status_recheck_schedule

NIGHT = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.timezone.utc)
QUARANTINED = "codesheet_1012_unknown_member.txt"  # fixture sheet whose member is no COW state


def _nightly(instance: dg.DagsterInstance, sheets: Path, warehouse: Path):
    context = dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=NIGHT,
        resources={"sheets": CodesheetFolderResource(path=str(sheets)),
                   "warehouse": WarehouseResource(path=str(warehouse))},
    )
    return nightly_ingest_schedule(context)


def test_nightly_ingest_registers_new_sheets_and_requests_one_run_over_all_partitions(sheets_dir, tmp_path):
    with dg.instance_for_test() as instance:
        request = _nightly(instance, sheets_dir, tmp_path / "wh" / "atop.duckdb")
        keys = instance.get_dynamic_partitions(codesheet_partitions.name)
    assert isinstance(request, dg.RunRequest)
    assert set(keys) == {"atop_1005", "atop_1010", "atop_1012", "atop_1015", "atop_6070", "atop_unidentified"}
    assert (request.tags[RANGE_START_TAG], request.tags[RANGE_END_TAG]) == (keys[0], keys[-1])
    assert request.run_key == "nightly:2026-11-28"


def test_nightly_ingest_covers_only_changed_sheets_once_published(sheets_dir, tmp_path):
    warehouse = tmp_path / "wh" / "atop.duckdb"
    pipeline.run_ingest(sheets_dir, warehouse, offline=True, as_of=NIGHT.date())
    with dg.instance_for_test() as instance:
        # The sheet quarantined by validation is retried (a reference may resolve now); nothing else.
        retry = _nightly(instance, sheets_dir, warehouse)
        (sheets_dir / QUARANTINED).unlink()
        unchanged = _nightly(instance, sheets_dir, warehouse)
        sheet = sheets_dir / "codesheet_1010.txt"
        sheet.write_bytes(sheet.read_bytes() + b"\n")
        changed = _nightly(instance, sheets_dir, warehouse)
    assert (retry.tags[RANGE_START_TAG], retry.tags[RANGE_END_TAG]) == ("atop_1012", "atop_1012")
    # Nothing new: a run of everything but the per-alliance asset (status and sources still refresh).
    assert RANGE_START_TAG not in unchanged.tags
    assert dg.AssetKey("codesheets") not in unchanged.asset_selection
    assert dg.AssetKey("in_force_status") in unchanged.asset_selection
    assert (changed.tags[RANGE_START_TAG], changed.tags[RANGE_END_TAG]) == ("atop_1010", "atop_1010")
    assert changed.asset_selection is None


def test_nightly_ingest_skips_when_there_is_nothing_to_ingest(tmp_path):
    with dg.instance_for_test() as instance:
        assert isinstance(_nightly(instance, tmp_path, tmp_path / "wh" / "atop.duckdb"), dg.SkipReason)


def test_weekly_recheck_requests_one_status_run_when_nothing_is_published(tmp_path):
    with dg.instance_for_test() as instance:
        monday = dt.datetime(2026, 11, 30, 4, 0, tzinfo=dt.timezone.utc)
        context = dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=monday,
            resources={"warehouse": WarehouseResource(path=str(tmp_path / "atop.duckdb"))},
        )
        request = weekly_status_recheck_schedule(context)
    assert request.run_key == "status_recheck:2026-11-30"
    assert weekly_status_recheck_schedule.job_name == "status_recheck_job"


def test_weekly_recheck_requests_one_run_per_source_host_tagged_with_the_host(tmp_path):
    published = tmp_path / "atop.duckdb"
    con = duckdb.connect(str(published))
    con.execute("CREATE TABLE citations (atopid INTEGER, question INTEGER, url VARCHAR, sha256 VARCHAR)")
    con.executemany(
        "INSERT INTO citations VALUES (?, ?, ?, 'x')",
        [(6070, 14, "http://adilet.zan.kz/rus/docs/Z1400000246"), (6070, 59, "http://adilet.zan.kz/kaz/docs/Z1400000246"),
         (1005, 59, "https://avalon.law.yale.edu/19th_century/x.asp")],
    )
    con.close()
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=dt.datetime(2026, 11, 30, 4, 0, tzinfo=dt.timezone.utc),
            resources={"warehouse": WarehouseResource(path=str(published))},
        )
        requests = weekly_status_recheck_schedule(context)
    by_host = {r.tags["atop/source_host"]: r for r in requests}
    assert set(by_host) == {"adilet.zan.kz", "avalon.law.yale.edu"}
    assert by_host["adilet.zan.kz"].run_config == {"ops": {"sources": {"config": {"hosts": ["adilet.zan.kz"]}}}}
    assert by_host["adilet.zan.kz"].run_key == "status_recheck:2026-11-30:adilet.zan.kz"


def test_schedules_are_utc_and_shipped_stopped():
    for schedule, cron in ((nightly_ingest_schedule, "0 2 * * *"), (weekly_status_recheck_schedule, "0 4 * * 1")):
        assert (schedule.cron_schedule, schedule.execution_timezone) == (cron, "UTC")
        assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
