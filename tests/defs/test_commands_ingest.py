"""`atop-pipeline ingest` runs ingest_job through Dagster on the instance in DAGSTER_HOME; `ui` starts dagster dev."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import yaml

from atop_pipeline import cli
from tests.defs.conftest import write_repo_instance_yaml

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """DAGSTER_HOME in tmp_path with the repo's dagster.yaml, storage paths moved under it."""
    home = tmp_path / "home"
    home.mkdir()
    write_repo_instance_yaml(home)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    for name in ("ATOP_SHEETS", "ATOP_WAREHOUSE", "ATOP_OFFLINE", "ATOP_AS_OF"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ATOP_REPORTS", str(tmp_path / "reports"))
    return home


def test_ingest_runs_through_dagster_prints_counts_and_exits_0_despite_quarantine(dagster_home, sheets_dir, tmp_path, capsys):
    warehouse = tmp_path / "out" / "atop.duckdb"
    code = cli.main(["ingest", "--sheets", str(sheets_dir), "--warehouse", str(warehouse), "--offline", "--as-of", "2026-11-28"])
    out = capsys.readouterr().out

    assert code == 0
    assert "sheets quarantined: 1" in out and "files read: 6" in out
    assert "in-force verdicts: in_force 1, terminated 3" in out
    assert "unreachable: 4" in out
    assert warehouse.exists()
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = instance.get_runs()
    assert [(r.job_name, r.status) for r in runs] == [("ingest_job", dg.DagsterRunStatus.SUCCESS)]
    assert runs[0].tags["dagster/asset_partition_range_start"] == "atop_1005"
    assert runs[0].run_config["resources"]["warehouse"]["config"]["path"] == str(warehouse)


def test_ingest_of_a_folder_without_sheets_still_runs_the_rest(dagster_home, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    code = cli.main(["ingest", "--sheets", str(empty), "--warehouse", str(tmp_path / "w" / "atop.duckdb"), "--offline"])
    assert code == 0
    assert "files read: 0" in capsys.readouterr().out


def test_ingest_refuses_a_url_offline(dagster_home, capsys):
    assert cli.main(["ingest", "--sheets", "https://example.org/sheets.zip", "--offline"]) == 2
    assert "offline" in capsys.readouterr().err


def test_ui_starts_dagster_dev_on_loopback_with_dagster_home(monkeypatch, tmp_path):
    calls = []

    def fake_run(command, **kwargs):
        calls.append((command, kwargs))
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.chdir(REPO)
    monkeypatch.setenv("DAGSTER_HOME", "")  # recorded, so the command's own setting is undone afterwards
    monkeypatch.delenv("DAGSTER_HOME")
    monkeypatch.setattr(subprocess, "run", fake_run)
    assert cli.main(["ui", "--port", "3111"]) == 0
    ((command, kwargs),) = calls
    assert command == [sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", "3111"]
    assert kwargs["env"]["DAGSTER_HOME"] == str(REPO)
    assert "shell" not in kwargs


def _started_run(instance: dg.DagsterInstance, tags: dict[str, str]) -> dg.DagsterRun:
    """A run record in STARTED state, as a command-launched run leaves it while it executes."""
    graph = dg.Definitions(assets=[dg.AssetSpec("a")]).resolve_asset_graph()
    run = instance.create_run_for_job(dg.define_asset_job("j").resolve(asset_graph=graph), tags=tags)
    instance.run_storage.handle_run_event(run.run_id, dg.DagsterEvent(event_type_value="PIPELINE_START", job_name="j"))
    return run


def test_a_run_left_started_by_a_dead_process_is_marked_failed():
    from atop_pipeline.defs.runs import PID_TAG, cli_run_tags, fail_runs_of_dead_processes

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with dg.instance_for_test() as instance:
        orphan = _started_run(instance, {**cli_run_tags(), PID_TAG: str(dead.pid)})
        running = _started_run(instance, cli_run_tags())  # this very process: alive
        assert fail_runs_of_dead_processes(instance) == [orphan.run_id]
        assert instance.get_run_by_id(orphan.run_id).status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(running.run_id).status == dg.DagsterRunStatus.STARTED
