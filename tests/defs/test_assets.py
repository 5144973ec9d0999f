"""Every asset materialized in-process on the fixture corpus, offline, into tmp_path."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from atop_pipeline.defs.partitions import RANGE_END_TAG, RANGE_START_TAG, codesheet_partitions
from atop_pipeline.defs.resources import (
    CodesheetFolderResource,
    HttpClientResource,
    StatusSettingsResource,
    WarehouseResource,
)
from atop_pipeline.definitions import ASSETS, CHECKS, defs

FIXTURE_SHEETS = Path(__file__).parents[1] / "fixtures" / "defs" / "sheets"
KEYS = ["atop_1005", "atop_1010", "atop_1012", "atop_1015", "atop_6070", "atop_unidentified"]


def resources_for(sheets: Path, warehouse: Path) -> dict:
    """Resources pointing into the test's folders, offline, as of the issue's date."""
    return {
        "warehouse": WarehouseResource(path=str(warehouse)),
        "sheets": CodesheetFolderResource(path=str(sheets), download_dir=str(warehouse.parent / "downloads")),
        "http": HttpClientResource(offline=True),
        "status": StatusSettingsResource(as_of="2026-11-28", reports_dir=str(warehouse.parent / "reports")),
    }


def run_ingest_job(instance: dg.DagsterInstance, sheets: Path, warehouse: Path, keys=KEYS) -> dg.ExecuteInProcessResult:
    """ingest_job over `keys` as one run (the partition-range tags), with the test's resources."""
    instance.add_dynamic_partitions(codesheet_partitions.name, keys)
    return dg.materialize(
        [*ASSETS, *CHECKS],
        instance=instance,
        resources=resources_for(sheets, warehouse),
        tags={RANGE_START_TAG: keys[0], RANGE_END_TAG: keys[-1]},
        raise_on_error=False,
    )


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, instance):
    """One offline run of everything on the fixture corpus (shared by the tests of this module)."""
    root = tmp_path_factory.mktemp("ingest")
    sheets = root / "sheets"
    shutil.copytree(FIXTURE_SHEETS, sheets)
    warehouse = root / "warehouse" / "atop.duckdb"
    return run_ingest_job(instance, sheets, warehouse), warehouse


def test_every_asset_materializes_offline_in_one_run(ingested, instance):
    result, _ = ingested
    assert result.success
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == {a.to_user_string() for a in defs.resolve_asset_graph().get_all_asset_keys()}
    runs = instance.get_runs(filters=dg.RunsFilter(tags={RANGE_START_TAG: KEYS[0]}))
    assert [r.run_id for r in runs] == [result.run_id]


def test_codesheets_is_materialized_for_every_partition_of_the_range(ingested):
    result, _ = ingested
    partitions = {e.partition for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey("codesheets")}
    assert partitions == set(KEYS)


def test_the_published_warehouse_has_every_sheet_and_a_verdict_for_6070(ingested):
    _, warehouse = ingested
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        sheets = {r[0] for r in con.execute("SELECT atopid FROM codesheets WHERE is_current").fetchall()}
        verdict = con.execute("SELECT verdict FROM in_force_status WHERE atopid = 6070 AND as_of = ?", [dt.date(2026, 11, 28)]).fetchone()
        errors = con.execute("SELECT source_file FROM ingest_errors").fetchall()
    finally:
        con.close()
    assert sheets == {1005, 1010, 1015, 6070}
    assert verdict == ("in_force",)
    assert {("meeting_notes.txt",), ("codesheet_1012_unknown_member.txt",)} <= set(errors)
    assert (warehouse.parent / "reports" / "status_2026-11-28.html").exists()


def test_materializations_carry_counts_schema_preview_and_links(ingested):
    result, _ = ingested
    meta = {e.asset_key.to_user_string(): e.materialization.metadata for e in result.get_asset_materialization_events()}
    assert meta["codesheets"]["loaded"].value + meta["codesheets"]["unchanged"].value == 4
    assert meta["codesheets"]["errors"].value == 1
    assert meta["codesheets"]["quarantined"].value == 1
    assert "codesheet_1012_unknown_member.txt" in meta["codesheets"]["quarantined_files"].value
    assert "meeting_notes.txt" in meta["codesheets"]["quarantined_files"].value
    assert meta["in_force_status"]["dagster/row_count"].value == 4
    assert {c.name for c in meta["in_force_status"]["dagster/column_schema"].schema.columns} >= {"atopid", "verdict"}
    assert "adilet.zan.kz" in meta["source_documents"]["source_url_1"].value or any(
        "source_url" in k for k in meta["source_documents"]
    )
    assert meta["source_documents"]["unreachable"].value == meta["source_documents"]["urls"].value == 4


def test_every_check_ran_and_the_blocking_ones_passed(ingested):
    result, _ = ingested
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    failed_blocking = [n for n, e in evaluations.items() if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR]
    assert failed_blocking == []


@pytest.fixture
def tampered(ingested, tmp_path) -> Path:
    """A copy of the ingested warehouse whose WORKING file has a member that is no COW state."""
    _, warehouse = ingested
    copy = tmp_path / "atop.duckdb"
    shutil.copy(warehouse, copy)
    shutil.copy(warehouse.parent / ".atop.work.duckdb", tmp_path / ".atop.work.duckdb")
    con = duckdb.connect(str(tmp_path / ".atop.work.duckdb"))
    con.execute("UPDATE members SET member = 999 WHERE atopid = 6070")  # 999 is no COW state
    con.close()
    return copy


def test_a_failing_blocking_check_keeps_bad_rows_out_of_the_published_warehouse(tampered, instance, tmp_path):
    result = dg.materialize(
        [*ASSETS, *CHECKS],
        selection=dg.AssetSelection.assets("warehouse", "published_warehouse"),
        instance=instance,
        resources=resources_for(tmp_path / "unused", tampered),
        raise_on_error=False,
    )

    failed = {e.check_name for e in result.get_asset_check_evaluations() if not e.passed}
    assert {"members_matches_schema", "references_resolve"} <= failed
    assert not result.success
    assert dg.AssetKey("published_warehouse") not in {e.asset_key for e in result.get_asset_materialization_events()}
    published = duckdb.connect(str(tampered), read_only=True)
    try:
        assert published.execute("SELECT count(*) FROM members WHERE member = 999").fetchone()[0] == 0
    finally:
        published.close()


def test_a_schema_check_reports_the_count_and_a_sample_of_failing_rows(tampered, instance, tmp_path):
    from atop_pipeline.defs.checks import asset_check_from_schema
    from atop_pipeline.schemas import MemberSchema

    check = asset_check_from_schema(MemberSchema, "members", "warehouse")
    result = dg.materialize(
        [dg.AssetSpec("warehouse"), check],
        selection=dg.AssetSelection.checks(check),
        instance=instance,
        resources=resources_for(tmp_path / "unused", tampered),
        raise_on_error=False,
    )
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed
    assert evaluation.metadata["num_failures"].value >= 1
    assert "999" in evaluation.metadata["failure_sample"].value
