"""The real UI: `dagster dev` on a free loopback port serves the asset graph and runs ingest_job.

One test drives the whole thing through the GraphQL API, as a user in the UI would: every asset is
in the graph, partitions are added, the main job is launched over all of them and succeeds, and a
backfill of every partition becomes exactly one run (the single-run backfill policy).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.defs.conftest import write_repo_instance_yaml

REPO = Path(__file__).resolve().parents[2]
EXPECTED_ASSETS = {
    "codesheets",
    "warehouse",
    "source_documents",
    "source_snapshots",
    "source_readings",
    "in_force_status",
    "published_warehouse",
    "status_report",
}
REPOSITORY = {"repositoryLocationName": "atop_pipeline", "repositoryName": "__repository__"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _instance_yaml(home: Path) -> None:
    """The repo's dagster.yaml with every storage path moved under `home` (the test's tmp_path)."""
    write_repo_instance_yaml(home)


class GraphQL:
    """A tiny client for the webserver's /graphql endpoint."""

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}/graphql"

    def __call__(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(self.url, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = json.loads(response.read())
        assert "errors" not in payload, payload
        return payload["data"]


def _wait_until(predicate, *, timeout: float, what: str, proc: subprocess.Popen):
    """Poll `predicate` until it returns a truthy value; fail naming `what` (with the server log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"dagster dev exited ({proc.returncode}) while waiting for {what}")
        try:
            value = predicate()
        except (OSError, urllib.error.URLError, json.JSONDecodeError):
            value = None
        if value:
            return value
        time.sleep(1)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def dagster_dev(tmp_path: Path, sheets_dir: Path):
    """`dagster dev` (webserver + daemons) on a free port, its instance and warehouse under tmp_path."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    _instance_yaml(home)
    port = _free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "ATOP_SHEETS": str(sheets_dir),
        "ATOP_WAREHOUSE": str(tmp_path / "warehouse" / "atop.duckdb"),
        "ATOP_DOWNLOADS": str(tmp_path / "downloads"),
        "ATOP_OFFLINE": "1",
        "ATOP_AS_OF": "2026-11-28",
        "ATOP_REPORTS": str(tmp_path / "reports"),
        "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    log = (tmp_path / "dagster_dev.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "dagster", "dev", "-w", str(REPO / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the webserver, daemon and code servers stop together
    )
    try:
        yield proc, GraphQL(port), home
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


ASSET_NODES = "{ assetNodes { assetKey { path } } }"
LOCATION = """{ workspaceOrError { ... on Workspace { locationEntries { name
  locationOrLoadError { __typename ... on PythonError { message } } } } } }"""
ADD_PARTITION = """mutation($selector: RepositorySelector!, $name: String!, $key: String!) {
  addDynamicPartition(repositorySelector: $selector, partitionsDefName: $name, partitionKey: $key) {
    __typename ... on PythonError { message } } }"""
LAUNCH_RUN = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message }
  ... on RunConfigValidationInvalid { errors { message } } ... on InvalidSubsetError { message } } }"""
RUN_STATUS = """query($runId: ID!) { runOrError(runId: $runId) { ... on Run { status } } }"""
LAUNCH_BACKFILL = """mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }"""
RUNS_WITH_TAG = """query($key: String!, $value: String!) { runsOrError(filter: {tags: [{key: $key, value: $value}]}) {
  ... on Runs { results { runId status tags { key value } } } } }"""


def _add_partitions_directly(home: Path, keys: list[str]) -> None:
    """Register many partitions at once through the instance (what the sensor and the CLI do)."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions("codesheets", keys)


def _location_loaded(gql: GraphQL) -> bool:
    entries = gql(LOCATION)["workspaceOrError"]["locationEntries"]
    state = entries[0]["locationOrLoadError"] if entries else None
    if state and state["__typename"] == "PythonError":
        pytest.fail(f"code location failed to load: {state['message']}")
    return bool(state) and state["__typename"] == "RepositoryLocation"


def _run_finished(gql: GraphQL, run_id: str) -> str | None:
    status = gql(RUN_STATUS, {"runId": run_id})["runOrError"]["status"]
    return status if status in {"SUCCESS", "FAILURE", "CANCELED"} else None


@pytest.mark.timeout(240)
def test_ui_serves_the_graph_runs_ingest_job_and_backfills_205_partitions_as_one_run(dagster_dev):
    proc, gql, home = dagster_dev
    _wait_until(lambda: _location_loaded(gql), timeout=90, what="the code location to load", proc=proc)

    assets = {"/".join(n["assetKey"]["path"]) for n in gql(ASSET_NODES)["assetNodes"]}
    assert EXPECTED_ASSETS <= assets

    keys = ["atop_1005", "atop_1010", "atop_1012", "atop_1015", "atop_6070", "atop_unidentified"]
    for key in keys:
        added = gql(ADD_PARTITION, {"selector": REPOSITORY, "name": "codesheets", "key": key})
        assert added["addDynamicPartition"]["__typename"] == "AddDynamicPartitionSuccess", added

    params = {
        "selector": {**REPOSITORY, "jobName": "ingest_job"},
        "runConfigData": {},
        "executionMetadata": {
            "tags": [
                {"key": "dagster/asset_partition_range_start", "value": keys[0]},
                {"key": "dagster/asset_partition_range_end", "value": keys[-1]},
            ]
        },
    }
    launched = gql(LAUNCH_RUN, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]

    # Meanwhile, a backfill of every partition of `codesheets` must become ONE run covering the range.
    # (Launched now rather than after the run, because the backfill daemon only looks every 30 s; the
    # warehouse pool and lock serialise the two runs' writes.)
    bulk = keys + [f"atop_{n}" for n in range(2000, 2200)]  # 200 alliances with no sheet (yet): no-ops
    _add_partitions_directly(home, bulk[len(keys):])
    backfill = gql(LAUNCH_BACKFILL, {"params": {"assetSelection": [{"path": ["codesheets"]}], "partitionNames": bulk}})
    assert backfill["launchPartitionBackfill"]["__typename"] == "LaunchBackfillSuccess", backfill
    backfill_id = backfill["launchPartitionBackfill"]["backfillId"]

    status = _wait_until(lambda: _run_finished(gql, run_id), timeout=150, what="ingest_job to finish", proc=proc)
    assert status == "SUCCESS"

    def backfill_runs():
        runs = gql(RUNS_WITH_TAG, {"key": "dagster/backfill", "value": backfill_id})["runsOrError"]["results"]
        return runs if runs and all(r["status"] in {"SUCCESS", "FAILURE"} for r in runs) else None

    runs = _wait_until(backfill_runs, timeout=120, what="the backfill's run", proc=proc)
    assert len(runs) == 1
    tags = {t["key"]: t["value"] for t in runs[0]["tags"]}
    assert (tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]) == (bulk[0], bulk[-1])
    assert runs[0]["status"] == "SUCCESS"
