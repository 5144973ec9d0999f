"""Hostile and broken inputs, all in ONE batch with good sheets, through the main job in a sandboxed process.

Each case of tests/reliability/hostile.py must end as its `ingest_errors` row (or a warning on its
loaded sheet); the good sheets load; the run finishes and publishes; and nothing is written outside
the warehouse folder: the sheet folder, the symlink's target folder, a sentinel folder, the process's
cwd, HOME and TMPDIR are all unchanged/empty afterwards.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.reliability.conftest import Sandbox, make_sandbox, run_entry, snapshot_tree, validate_published
from tests.reliability.hostile import HostileCase, write_hostile_corpus

pytestmark = pytest.mark.timeout(300)


class HostileRun:
    """The corpus, the sandbox and what the one run left behind."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sheets = root / "sheets"
        self.outside = root / "outside"
        self.sentinel = root / "sentinel"
        self.warehouse = root / "warehouse" / "atop.duckdb"
        self.cases: list[HostileCase] = write_hostile_corpus(self.sheets, outside=self.outside)
        self.sentinel.mkdir()
        (self.sentinel / "keep.txt").write_text("must not change\n", encoding="utf-8")
        self.box: Sandbox = make_sandbox(root / "sandbox")
        self.before = {d: snapshot_tree(d) for d in (self.sheets, self.outside, self.sentinel)}
        self.result = run_entry(self.box, "core", self.sheets, self.warehouse)
        self.after = {d: snapshot_tree(d) for d in (self.sheets, self.outside, self.sentinel)}

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        """Rows from the published warehouse (read-only)."""
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> HostileRun:
    """One ingest of the whole hostile corpus (good sheets included), shared by this module's tests."""
    return HostileRun(tmp_path_factory.mktemp("hostile"))


def test_the_run_finishes_and_publishes(hostile_run: HostileRun) -> None:
    assert hostile_run.result.returncode == 0, hostile_run.result.stderr[-4000:]
    summary = json.loads(hostile_run.result.stdout.strip().splitlines()[-1])
    assert summary["ok"] and Path(summary["published_path"]) == hostile_run.warehouse


def test_the_summary_counts_each_file_once(hostile_run: HostileRun) -> None:
    summary = json.loads(hostile_run.result.stdout.strip().splitlines()[-1])
    assert summary["files_read"] == len(hostile_run.cases)


def test_the_published_warehouse_passes_every_schema(hostile_run: HostileRun) -> None:
    counts = validate_published(hostile_run.warehouse)
    assert counts["codesheets"] > 0 and counts["ingest_errors"] > 0


def test_every_input_ends_as_its_case_expects(hostile_run: HostileRun) -> None:
    wrong = [_explain(hostile_run, c) for c in hostile_run.cases if not c.known_gap and not _meets(hostile_run, c)]
    assert not wrong, "\n".join(wrong)


def test_known_gaps_are_still_open(hostile_run: HostileRun) -> None:
    """A case marked `known_gap` must still fail its expectation: a fixed gap has to lose the mark."""
    gaps = [c for c in hostile_run.cases if c.known_gap]
    if not gaps:
        pytest.skip("no hostile case is marked as a known gap")
    fixed = [f"{c.name}: {c.known_gap}" for c in gaps if _meets(hostile_run, c)]
    assert not fixed, f"fixed, remove known_gap: {fixed}"


def test_an_absurd_atop_id_is_named_in_its_error(hostile_run: HostileRun) -> None:
    rows = hostile_run.query("SELECT error, message FROM ingest_errors WHERE source_file = 'hostile/absurd_atopid.txt'")
    assert rows and all("99999999999999999999" in message and "1000 to 7999" in message for _, message in rows)


def test_mixed_encodings_are_decoded_per_line_and_said(hostile_run: HostileRun) -> None:
    rows = hostile_run.query("SELECT raw_text, warnings_json FROM codesheets WHERE source_file = ?",
                             ["hostile/mixed_encodings_6090.txt"])
    assert rows and "Николай Кулумб" in rows[0][0] and "вЂ" not in rows[0][0]


def _meets(run: HostileRun, case: HostileCase) -> bool:
    expect = case.expect
    errors = run.query("SELECT stage, error FROM ingest_errors WHERE source_file = ?", [case.source_file])
    current = run.query("SELECT atopid, warnings_json FROM codesheets WHERE source_file = ? AND is_current",
                        [case.source_file])
    if expect.kind == "error":
        stage_ok = any((expect.stage in ("*", s)) and (expect.errors == ("*",) or e in expect.errors) for s, e in errors)
        loaded = run.query("SELECT count(*) FROM codesheets WHERE source_file = ?", [case.source_file])[0][0]
        return stage_ok and loaded == 0
    if not current or current[0][0] != expect.atopid or errors:
        return False
    if expect.kind == "warning":
        return any(expect.warning in w for w in json.loads(current[0][1] or "[]"))
    return True


def _explain(run: HostileRun, case: HostileCase) -> str:
    errors = run.query("SELECT stage, error, message FROM ingest_errors WHERE source_file = ? LIMIT 5", [case.source_file])
    sheets = run.query("SELECT atopid, is_current, warnings_json FROM codesheets WHERE source_file = ?", [case.source_file])
    return f"{case.name} ({case.source_file}) expected {case.expect}; errors={errors}; sheets={sheets}"


def test_good_sheets_load_alongside_the_hostile_ones(hostile_run: HostileRun) -> None:
    loaded = {r[0] for r in hostile_run.query("SELECT atopid FROM atop_alliance_level")}
    assert {6070, 3180, 4678, 3275} <= loaded


def test_conflicting_versions_leave_the_alliance_out_and_name_each_other(hostile_run: HostileRun) -> None:
    rows = hostile_run.query(
        "SELECT source_file, message FROM ingest_errors WHERE error = 'one_current_version_per_alliance' ORDER BY 1")
    assert [r[0] for r in rows] == ["hostile/conflict_a_6083.txt", "hostile/conflict_b_6083.txt"]
    assert not hostile_run.query("SELECT 1 FROM alliances WHERE atopid = 6083")


def test_the_sheet_behind_an_outside_symlink_is_not_read(hostile_run: HostileRun) -> None:
    assert not hostile_run.query("SELECT 1 FROM codesheets WHERE atopid = 3505")
    outside_target = (hostile_run.outside / "secret_sheet_3505.txt").read_bytes()
    assert not hostile_run.query("SELECT 1 FROM raw_inputs WHERE size = ? AND source_file LIKE '%link%'",
                                 [len(outside_target)])


def test_an_awkward_file_name_is_recorded_exactly(hostile_run: HostileRun) -> None:
    names = {r[0] for r in hostile_run.query("SELECT source_file FROM codesheets")}
    assert "hostile/Договор \"Baghdad\" l'alliance été 3275 .txt" in names


def test_the_over_size_file_is_not_kept_in_the_warehouse(hostile_run: HostileRun) -> None:
    assert hostile_run.query("SELECT max(size) FROM raw_inputs")[0][0] < 20_000_000
    assert hostile_run.warehouse.stat().st_size < 50 * 1024 * 1024


def test_nothing_is_written_outside_the_warehouse_folder(hostile_run: HostileRun) -> None:
    for folder, before in hostile_run.before.items():
        assert snapshot_tree(folder) == before, f"{folder} changed"
    assert hostile_run.box.stray_files() == []
    written = {p.name for p in hostile_run.warehouse.parent.iterdir()}
    # The published file, the private working copy, the writer lock and the snapshot store folder only.
    assert written <= {"atop.duckdb", ".atop.work.duckdb", ".atop.lock", "snapshots", "atop.snapshots"}, written


def test_a_second_run_of_the_same_batch_changes_nothing(hostile_run: HostileRun, tmp_path: Path) -> None:
    from tests.reliability.conftest import table_state

    before = table_state(hostile_run.warehouse, ("raw_inputs", "codesheets", "answers", "alliances", "members",
                                                 "ingest_errors"))
    again = run_entry(make_sandbox(tmp_path / "again"), "core", hostile_run.sheets, hostile_run.warehouse)
    assert again.returncode == 0, again.stderr[-3000:]
    after = table_state(hostile_run.warehouse, ("raw_inputs", "codesheets", "answers", "alliances", "members",
                                                "ingest_errors"))
    assert after == before


class DagsterRun:
    """The same hostile batch through `atop-pipeline ingest` (Dagster), in its own sandbox and warehouse."""

    def __init__(self, hostile_run: HostileRun, root: Path) -> None:
        import shutil

        from tests.reliability.conftest import REPO

        self.home = root / "dagster_home"
        self.home.mkdir()
        for name in ("dagster.yaml", "workspace.yaml"):
            shutil.copy(REPO / name, self.home / name)
        self.box = make_sandbox(root / "box")
        self.warehouse = root / "warehouse" / "atop.duckdb"
        before = snapshot_tree(hostile_run.sheets)
        self.result = run_entry(self.box, "dagster", hostile_run.sheets, self.warehouse, dagster_home=self.home)
        self.sheets_unchanged = snapshot_tree(hostile_run.sheets) == before
        # cwd is DAGSTER_HOME: the instance's storage and the reports folder live there by design.
        self.strays = [p for p in self.box.stray_files() if not p.startswith(str(self.box.cwd))]


@pytest.fixture(scope="module")
def dagster_run(hostile_run: HostileRun, tmp_path_factory: pytest.TempPathFactory) -> DagsterRun:
    """One Dagster ingest of the hostile corpus."""
    return DagsterRun(hostile_run, tmp_path_factory.mktemp("hostile-dagster"))


def _outcomes(path: Path) -> tuple[set, set]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        errors = set(con.execute("SELECT DISTINCT source_file, stage, error FROM ingest_errors").fetchall())
        loaded = set(con.execute("SELECT source_file, atopid FROM codesheets WHERE is_current").fetchall())
        return errors, loaded
    finally:
        con.close()


def test_the_dagster_ingest_of_the_same_batch_records_the_same_outcomes(hostile_run: HostileRun,
                                                                         dagster_run: DagsterRun) -> None:
    assert dagster_run.result.returncode == 0, dagster_run.result.stderr[-4000:]
    assert dagster_run.sheets_unchanged
    assert _outcomes(dagster_run.warehouse) == _outcomes(hostile_run.warehouse)


def test_the_dagster_ingest_writes_nothing_in_home_or_tmp(dagster_run: DagsterRun) -> None:
    assert dagster_run.result.returncode == 0
    assert dagster_run.strays == []
