"""Reliability figures: hostile files, network faults, kill -9 crashes and concurrent readers, measured in one run.

    python benchmarks/reliability.py [--out benchmarks/reliability.json] [--no-dagster] [--work DIR]

Runs the same matrix as tests/reliability/ (it reuses its generator, fault servers and subprocess
harness) and prints / writes:

- files tried, loaded, loaded with warnings, quarantined (rows in ingest_errors), unaccounted (must be 0);
- faults injected (URLs over failing hosts, hostile redirects, gzip bomb, a failing re-fetch) and
  survived (every URL has an outcome of the expected kind, the run ends within its stated bound, the
  last good snapshot is kept);
- crashes injected (kill -9 at each point, plain core loop and Dagster) and recovered (published
  state unchanged and valid, next run completes with no manual step);
- data lost: rows of the previous published state missing after a crash, sheet versions missing after
  recovery, inputs that ended nowhere — must all be 0.

Everything is written under a temporary folder (or --work), nothing in the repository except the JSON.
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.reliability import conftest as harness  # noqa: E402
from tests.reliability.hostile import FIXTURES, REAL_6070, write_hostile_corpus  # noqa: E402


def bad_input(work: Path) -> dict:
    """One batch of the hostile corpus with the good sheets, in a sandboxed process."""
    import duckdb

    sheets, outside, warehouse = work / "sheets", work / "outside", work / "warehouse" / "atop.duckdb"
    cases = write_hostile_corpus(sheets, outside=outside)
    box = harness.make_sandbox(work / "box")
    before = {d: harness.snapshot_tree(d) for d in (sheets, outside)}
    started = time.monotonic()
    result = harness.run_entry(box, "core", sheets, warehouse)
    elapsed = time.monotonic() - started
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        errors = {r[0] for r in con.execute("SELECT DISTINCT source_file FROM ingest_errors").fetchall()}
        loaded = dict(con.execute("SELECT source_file, warnings_json FROM codesheets WHERE is_current").fetchall())
        error_rows = con.execute("SELECT count(*) FROM ingest_errors").fetchone()[0]
    finally:
        con.close()
    files = [c.source_file for c in cases]
    warned = [f for f in files if f in loaded and json.loads(loaded[f] or "[]")]
    unaccounted = [f for f in files if f not in errors and f not in loaded]
    good_missing = [c.source_file for c in cases if c.name.startswith("good sheet") and c.source_file not in loaded]
    return {
        "files_tried": len(files),
        "loaded": sum(1 for f in files if f in loaded),
        "loaded_with_warnings": len(warned),
        "quarantined_or_failed": sum(1 for f in files if f in errors),
        "ingest_errors_rows": int(error_rows),
        "unaccounted_files": unaccounted,
        "good_sheets_missing": good_missing,
        "known_gaps": {c.name: c.known_gap for c in cases if c.known_gap},
        "run_exit_status": result.returncode,
        "written_outside_folders": harness.snapshot_tree(sheets) != before[sheets]
        or harness.snapshot_tree(outside) != before[outside] or bool(box.stray_files()),
        "elapsed_s": round(elapsed, 1),
    }


def network(work: Path) -> dict:
    """The loopback fault matrix, fetched twice (second time with the healthy host failing)."""
    from atop_pipeline.sources.fetch import fetch_all
    from atop_pipeline.sources.http import PoliteFetcher
    from atop_pipeline.sources.store import SnapshotStore
    from tests.reliability.network import OK_PAGE, FaultMatrix, matrix_settings, time_bound

    settings = matrix_settings()
    store = SnapshotStore(work / "snapshots")
    with FaultMatrix() as matrix:
        bound = time_bound(settings, matrix.urls_per_host())
        started = time.monotonic()
        with PoliteFetcher(settings, store=store) as fetcher:
            first = fetch_all(matrix.urls, fetcher)
        first_s = time.monotonic() - started
        matrix.break_healthy_host()
        started = time.monotonic()
        with PoliteFetcher(settings, store=store) as fetcher:
            second = fetch_all(matrix.urls, fetcher)
        second_s = time.monotonic() - started
        expected = matrix.expected
        kept = sum(1 for i in range(matrix.ok_pages)
                   if (g := store.last_good(matrix.healthy.url(f"/ok/{i}"))) is not None and g.body == OK_PAGE.format(i=i).encode())
        injected = {
            "urls": len(matrix.urls),
            "hosts": len(matrix.urls_per_host()),
            "failing_urls": sum(1 for u in matrix.urls if expected[u] != frozenset({"ok"})),
            "refetch_failures": matrix.ok_pages,
        }
        survived = sum(1 for o in first if o.outcome in expected[o.url])
        return {
            "faults_injected": injected,
            "urls_with_expected_outcome": survived,
            "urls_without_outcome": len(set(matrix.urls) - {o.url for o in first}),
            "outcomes": dict(collections.Counter(o.outcome for o in first)),
            "second_fetch_outcomes": dict(collections.Counter(o.outcome for o in second)),
            "last_good_snapshot_kept": f"{kept}/{matrix.ok_pages}",
            "elapsed_s": [round(first_s, 1), round(second_s, 1)],
            "stated_bound_s": round(bound, 1),
            "settings": {k: getattr(settings, k) for k in ("min_interval_s", "connect_timeout_s", "read_timeout_s",
                                                             "max_retries", "total_deadline_s",
                                                             "circuit_breaker_failures", "max_bytes")},
        }


def _batch(folder: Path, names: dict[str, Path]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in names.items():
        (folder / name).write_bytes(source.read_bytes())
    return folder


def crashes(work: Path, *, dagster: bool) -> dict:
    """kill -9 at each point; previous state kept and valid; next run completes; rows lost counted."""
    first = {"codesheet_6070.txt": REAL_6070, "variant_3180_nato.txt": FIXTURES / "variant_3180_nato.txt"}
    second = {n: FIXTURES / n for n in ("variant_4678_central_america.txt", "variant_3275_baghdad_pact.txt",
                                         "variant_1370_reinsurance_treaty.txt")}
    base_sheets, both = _batch(work / "first", first), _batch(work / "both", {**first, **second})
    base_dir = work / "baseline"
    seed = harness.run_entry(harness.make_sandbox(work / "seed-box"), "core", base_sheets, base_dir / "atop.duckdb")
    if seed.returncode != 0:
        raise RuntimeError(seed.stderr[-3000:])
    baseline = harness.table_state(base_dir / "atop.duckdb")
    plan = [("core", p) for p in ("working-copy", "parse", "load", "fetch", "publish")]
    if dagster:
        plan += [("dagster", p) for p in ("load", "publish")]
    results = []
    for mode, point in plan:
        case = work / f"{mode}-{point}"
        shutil.copytree(base_dir, case / "warehouse")
        warehouse = case / "warehouse" / "atop.duckdb"
        if point == "working-copy":
            (warehouse.parent / ".atop.work.duckdb").unlink()
        home = None
        if mode == "dagster":
            home = case / "dagster_home"
            home.mkdir()
            for name in ("dagster.yaml", "workspace.yaml"):
                shutil.copy(REPO / name, home / name)
        box = harness.make_sandbox(case / "box")
        marker = box.root / "marker"
        process = harness.start_entry(box, mode, both, warehouse, crash_at=point, marker=marker, dagster_home=home)
        harness.wait_for_file(marker, process)
        harness.kill_group(process)
        entry = {"mode": mode, "point": point, "killed": process.returncode == -9}
        try:
            harness.validate_published(warehouse)
            after_crash = harness.table_state(warehouse)
            entry["published_valid"] = True
        except Exception as exc:  # noqa: BLE001 - a finding, reported
            entry["published_valid"], after_crash = f"{type(exc).__name__}: {exc}"[:300], {}
        entry["previous_state_kept"] = after_crash == baseline
        entry["rows_lost_by_crash"] = sum(len(set(rows) - set(after_crash.get(t, []))) for t, rows in baseline.items())
        started = time.monotonic()
        rerun = harness.run_entry(box, mode, both, warehouse, dagster_home=home, timeout=150 if mode == "dagster" else 300)
        entry["next_run_exit_status"] = rerun.returncode
        entry["next_run_s"] = round(time.monotonic() - started, 1)
        if rerun.returncode != 0:
            entry["next_run_error"] = (rerun.stderr.strip().splitlines() or [""])[-1][:300]
        try:
            counts = harness.validate_published(warehouse)
            final = harness.table_state(warehouse, ("codesheets",))
            entry["alliances_after_recovery"] = counts["alliances"]
            entry["sheet_versions_lost"] = len({r[0] for r in baseline["codesheets"]} - {r[0] for r in final["codesheets"]})
        except Exception as exc:  # noqa: BLE001
            entry["after_recovery_error"] = f"{type(exc).__name__}: {exc}"[:300]
            entry["sheet_versions_lost"] = None
        entry["recovered"] = bool(entry["killed"] and entry["previous_state_kept"] and rerun.returncode == 0
                                  and entry.get("alliances_after_recovery") == len(first) + len(second))
        results.append(entry)
        print(f"  crash {mode}/{point}: recovered={entry['recovered']}", flush=True)
    return {
        "crashes_injected": len(results),
        "crashes_recovered": sum(1 for r in results if r["recovered"]),
        "rows_lost": sum(r["rows_lost_by_crash"] for r in results) + sum(r["sheet_versions_lost"] or 0 for r in results),
        "cases": results,
    }


def readers(work: Path) -> dict:
    """An analyst reading throughout two runs: states seen, errors."""
    names = ["codesheet_6070.txt", "variant_3180_nato.txt", "variant_4678_central_america.txt",
             "variant_3275_baghdad_pact.txt"]
    box = harness.make_sandbox(work / "box")
    warehouse = work / "warehouse" / "atop.duckdb"
    src = {n: (REAL_6070 if n == "codesheet_6070.txt" else FIXTURES / n) for n in names}
    batches = [_batch(work / f"b{i}", {n: src[n] for n in names[: i + 2]}) for i in range(3)]
    assert harness.run_entry(box, "core", batches[0], warehouse).returncode == 0
    import duckdb

    sys.path.insert(0, str(REPO / "tests" / "reliability"))
    from reader import signature  # type: ignore[import-not-found]

    def current() -> list[int]:
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            return signature(con)
        finally:
            con.close()

    states = [current()]
    stop = work / "stop"
    readers = {}
    for mode in ("held", "fresh"):
        ready = work / f"ready-{mode}"
        readers[mode] = subprocess.Popen(
            [sys.executable, str(REPO / "tests" / "reliability" / "reader.py"), mode, str(warehouse), str(stop),
             str(work / f"reader-{mode}.json"), str(ready)],
            env=box.env(), cwd=box.cwd, start_new_session=True, text=True)
        harness.wait_for_file(ready, readers[mode])
    exits = []
    for batch in batches[1:]:
        exits.append(harness.run_entry(box, "core", batch, warehouse).returncode)
        states.append(current())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and states[-1] not in json.loads((work / "reader-fresh.json").read_text())["seen"]:
        time.sleep(0.05)
    stop.write_text("stop")
    for process in readers.values():
        process.wait(timeout=60)
    seen = {m: json.loads((work / f"reader-{m}.json").read_text()) for m in readers}
    return {
        "runs_during_reads": len(exits), "run_exit_statuses": exits,
        "reader_rounds": {m: seen[m]["rounds"] for m in seen},
        "held_connection_states": len(seen["held"]["seen"]), "fresh_connection_states": len(seen["fresh"]["seen"]),
        "half_states_seen": sum(1 for m in seen for s in seen[m]["seen"] if s not in states),
        "held_connection_saw_only_its_state": seen["held"]["seen"] == [states[0]],
        "reader_errors": sum(len(seen[m]["errors"]) for m in seen),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the matrix, print the figures and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "reliability.json"))
    parser.add_argument("--no-dagster", action="store_true", help="skip the Dagster crash cases (~4 min)")
    parser.add_argument("--work", help="keep the work files here (default: a temporary folder, removed)")
    args = parser.parse_args(argv)
    scratch = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="atop-reliability-"))
    started = time.monotonic()
    try:
        figures: dict = {"command": "python benchmarks/reliability.py" + (" --no-dagster" if args.no_dagster else "")}
        print("bad input ...", flush=True)
        figures["bad_input"] = bad_input(scratch / "bad-input")
        print("network faults ...", flush=True)
        figures["network"] = network(scratch / "network")
        print("crashes ...", flush=True)
        figures["crashes"] = crashes(scratch / "crashes", dagster=not args.no_dagster)
        print("concurrent readers ...", flush=True)
        figures["readers"] = readers(scratch / "readers")
    finally:
        if not args.work:
            shutil.rmtree(scratch, ignore_errors=True)
    figures["data_lost"] = (figures["crashes"]["rows_lost"] + len(figures["bad_input"]["unaccounted_files"])
                            + len(figures["bad_input"]["good_sheets_missing"]) + figures["readers"]["half_states_seen"])
    figures["elapsed_s"] = round(time.monotonic() - started, 1)
    Path(args.out).write_text(json.dumps(figures, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    b, n, c = figures["bad_input"], figures["network"], figures["crashes"]
    print(f"files tried {b['files_tried']}: loaded {b['loaded']} ({b['loaded_with_warnings']} with warnings), "
          f"quarantined/failed {b['quarantined_or_failed']}, unaccounted {len(b['unaccounted_files'])}")
    print(f"faults injected: {n['faults_injected']['failing_urls']} failing of {n['faults_injected']['urls']} URLs on "
          f"{n['faults_injected']['hosts']} hosts + {n['faults_injected']['refetch_failures']} failing re-fetches; "
          f"survived {n['urls_with_expected_outcome']}/{n['faults_injected']['urls']}, last good kept "
          f"{n['last_good_snapshot_kept']}, {n['elapsed_s']} s (bound {n['stated_bound_s']} s)")
    print(f"crashes injected {c['crashes_injected']}, recovered {c['crashes_recovered']}")
    r = figures["readers"]
    print(f"readers: {r['reader_rounds']} rounds, states seen held/fresh {r['held_connection_states']}/"
          f"{r['fresh_connection_states']}, half states {r['half_states_seen']}, errors {r['reader_errors']}")
    print(f"data lost: {figures['data_lost']} (must be 0); written to {args.out}")
    return 0 if figures["data_lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
