"""CI runs a 50-sheet slice of the synthetic corpus end to end through Dagster (the full benchmark is
`python benchmarks/run.py`): every sheet is loaded or quarantined with a reason, the pipeline agrees
with the round-trip measure on the slice, and the published warehouse passes its checks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from atop_pipeline.synth.corpus import generate_corpus, read_manifest
from atop_pipeline.synth.roundtrip import roundtrip

SLICE = 50


@pytest.fixture(scope="module")
def slice_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """Generate 50 sheets, run ingest_job over them offline on a temp instance into a temp warehouse."""
    from atop_pipeline.defs.runs import execute_ingest, summary_from_run

    root = tmp_path_factory.mktemp("ci_slice")
    sheets = root / "sheets"
    generate_corpus(sheets, seed=0, limit=SLICE, pdf_share=0.04)
    warehouse = root / "warehouse" / "atop.duckdb"
    patch = pytest.MonkeyPatch()
    patch.setenv("ATOP_REPORTS", str(root / "reports"))  # the status step writes its report here
    patch.delenv("ATOP_SHEETS", raising=False)
    patch.delenv("ATOP_WAREHOUSE", raising=False)
    (root / "dagster").mkdir()
    try:
        with dg.instance_for_test(temp_dir=str(root / "dagster")) as instance:
            result = execute_ingest(instance, sheets, warehouse=warehouse, offline=True, as_of="2026-11-28")
            yield result, summary_from_run(result), sheets, warehouse
    finally:
        patch.undo()


def _published(warehouse: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(warehouse), read_only=True)


def test_the_slice_runs_through_dagster_as_one_successful_run(slice_run) -> None:
    result, summary, _, warehouse = slice_run
    assert result.success
    assert summary.files_read == SLICE
    assert warehouse.exists()


def test_every_sheet_of_the_slice_is_loaded_or_quarantined_with_a_reason(slice_run) -> None:
    _, summary, sheets, warehouse = slice_run
    generated = {row.file for row in read_manifest(sheets)}
    with _published(warehouse) as con:
        loaded = {r[0] for r in con.execute("SELECT source_file FROM codesheets WHERE is_current").fetchall()}
        reasons = {}
        for source_file, error, message in con.execute(
            "SELECT source_file, error, message FROM ingest_errors"
        ).fetchall():
            reasons.setdefault(source_file, []).append((error or "") + (message or ""))
    quarantined = set(reasons)
    assert len(generated) == SLICE
    assert generated == loaded | quarantined
    assert not loaded & quarantined
    assert all(any(text.strip() for text in reasons[f]) for f in quarantined)
    assert summary.loaded + summary.quarantined == SLICE


def test_the_loaded_sheets_agree_with_the_round_trip_measure(slice_run) -> None:
    """The warehouse's reconciliation with ATOP 5.1 finds exactly the alliance-level differences the
    round-trip measure finds on the same slice (so loading loses or changes nothing the parser derives)."""
    _, _, sheets, warehouse = slice_run
    report = roundtrip(sheets)
    assert report.files == SLICE and report.errors == []
    assert report.overall >= 0.97
    with _published(warehouse) as con:
        loaded = {r[0] for r in con.execute("SELECT atopid FROM codesheets WHERE is_current").fetchall()}
        variables = {r[0] for r in con.execute("SELECT DISTINCT variable FROM reconciliation").fetchall()}
        warehouse_disagreements = {
            (int(a), v)
            for a, v in con.execute(
                # Undetermined values (parsed NULL) count as disagreements here, as in the round-trip.
                "SELECT atopid, variable FROM reconciliation WHERE parsed_value IS DISTINCT FROM published_value"
            ).fetchall()
        }
    roundtrip_disagreements = {
        (m.atopid, m.variable) for m in report.mismatches if m.atopid in loaded and m.variable in variables
    }
    assert warehouse_disagreements == roundtrip_disagreements


def test_the_published_warehouse_passes_its_checks(slice_run) -> None:
    result, _, _, warehouse = slice_run
    evaluations = result.get_asset_check_evaluations()
    assert evaluations, "the run evaluated no checks"
    blocking_failed = [e.check_name for e in evaluations if not e.passed and e.blocking]
    assert blocking_failed == []
    # Independently of the run's own checks: every table of the published file satisfies its model.
    from atop_pipeline.schemas import SCHEMAS

    validated = {}
    with _published(warehouse) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        for table, model in SCHEMAS.items():
            if table in tables:
                frame = con.execute(f'SELECT * FROM "{table}"').df()  # name from the pandera registry
                model.validate(frame, lazy=True)
                validated[table] = len(frame)
    assert all(validated.get(t, 0) > 0 for t in ("codesheets", "alliances", "members", "answers", "in_force_status"))
