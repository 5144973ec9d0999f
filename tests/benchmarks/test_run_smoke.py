"""Smoke test of `python benchmarks/run.py --quick`'s logic on a tiny corpus (no timing is asserted)."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

#: The keys issue 6 asks results.json to carry, all numeric.
REQUIRED_NUMBERS = (
    "parse_sheets_per_s",
    "read_floor_sheets_per_s",
    "ingest_789_wall_s",
    "plain_loop_789_wall_s",
    "ingest_7890_wall_s",
    "noop_rerun_wall_s",
    "changed_1pct_rerun_wall_s",
    "recheck_304_wall_s",
    "peak_rss_mb",
    "roundtrip_agreement",
    "parse_mb_per_s",
    "dagster_overhead_ratio",
    "scale_ratio",
)


def _load_run_module():
    spec = importlib.util.spec_from_file_location("bench_run", REPO / "benchmarks" / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    """One `--quick` run shrunk to 3 alliances x2, into a temp work folder and results file."""
    bench = _load_run_module()
    root = tmp_path_factory.mktemp("bench")
    out = root / "results.json"
    capture = root / "stdout.txt"
    saved = sys.stdout
    with capture.open("w") as handle:
        sys.stdout = handle
        try:
            code = bench.main(["--quick", "--limit", "3", "--copies", "2", "--skip-plain-scale",
                               "--work", str(root / "work"), "--out", str(out)])
        finally:
            sys.stdout = saved
    assert code == 0
    return json.loads(out.read_text()), capture.read_text()


def test_results_carry_every_required_key_as_a_finite_number(quick_run) -> None:
    results, _ = quick_run
    missing = [k for k in REQUIRED_NUMBERS if not isinstance(results.get(k), (int, float)) or not math.isfinite(results[k])]
    assert missing == []
    assert 0.0 <= results["roundtrip_agreement"] <= 1.0


def test_results_name_the_environment_and_the_offline_sources(quick_run) -> None:
    results, _ = quick_run
    env = results["environment"]
    assert env["cores"] >= 1 and env["python"] and env["versions"]["dagster"]
    assert "offline" in results["sources"]
    assert results["mode"] == "quick"


def test_every_run_saw_the_whole_tiny_corpus(quick_run) -> None:
    results, _ = quick_run
    assert results["corpus_sheets"] == 3 and results["scale_sheets"] == 6
    assert results["parse_files"] == 3 and results["parse_failures"] == 0
    assert any("files read: 3" in line for line in results["ingest_789"]["summary"])
    assert any("files read: 6" in line for line in results["ingest_7890"]["summary"])
    assert results["distinct_sheets"] == 6
    assert any("loaded: 6" in line for line in results["ingest_distinct"]["summary"])
    # Unchanged sheets are settled by content hash before the run: a no-change re-run reads none.
    assert any("files read: 0" in line for line in results["noop_rerun"]["summary"])
    assert len(results["changed_files"]) == 1
    assert any("files read: 1" in line for line in results["changed_1pct_rerun"]["summary"])
    assert any("loaded: 1 (unchanged: 0)" in line for line in results["changed_1pct_rerun"]["summary"])


def test_the_recheck_gets_304_for_every_source(quick_run) -> None:
    results, _ = quick_run
    assert results["recheck_urls"] >= 1
    assert results["recheck_outcomes"] == {"not_modified": results["recheck_urls"]}


def test_the_table_is_printed_with_the_targets(quick_run) -> None:
    _, printed = quick_run
    assert "parse, sheets/s (1 core)" in printed and ">= 200.0" in printed
    assert "sources: offline" in printed
