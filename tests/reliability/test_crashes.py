"""kill -9 of the main job at several points; the published warehouse must hold the previous complete
state, open read-only and pass every pandera schema, and the next run must complete without repair.

The job runs in its own process group (tests/reliability/entry.py); at the chosen point it writes a
marker file and waits, and the test SIGKILLs the whole group there, so each kill lands exactly where
named: while parsing, inside the load transaction, after load while recording sources, and during
publish (verified temp copy written, published file not yet replaced).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.reliability.conftest import (
    REPO,
    Sandbox,
    kill_group,
    make_sandbox,
    run_entry,
    start_entry,
    table_state,
    validate_published,
    wait_for_file,
)
from tests.reliability.hostile import FIXTURES, REAL_6070

pytestmark = pytest.mark.timeout(600)

CORE_POINTS = ("parse", "load", "fetch", "publish")
#: One point in the suite (a Dagster run costs 15-30 s); benchmarks/reliability.py runs load and publish.
DAGSTER_POINTS = ("load",)

FIRST_BATCH = {"codesheet_6070.txt": REAL_6070, "variant_3180_nato.txt": FIXTURES / "variant_3180_nato.txt"}
SECOND_BATCH = {
    "variant_4678_central_america.txt": FIXTURES / "variant_4678_central_america.txt",
    "variant_3275_baghdad_pact.txt": FIXTURES / "variant_3275_baghdad_pact.txt",
    "variant_1370_reinsurance_treaty.txt": FIXTURES / "variant_1370_reinsurance_treaty.txt",
}


def _batch(folder: Path, files: dict[str, Path]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in files.items():
        (folder / name).write_bytes(source.read_bytes())
    return folder


class Baseline:
    """A warehouse after one good run over the first batch, and the second batch's sheet folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.first = _batch(root / "first", FIRST_BATCH)
        self.both = _batch(root / "both", {**FIRST_BATCH, **SECOND_BATCH})
        self.warehouse_dir = root / "warehouse"
        self.warehouse = self.warehouse_dir / "atop.duckdb"
        result = run_entry(make_sandbox(root / "baseline-box"), "core", self.first, self.warehouse)
        assert result.returncode == 0, result.stderr[-3000:]
        self.state = table_state(self.warehouse)

    def copy(self, target: Path) -> Path:
        """A private copy of the baseline warehouse folder (working file and lock included)."""
        shutil.copytree(self.warehouse_dir, target)
        return target / "atop.duckdb"


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    """The published state every crash must leave untouched."""
    return Baseline(tmp_path_factory.mktemp("crash-baseline"))


def _crash(box: Sandbox, mode: str, sheets: Path, warehouse: Path, point: str, *, dagster_home: Path | None = None) -> None:
    marker = box.root / f"at-{point}"
    process = start_entry(box, mode, sheets, warehouse, crash_at=point, marker=marker, dagster_home=dagster_home)
    try:
        wait_for_file(marker, process)
    finally:
        kill_group(process)
    assert process.returncode == -9


def _assert_previous_state_and_recovery(baseline: Baseline, box: Sandbox, warehouse: Path, mode: str,
                                        dagster_home: Path | None = None, timeout: float = 300) -> None:
    validate_published(warehouse)
    assert table_state(warehouse) == baseline.state, "the published warehouse changed after a crash"
    result = run_entry(box, mode, baseline.both, warehouse, dagster_home=dagster_home, timeout=timeout)
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-4000:])
    counts = validate_published(warehouse)
    assert counts["alliances"] == len(FIRST_BATCH) + len(SECOND_BATCH)
    leftovers = [p.name for p in warehouse.parent.iterdir() if ".publish-" in p.name or p.name.endswith(".tmp")]
    assert leftovers == []


@pytest.mark.parametrize("point", CORE_POINTS)
def test_core_run_killed_mid_job_leaves_the_published_state_and_the_next_run_completes(
    baseline: Baseline, tmp_path: Path, point: str
) -> None:
    warehouse = baseline.copy(tmp_path / "warehouse")
    box = make_sandbox(tmp_path / "box")
    _crash(box, "core", baseline.both, warehouse, point)
    _assert_previous_state_and_recovery(baseline, box, warehouse, "core")


def _dagster_home(path: Path) -> Path:
    path.mkdir(parents=True)
    for name in ("dagster.yaml", "workspace.yaml"):
        shutil.copy(REPO / name, path / name)
    return path


@pytest.mark.parametrize("point", DAGSTER_POINTS)
def test_dagster_ingest_killed_mid_job_leaves_the_published_state_and_the_next_run_completes(
    baseline: Baseline, tmp_path: Path, point: str
) -> None:
    warehouse = baseline.copy(tmp_path / "warehouse")
    box = make_sandbox(tmp_path / "box")
    home = _dagster_home(tmp_path / "dagster_home")
    _crash(box, "dagster", baseline.both, warehouse, point, dagster_home=home)
    # A normal run over these five sheets takes ~30 s; 150 s is ample, and a blocked run fails here.
    _assert_previous_state_and_recovery(baseline, box, warehouse, "dagster", dagster_home=home, timeout=150)


def test_a_kill_while_the_working_copy_is_made_needs_no_repair(baseline: Baseline, tmp_path: Path) -> None:
    # No working copy (deleted, or a fresh machine with only the published file): the first connection
    # copies the published file, and the kill lands mid-copy.
    warehouse = baseline.copy(tmp_path / "warehouse")
    (warehouse.parent / ".atop.work.duckdb").unlink()
    box = make_sandbox(tmp_path / "box")
    _crash(box, "core", baseline.both, warehouse, "working-copy")
    _assert_previous_state_and_recovery(baseline, box, warehouse, "core")


def test_a_torn_line_in_the_snapshot_index_loses_nothing_else(tmp_path: Path) -> None:
    # What a kill -9 in the middle of SnapshotStore.record leaves: half a JSON line at the end.
    import datetime as dt

    from atop_pipeline.sources.http import FetchOutcome
    from atop_pipeline.sources.store import SnapshotStore

    def outcome(n: int) -> FetchOutcome:
        return FetchOutcome(snapshot_id=f"s{n}", url="http://example.org/a", final_url="http://example.org/a",
                            fetched_at=dt.datetime(2026, 11, 28, tzinfo=dt.timezone.utc), outcome="ok",
                            status_code=200, body=f"page {n}".encode())

    store = SnapshotStore(tmp_path / "store")
    store.record(outcome(1))
    with store.index_path.open("ab") as handle:
        handle.write(b'{"url": "http://example.org/a", "outcome": "ok", "sha2')  # torn by the kill
    reopened = SnapshotStore(tmp_path / "store")
    reopened.record(outcome(2))
    again = SnapshotStore(tmp_path / "store")
    assert [o.snapshot_id for o in again.history("http://example.org/a")] == ["s1", "s2"]
    assert again.last_good("http://example.org/a").body == b"page 2"
