"""The plain-loop core the assets call: partition keys, folder scans, the sensor's diff and run_ingest."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import pytest

from atop_pipeline import pipeline
from atop_pipeline.codesheets.model import SheetError
from atop_pipeline.codesheets.reading import RawInput, iter_inputs


def _scanned(name: str, data: bytes, key: str) -> pipeline.ScannedInput:
    return pipeline.ScannedInput(key, name, hashlib.sha256(data).hexdigest(), RawInput(name, data))


@pytest.mark.parametrize(("atopid", "key"), [(6070, "atop_6070"), (1001, "atop_1001"), (None, "atop_unidentified")])
def test_partition_key_names_the_alliance(atopid, key):
    assert pipeline.partition_key(atopid) == key
    assert pipeline.atopid_for_key(key) == atopid


def test_scan_keys_inputs_with_the_given_peek():
    items = [RawInput("a.txt", b"first"), RawInput("b.txt", b"second")]
    scanned = pipeline.scan_inputs(items, peek=lambda data, name: 4001 if name == "a.txt" else 4002)
    assert [(s.key, s.source_file) for s in scanned] == [("atop_4001", "a.txt"), ("atop_4002", "b.txt")]


def test_scan_falls_back_to_a_full_parse_when_the_peek_finds_no_id(sheets_dir):
    scanned = pipeline.scan_folder(sheets_dir, peek=lambda data, name: None)
    keys = {s.source_file: s.key for s in scanned}
    assert keys["codesheet_6070.txt"] == "atop_6070"
    assert keys["meeting_notes.txt"] == "atop_unidentified"


def test_read_failures_are_scanned_under_the_unidentified_key():
    error = SheetError("huge.txt", None, "read", "too_large", "huge.txt is too large")
    (scanned,) = pipeline.scan_inputs([error], peek=lambda d, n: None)
    assert scanned.key == pipeline.UNIDENTIFIED_KEY and scanned.item is error


def test_plan_requests_runs_only_for_new_or_changed_content():
    a, b = _scanned("a.txt", b"one", "atop_4001"), _scanned("b.txt", b"two", "atop_4002")
    previous = {"a.txt": a.sha256, "b.txt": "old-hash"}
    plan = pipeline.plan_folder_changes([a, b], previous, existing_keys=["atop_4001", "atop_4002"])
    assert list(plan.run_keys) == ["atop_4002"]
    assert plan.new_keys == []
    assert plan.state == {"a.txt": a.sha256, "b.txt": b.sha256}


def test_plan_defers_changes_beyond_the_cap_without_losing_them():
    scanned = [_scanned(f"{n}.txt", str(n).encode(), f"atop_{n}") for n in range(4001, 4004)]
    plan = pipeline.plan_folder_changes(scanned, {}, existing_keys=[], max_runs=2)
    assert list(plan.run_keys) == ["atop_4001", "atop_4002"] and plan.deferred == 1
    assert "4003.txt" not in plan.state
    assert plan.new_keys == ["atop_4001", "atop_4002", "atop_4003"]


def test_run_ingest_loads_checks_assesses_and_publishes_offline(sheets_dir, tmp_path):
    warehouse = tmp_path / "wh" / "atop.duckdb"
    summary = pipeline.run_ingest(sheets_dir, warehouse, offline=True, as_of=dt.date(2026, 11, 28),
                                  reports_dir=tmp_path / "reports")
    assert (summary.files_read, summary.loaded, summary.quarantined, summary.errors) == (6, 4, 1, 1)
    assert summary.verdicts == {"in_force": 1, "terminated": 3}
    assert summary.unreachable == summary.urls == 4
    assert Path(summary.report_path) == tmp_path / "reports" / "status_2026-11-28.html"
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM in_force_status").fetchone()[0] == 4
    finally:
        con.close()


def test_run_ingest_does_not_publish_when_a_blocking_check_fails(sheets_dir, tmp_path, monkeypatch):
    warehouse = tmp_path / "wh" / "atop.duckdb"
    failing = pipeline.CheckOutcome("members_matches_schema", passed=False, blocking=True, num_failures=1)
    monkeypatch.setattr(pipeline, "run_checks", lambda wh, **kw: [failing])
    with pytest.raises(pipeline.BlockingCheckFailed, match="members_matches_schema"):
        pipeline.run_ingest(sheets_dir, warehouse, offline=True, as_of=dt.date(2026, 11, 28))
    assert not warehouse.exists()


def test_a_local_sheet_source_is_used_as_is(tmp_path):
    assert pipeline.resolve_sheets(tmp_path) == Path(tmp_path)
    assert pipeline.is_url("https://example.org/sheets.zip") and not pipeline.is_url(tmp_path)


def test_a_file_the_reader_refuses_is_counted_once(tmp_path):
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "notes.txt").write_bytes(b"no sheet here\n")
    load = pipeline.load_inputs(pipeline.open_warehouse(tmp_path / "wh" / "atop.duckdb"), list(iter_inputs(tmp_path)))
    assert load.files_read == 2 and load.errors == 2


def test_settled_hashes_skip_only_current_versions_and_read_failures(tmp_path) -> None:
    """A no-change run re-reads nothing; a changed file, and only it, is new work."""
    from atop_pipeline import pipeline

    sheets = tmp_path / "sheets"
    sheets.mkdir()
    real = Path(__file__).resolve().parents[2] / "data" / "codesheets" / "codesheet_6070.txt"
    (sheets / "codesheet_6070.txt").write_bytes(real.read_bytes())
    (sheets / "empty.txt").write_bytes(b"")
    warehouse = tmp_path / "wh" / "atop.duckdb"
    assert pipeline.settled_hashes(warehouse) == set()

    pipeline.run_ingest(sheets, warehouse, offline=True)
    scanned = pipeline.scan_folder(sheets)
    assert pipeline.changed_keys(scanned, pipeline.settled_hashes(warehouse)) == []

    (sheets / "codesheet_6070.txt").write_bytes(real.read_bytes() + b"\n58. extra line\n")
    scanned = pipeline.scan_folder(sheets)
    assert pipeline.changed_keys(scanned, pipeline.settled_hashes(warehouse)) == ["atop_6070"]


def _assess_again(warehouse: Path, as_of: dt.date) -> pipeline.StatusReport:
    wh = pipeline.open_warehouse(warehouse)
    with wh.lock():
        return pipeline.assess_status(wh, as_of=as_of)


def test_a_verdict_from_the_same_inputs_is_kept_not_recomputed(sheets_dir, tmp_path, monkeypatch):
    warehouse = tmp_path / "wh" / "atop.duckdb"
    as_of = dt.date(2026, 11, 28)
    first = pipeline.run_ingest(sheets_dir, warehouse, offline=True, as_of=as_of)
    parsed: list[int] = []
    real_parse = pipeline.parse_inputs

    def counting(items, **kw):
        batch = real_parse(items, **kw)
        parsed.extend(s.atopid for s in batch.sheets)
        return batch

    monkeypatch.setattr(pipeline, "parse_inputs", counting)
    same = _assess_again(warehouse, as_of)
    assert (same.assessed, same.reused, parsed) == (0, 4, [])
    assert same.verdicts == first.verdicts  # the counts still cover every alliance

    monkeypatch.setattr(pipeline, "_PARSED", {})  # as in a new process: the sheets must be read again
    next_day = _assess_again(warehouse, as_of + dt.timedelta(days=1))
    assert (next_day.assessed, next_day.reused) == (4, 0) and sorted(parsed) == [1005, 1010, 1015, 6070]


def test_a_changed_sheet_or_source_outcome_is_reassessed(sheets_dir, tmp_path):
    warehouse = tmp_path / "wh" / "atop.duckdb"
    as_of = dt.date(2026, 11, 28)
    def digests() -> dict[int, str]:
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            return dict(con.execute("SELECT atopid, inputs_digest FROM in_force_status WHERE as_of = ?", [as_of]).fetchall())
        finally:
            con.close()

    pipeline.run_ingest(sheets_dir, warehouse, offline=True, as_of=as_of)
    before = digests()
    sheet = sheets_dir / "codesheet_6070.txt"
    sheet.write_bytes(sheet.read_bytes() + b"\n")
    pipeline.run_ingest(sheets_dir, warehouse, offline=True, as_of=as_of)
    after = digests()
    assert len(after) == 4 and all(d and len(d) == 64 for d in after.values())
    assert [a for a in after if after[a] != before[a]] == [6070]
    # A source that now answers (instead of being offline) changes every verdict citing it.
    versions = {6070: "a" * 64}
    cited = {6070: ["http://adilet.zan.kz/rus/docs/Z1400000246"]}
    offline = pipeline.verdict_inputs(versions, cited, None, "v")
    from atop_pipeline.sources.http import FetchOutcome

    now = dt.datetime(2026, 11, 28, tzinfo=dt.timezone.utc)
    fetched = [(FetchOutcome(snapshot_id="s1", url=cited[6070][0], final_url=cited[6070][0], fetched_at=now,
                             outcome="ok", status_code=200, sha256="b" * 64), None)]
    failed_twice = [(FetchOutcome(snapshot_id=f"s{i}", url=cited[6070][0], final_url=cited[6070][0],
                                  fetched_at=now + dt.timedelta(hours=i), outcome="unreachable"), None) for i in (1, 2)]
    assert pipeline.verdict_inputs(versions, cited, fetched, "v") != offline
    # The same failure again at another time is no new input; another version of the code is.
    assert pipeline.verdict_inputs(versions, cited, failed_twice[:1], "v") == pipeline.verdict_inputs(
        versions, cited, failed_twice[1:], "v")
    assert pipeline.verdict_inputs(versions, cited, None, "w") != offline


def test_a_table_is_validated_again_only_when_its_rows_or_model_change(sheets_dir, tmp_path, monkeypatch):
    warehouse = tmp_path / "wh" / "atop.duckdb"
    pipeline.run_ingest(sheets_dir, warehouse, offline=True, as_of=dt.date(2026, 11, 28))
    wh = pipeline.open_warehouse(warehouse)
    first = pipeline.check_table(wh, "answers")
    again = pipeline.check_table(wh, "answers")
    assert first.num_failures == 0 and again.reused and again.rows == first.rows
    with wh.connect() as con:
        con.execute("UPDATE answers SET flag = 'no such flag' WHERE number = 5 AND atopid = 6070")
    changed = pipeline.check_table(wh, "answers")
    assert not changed.reused and changed.num_failures == 1
    # A failing table is not remembered: the next check looks at the rows again.
    assert not pipeline.check_table(wh, "answers").reused
    with wh.connect() as con:
        con.execute("UPDATE answers SET flag = 'yes' WHERE number = 5 AND atopid = 6070")
    pipeline.check_table(wh, "answers")
    monkeypatch.setattr(pipeline, "_schemas_source_digest", lambda: "another model")
    assert not pipeline.check_table(wh, "answers").reused


def test_status_assesses_every_alliance_when_the_parse_cache_overflows(sheets_dir, tmp_path, monkeypatch):
    """More sheets than the in-process parse cache holds: entries evicted mid-step are read again."""
    monkeypatch.setattr(pipeline, "_PARSED_MAX", 2)
    monkeypatch.setattr(pipeline, "_PARSED", {})
    summary = pipeline.run_ingest(sheets_dir, tmp_path / "wh" / "atop.duckdb", offline=True,
                                  as_of=dt.date(2026, 11, 28))
    assert sum(summary.verdicts.values()) == 4
