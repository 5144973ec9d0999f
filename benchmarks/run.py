"""Benchmarks for atop-pipeline at the scale of every published alliance (789 sheets) and ten times that.

    python benchmarks/run.py            # full run (~15-25 min on 2 cores), writes benchmarks/results.json
    python benchmarks/run.py --quick    # 100 sheets, x3, a few minutes

Measures, in one run and side by side: parse throughput on one core against the floor of merely
reading the same files; round-trip agreement of the parsed corpus with published ATOP 5.1; the full
main job through Dagster (`atop-pipeline ingest`, a subprocess with its own DAGSTER_HOME, wall time
including start-up, peak RSS of the process tree) against `pipeline.run_ingest` in a plain loop (also a
subprocess); an incremental re-run with nothing changed and with 1% of the files changed; the x10
corpus; and re-checking every cited source against a loopback server that answers 304.

Sources are OFFLINE in the ingest runs (no request leaves the machine); the re-check uses a loopback
server on 127.0.0.1 with the cited URLs rewritten to it and the politeness interval set to zero.
Generated corpora are cached under benchmarks/.work/ (git-ignored), keyed by generator code and options.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

BENCH_DIR = REPO / "benchmarks"
DEFAULT_WORK = BENCH_DIR / ".work"
DEFAULT_OUT = BENCH_DIR / "results.json"

#: Targets from issue 6 (2-core machine). "max" means the measured value must stay below it.
TARGETS: dict[str, tuple[str, float]] = {
    "parse_sheets_per_s": ("min", 200.0),
    "ingest_789_wall_s": ("max", 30.0),
    "scale_ratio": ("max", 10.0),
    "peak_rss_mb": ("max", 1024.0),
    "noop_rerun_wall_s": ("max", 10.0),
    # "Dagster's overhead < 2x the plain loop plus start-up": the Dagster time without its start-up
    # (the time before the first step) against twice the loop.
    "dagster_overhead_ratio_excl_startup": ("max", 2.0),
    "roundtrip_agreement": ("min", 1.0),
}


# ---------------------------------------------------------------------------------------------------
# Measuring a subprocess: wall time, peak RSS of its process tree (psutil sampling) and the largest
# single process (wait4's ru_maxrss).


@dataclasses.dataclass
class Measured:
    """One timed subprocess."""

    command: list[str]
    wall_s: float
    returncode: int
    peak_tree_rss_mb: float  # sampled sum over the process and its descendants (None-safe: 0 without psutil)
    max_process_rss_mb: float  # ru_maxrss of the child and its reaped descendants (exact, per process)
    cpu_s: float  # user + system CPU of the child and its reaped descendants
    load_avg_1m: tuple[float, float]  # 1-minute load average at launch and at exit (other work on the machine)
    stdout: str
    stderr: str
    started_at: float  # time.time() at launch

    def require_ok(self) -> Measured:
        """Raise with the tail of stderr when the command failed."""
        if self.returncode != 0:
            tail = "\n".join(self.stderr.splitlines()[-25:])
            raise RuntimeError(f"{' '.join(self.command)} exited {self.returncode}:\n{tail}")
        return self


def _tree_rss(proc: Any) -> int:
    """Resident bytes of a psutil process and all its descendants (0 for those that vanished)."""
    import psutil

    total = 0
    try:
        members = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in members:
        with contextlib.suppress(psutil.Error):
            total += member.memory_info().rss
    return total


def run_measured(command: Sequence[str], *, cwd: Path, env: dict[str, str], interval_s: float = 0.05) -> Measured:
    """Run `command`, sampling its process tree's RSS; wall time covers start-up to exit."""
    try:
        import psutil
    except ImportError:  # psutil is optional: fall back to the per-process ru_maxrss only
        psutil = None  # type: ignore[assignment]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        load_before = os.getloadavg()[0]
        started_at = time.time()
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(command), cwd=cwd, env=env, stdout=out, stderr=err)
        peak = 0
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            handle = psutil.Process(proc.pid)
            while not stop.is_set():
                peak = max(peak, _tree_rss(handle))
                stop.wait(interval_s)

        sampler = None
        if psutil is not None:
            with contextlib.suppress(Exception):
                sampler = threading.Thread(target=sample, daemon=True)
                sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        stop.set()
        if sampler is not None:
            sampler.join(timeout=2)
        out.seek(0)
        err.seek(0)
        return Measured(
            command=list(command),
            wall_s=wall,
            returncode=proc.returncode,
            peak_tree_rss_mb=peak / 2**20,
            max_process_rss_mb=usage.ru_maxrss / 1024,  # Linux reports KiB
            cpu_s=usage.ru_utime + usage.ru_stime,
            load_avg_1m=(load_before, os.getloadavg()[0]),
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            started_at=started_at,
        )


# ---------------------------------------------------------------------------------------------------
# Corpora (generated once, cached by generator code + options).


def _synth_fingerprint(limit: int | None, copies: int, seed: int, distinct: bool) -> str:
    """A key for a generated corpus: the generator's source and the options."""
    hasher = hashlib.sha256(f"{limit}|{copies}|{seed}|{distinct}".encode())
    for path in sorted((REPO / "atop_pipeline" / "synth").glob("*.py")):
        hasher.update(path.read_bytes())
    return hasher.hexdigest()[:16]


def ensure_corpus(
    work: Path, *, limit: int | None, copies: int, seed: int, distinct: bool = False
) -> tuple[Path, float | None]:
    """The generated corpus folder (reused when the generator and options are unchanged) and the
    generation time in seconds (None when reused). `distinct` gives copies k>0 their own ATOP IDs."""
    from atop_pipeline.synth.corpus import generate_corpus

    key = _synth_fingerprint(limit, copies, seed, distinct)
    folder = work / f"corpus_{'all' if limit is None else limit}_x{copies}{'d' if distinct else ''}_s{seed}"
    stamp = folder / ".bench-stamp"
    if stamp.exists() and stamp.read_text().strip() == key:
        return folder, None
    shutil.rmtree(folder, ignore_errors=True)
    t0 = time.perf_counter()
    generate_corpus(folder, copies=copies, seed=seed, limit=limit, distinct_ids=distinct)
    elapsed = time.perf_counter() - t0
    stamp.write_text(key + "\n")
    return folder, elapsed


def copies_that_fit(limit: int | None, wanted: int) -> int:
    """The most distinct-ID copies (<= wanted) the generator's ATOP ID bands can hold."""
    from atop_pipeline.synth.corpus import distinct_id_map
    from atop_pipeline.synth.render import load_alliances

    published = sorted(r.atopid for r in load_alliances())
    if limit is not None:
        published = published[:limit]
    for copies in range(wanted, 0, -1):
        try:
            distinct_id_map(published, copies)
            return copies
        except ValueError:
            continue
    return 1


def sheet_files(corpus: Path) -> list[Path]:
    """Every sheet file of a corpus (hidden files such as the manifest left out), sorted."""
    return sorted(
        p for p in corpus.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(corpus).parts)
    )


# ---------------------------------------------------------------------------------------------------
# 1. Parse throughput on one core against the read floor.


def time_parse(corpus: Path, files: list[Path], clock) -> tuple[dict[str, list[float]], int]:
    """`parser.parse_bytes(path.read_bytes(), name)` over `files` (after one untimed warm-up parse):
    each file's time by `clock`, grouped by suffix, and the number that failed. Also used by
    benchmarks/parse_speed.py, so both measure the same loop."""
    from atop_pipeline.codesheets.parser import parse_bytes

    parse_bytes(files[0].read_bytes(), files[0].name)  # imports and caches outside the timing
    by_kind: dict[str, list[float]] = {}
    failures = 0
    for path in files:
        s0 = clock()
        try:
            parse_bytes(path.read_bytes(), path.relative_to(corpus).as_posix())
        except Exception:  # noqa: BLE001 - a failing sheet still costs its time; counted, not fatal
            failures += 1
        by_kind.setdefault(path.suffix.lower().lstrip(".") or "other", []).append(clock() - s0)
    return by_kind, failures


def measure_parse(corpus: Path, *, repeats: int = 3) -> dict[str, Any]:
    """Sheets/s and MB/s of read+parse on one core, and of merely opening and reading the same files."""
    from atop_pipeline.codesheets.parser import parse_bytes

    files = sheet_files(corpus)
    total_bytes = sum(p.stat().st_size for p in files)
    floor_best = float("inf")
    for _ in range(repeats):  # the first pass also warms the page cache for the parse pass
        t0 = time.perf_counter()
        for path in files:
            with open(path, "rb") as handle:
                handle.read()
        floor_best = min(floor_best, time.perf_counter() - t0)
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    by_kind, failures = time_parse(corpus, files, time.perf_counter)
    parse_s = time.perf_counter() - t0
    cpu_s = time.process_time() - cpu0
    mb = total_bytes / 1e6
    return {
        "parse_files": len(files),
        "parse_mb": round(mb, 3),
        "parse_wall_s": parse_s,
        "parse_cpu_s": cpu_s,
        "parse_sheets_per_s": len(files) / parse_s,
        "parse_mb_per_s": mb / parse_s,
        # Per CPU second: what one core does when it is not shared (the machine may be busy).
        "parse_sheets_per_cpu_s": len(files) / cpu_s if cpu_s else None,
        "parse_failures": failures,
        "parse_by_kind": {k: {"files": len(v), "sheets_per_s": len(v) / sum(v), "ms_per_sheet_p50": 1000 * sorted(v)[len(v) // 2],
                              "ms_per_sheet_max": 1000 * max(v)} for k, v in sorted(by_kind.items())},
        "read_floor_wall_s": floor_best,
        "read_floor_sheets_per_s": len(files) / floor_best,
        "read_floor_mb_per_s": mb / floor_best,
    }


def measure_roundtrip(corpus: Path) -> dict[str, Any]:
    """Round-trip agreement (0-1) of the parsed corpus with the published rows, per variable."""
    from atop_pipeline.synth.roundtrip import roundtrip

    t0 = time.perf_counter()
    report = roundtrip(corpus)
    return {
        "roundtrip_agreement": report.overall,
        "roundtrip_files": report.files,
        "roundtrip_parse_failures": len(report.errors),
        "roundtrip_mismatches": len(report.mismatches),
        "roundtrip_comparisons": sum(report.total.values()),
        "roundtrip_per_variable": {v: round(report.agreement(v), 6) for v in report.total},
        "roundtrip_mismatch_sample": [dataclasses.asdict(m) for m in report.mismatches[:20]],
        # Published values contradicting the codebook (reference/published_errata.csv) where the parser
        # gave the codebook's value: listed, and counted as disagreements in the raw figure.
        "roundtrip_agreement_including_errata": report.overall_including_errata,
        "roundtrip_errata": [dataclasses.asdict(m) for m in report.errata[:20]],
        "roundtrip_wall_s": time.perf_counter() - t0,
        "_roundtrip_table": report.table(),
    }


# ---------------------------------------------------------------------------------------------------
# 2. The main job through Dagster vs the plain loop (both subprocesses, sources offline).


def _base_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    env.setdefault("PYTHONHASHSEED", "0")
    for name in ("ATOP_SHEETS", "ATOP_WAREHOUSE", "ATOP_EXECUTOR"):  # the benchmark sets these by option
        env.pop(name, None)
    return env


def new_dagster_home(parent: Path, name: str) -> Path:
    """A fresh DAGSTER_HOME holding the repo's dagster.yaml (its relative paths resolve inside it)."""
    home = parent / name
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    shutil.copy2(REPO / "dagster.yaml", home / "dagster.yaml")
    return home


def run_dagster_ingest(home: Path, sheets: Path, warehouse: Path) -> Measured:
    """`atop-pipeline ingest --offline` as a subprocess with DAGSTER_HOME=home (cwd=home)."""
    env = _base_env()
    env["DAGSTER_HOME"] = str(home)
    command = [sys.executable, "-m", "atop_pipeline.cli", "ingest", "--sheets", str(sheets),
               "--warehouse", str(warehouse), "--offline"]
    return run_measured(command, cwd=home, env=env).require_ok()


def run_plain_loop(sheets: Path, warehouse: Path, cwd: Path) -> Measured:
    """`pipeline.run_ingest(..., offline=True)` as a subprocess (benchmarks/plain_loop.py)."""
    command = [sys.executable, str(BENCH_DIR / "plain_loop.py"), str(sheets), str(warehouse), "--offline"]
    return run_measured(command, cwd=cwd, env=_base_env()).require_ok()


def dagster_breakdown(home: Path, launched_at: float) -> dict[str, Any]:
    """Where the Dagster run's wall time went: before the first step, per step, event counts."""
    import dagster as dg

    previous = Path.cwd()
    os.chdir(home)  # dagster.yaml's relative paths resolve against the working directory
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            run = instance.get_runs(limit=1)[0]
            records = instance.all_logs(run.run_id)
    finally:
        os.chdir(previous)
    counts: dict[str, int] = {}
    starts: dict[str, float] = {}
    steps: dict[str, float] = {}
    first_step = last_step = None
    for record in records:
        event = record.dagster_event
        kind = event.event_type_value if event else "LOG"
        counts[kind] = counts.get(kind, 0) + 1
        if kind == "STEP_START":
            starts[record.step_key] = record.timestamp
            first_step = record.timestamp if first_step is None else first_step
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and record.step_key in starts:
            steps[record.step_key] = round(record.timestamp - starts[record.step_key], 3)
            last_step = record.timestamp
    return {
        "run_id": run.run_id,
        "status": str(run.status.value),
        "before_first_step_s": round((first_step or launched_at) - launched_at, 3),
        "first_event_after_launch_s": round(records[0].timestamp - launched_at, 3) if records else None,
        "steps_s": steps,
        "after_last_step_s": None if last_step is None else last_step,  # filled by the caller (needs the exit time)
        "events": len(records),
        "event_counts": dict(sorted(counts.items(), key=lambda kv: -kv[1])[:8]),
    }


def quarantine_reasons(warehouse: Path) -> dict[str, int]:
    """Quarantined or failed files of a published warehouse, counted by error name."""
    import duckdb

    if not warehouse.exists():
        return {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT error, count(DISTINCT source_file) FROM ingest_errors GROUP BY error ORDER BY 2 DESC"
        ).fetchall()
    return {str(error): int(n) for error, n in rows}


def _ingest_record(measured: Measured, home: Path | None = None, warehouse: Path | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "wall_s": measured.wall_s,
        "cpu_s": measured.cpu_s,
        "load_avg_1m_before_after": measured.load_avg_1m,
        "peak_tree_rss_mb": measured.peak_tree_rss_mb,
        "max_process_rss_mb": measured.max_process_rss_mb,
        "summary": [line for line in measured.stdout.splitlines() if line.strip()][-12:],
    }
    if warehouse is not None:
        try:
            record["quarantined_by_error"] = quarantine_reasons(warehouse)
        except Exception as exc:  # noqa: BLE001 - diagnostic only
            record["quarantined_by_error"] = {"error": f"{type(exc).__name__}: {exc}"}
    if home is not None:
        try:
            breakdown = dagster_breakdown(home, measured.started_at)
            end = measured.started_at + measured.wall_s
            if breakdown["after_last_step_s"] is not None:
                breakdown["after_last_step_s"] = round(end - breakdown["after_last_step_s"], 3)
            record["dagster"] = breakdown
        except Exception as exc:  # noqa: BLE001 - the breakdown is a diagnostic, the timing stands without it
            record["dagster"] = {"error": f"{type(exc).__name__}: {exc}"}
    return record


def change_files(corpus: Path, share: float, *, seed: int = 1) -> list[str]:
    """Edit `share` of the text sheets in place (a trailing note line): new bytes, same alliance."""
    import random

    texts = [p for p in sheet_files(corpus) if p.suffix.lower() == ".txt"]
    count = max(1, round(share * len(sheet_files(corpus))))
    chosen = random.Random(seed).sample(texts, min(count, len(texts)))
    for path in chosen:
        data = path.read_bytes()
        newline = b"\r\n" if b"\r\n" in data[:4000] else b"\n"
        # ASCII only, so it survives every encoding the generator uses.
        path.write_bytes(data.rstrip() + newline + newline + b"Note: re-extracted " + str(seed).encode() + newline)
    return [p.relative_to(corpus).as_posix() for p in chosen]


# ---------------------------------------------------------------------------------------------------
# 3. Re-check every cited source against a loopback server answering 304.


def cited_urls(warehouse: Path) -> list[str]:
    """The distinct cited URLs in a published warehouse."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [row[0] for row in con.execute("SELECT DISTINCT url FROM citations ORDER BY url").fetchall()]


def _loopback_server_class() -> Any:
    """tests/sources/server.py's LoopbackServer (a reusable threaded server on 127.0.0.1)."""
    import importlib.util

    path = REPO / "tests" / "sources" / "server.py"
    spec = importlib.util.spec_from_file_location("_bench_loopback_server", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = module  # type: ignore[union-attr]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def measure_recheck(urls: Sequence[str], work: Path) -> dict[str, Any]:
    """Fetch every URL once (200 + ETag, stored), then re-check all of them: the server answers 304."""
    from urllib.parse import urlsplit

    from atop_pipeline.sources.documents import fetch_source_documents
    from atop_pipeline.sources.http import FetchSettings, PoliteFetcher
    from atop_pipeline.sources.store import SnapshotStore

    server_module = _loopback_server_class()
    Reply = server_module.Reply

    def answer(request: Any) -> Any:
        path = request.path.split("?", 1)[0]
        etag = '"' + hashlib.sha256(path.encode()).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return Reply(304, b"", {"ETag": etag})
        body = (f"<html><head><title>{path}</title></head><body><p>Treaty text for {path}. "
                "In force.</p></body></html>").encode()
        return Reply(200, body, {"Content-Type": "text/html; charset=utf-8", "ETag": etag})

    settings = FetchSettings(min_interval_s=0.0, allow_private_addresses=True, max_retries=0,
                             backoff_jitter_s=0.0, connect_timeout_s=5.0, read_timeout_s=10.0)
    store_root = work / "recheck_store"
    shutil.rmtree(store_root, ignore_errors=True)
    with server_module.LoopbackServer(fallback=None) as server:
        rewritten: list[str] = []
        server.route("/robots.txt", Reply(404, b"", {"Content-Type": "text/plain"}))
        for url in urls:
            parts = urlsplit(url)
            path = f"/{parts.hostname or 'host'}{parts.path or '/'}"
            local = server.url(path) + (f"?{parts.query}" if parts.query else "")
            server.route(path + (f"?{parts.query}" if parts.query else ""), answer)
            rewritten.append(local)
        store = SnapshotStore(store_root)
        with PoliteFetcher(settings, store=store) as fetcher:
            t0 = time.perf_counter()
            first = fetch_source_documents(rewritten, fetcher)
            first_s = time.perf_counter() - t0
        with PoliteFetcher(settings, store=SnapshotStore(store_root)) as fetcher:
            t0 = time.perf_counter()
            again = fetch_source_documents(rewritten, fetcher)
            recheck_s = time.perf_counter() - t0
        requests = len(server.requests)
    outcomes: dict[str, int] = {}
    for outcome, _ in again:
        outcomes[outcome.outcome] = outcomes.get(outcome.outcome, 0) + 1
    first_outcomes: dict[str, int] = {}
    for outcome, _ in first:
        first_outcomes[outcome.outcome] = first_outcomes.get(outcome.outcome, 0) + 1
    return {
        "recheck_urls": len(set(rewritten)),
        "first_fetch_wall_s": first_s,
        "first_fetch_outcomes": first_outcomes,
        "recheck_304_wall_s": recheck_s,
        "recheck_outcomes": outcomes,
        "recheck_urls_per_s": len(again) / recheck_s if recheck_s else None,
        "server_requests": requests,
    }


# ---------------------------------------------------------------------------------------------------
# Environment, table, main.


def environment() -> dict[str, Any]:
    """Facts about the machine and the versions measured."""
    versions = {}
    for name in ("dagster", "duckdb", "pandas", "pandera", "pypdf", "requests", "psutil"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True)
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = None
    mem_total = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_total = round(int(line.split()[1]) / 1024)
    cpu_model = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    return {
        "cores": os.cpu_count(),
        "cores_usable": affinity,
        "cpu_model": cpu_model,
        "memory_mb": mem_total,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "git_commit": commit.stdout.strip() or os.environ.get("BENCH_GIT_COMMIT") or None,
        "git_dirty_tracked_files": len(dirty.stdout.splitlines()),
        "load_avg_1m_5m_15m_at_start": [round(x, 2) for x in os.getloadavg()],
        "date_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def _fmt(value: Any, key: str = "") -> str:
    if key == "roundtrip_agreement" and isinstance(value, float):
        return f"{value:.5f}"  # 0.99995 must not print as 1.000
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def verdicts(results: dict[str, Any]) -> dict[str, str]:
    """Target -> 'met' / 'MISSED' for every target measured."""
    out = {}
    for key, (kind, bound) in TARGETS.items():
        value = results.get(key)
        if not isinstance(value, (int, float)):
            continue
        if key == "scale_ratio" and isinstance(results.get("scale_factor"), (int, float)):
            bound = results["scale_factor"]  # linear: under xN the time of the x1 run
        ok = value >= bound if kind == "min" else value < bound
        out[key] = "met" if ok else "MISSED"
    return out


def table(results: dict[str, Any], *, markdown: bool = False) -> str:
    """The printed table (or a Markdown one): metric, value, CPU seconds, target, verdict."""
    checks = verdicts(results)
    cpu_of = {f"{name}_wall_s": name for name in ("plain_loop_789", "ingest_789", "noop_rerun", "changed_1pct_rerun",
                                                  "plain_loop_7890", "ingest_7890", "ingest_distinct")}
    cpu_of_values = {k: results[v]["cpu_s"] for k, v in cpu_of.items() if isinstance(results.get(v), dict)}
    cpu_of_values["parse_sheets_per_s"] = results.get("parse_cpu_s")
    rows = [("metric", "value", "CPU s", "target", "")]
    order = [
        ("parse_sheets_per_s", "parse, sheets/s (1 core)"),
        ("parse_sheets_per_cpu_s", "parse, sheets per CPU second"),
        ("parse_mb_per_s", "parse, MB/s (1 core)"),
        ("read_floor_sheets_per_s", "read floor, sheets/s"),
        ("read_floor_mb_per_s", "read floor, MB/s"),
        ("roundtrip_agreement", "round-trip agreement"),
        ("plain_loop_789_wall_s", f"plain loop, {results.get('corpus_sheets')} sheets, s"),
        ("ingest_789_wall_s", f"Dagster ingest, {results.get('corpus_sheets')} sheets, s"),
        ("dagster_startup_s", "  of which before the first step, s"),
        ("dagster_overhead_ratio", "Dagster / plain loop"),
        ("dagster_overhead_ratio_excl_startup", "  same, Dagster start-up excluded"),
        ("noop_rerun_wall_s", "re-run, nothing changed, s"),
        ("changed_1pct_rerun_wall_s", "re-run, 1% of files changed, s"),
        ("plain_loop_7890_wall_s", f"plain loop, {results.get('scale_sheets')} sheets, s"),
        ("ingest_7890_wall_s", f"Dagster ingest, {results.get('scale_sheets')} sheets, s"),
        ("scale_ratio", f"x{results.get('scale_copies')} / x1 wall (Dagster)"),
        ("plain_scale_ratio", f"x{results.get('scale_copies')} / x1 wall (plain loop)"),
        ("ingest_distinct_wall_s", f"Dagster ingest, {results.get('distinct_sheets')} distinct alliances, s"),
        ("distinct_scale_ratio_per_sheet", "  per sheet, relative to x1 (1.0 = linear)"),
        ("peak_rss_mb", "peak RSS, scale Dagster runs, MB"),
        ("recheck_304_wall_s", f"re-check {results.get('recheck_urls')} sources (304), s"),
    ]
    for key, label in order:
        if key not in results or results[key] is None:
            continue
        target = ""
        if key in TARGETS:
            kind, bound = TARGETS[key]
            if key == "scale_ratio":
                bound = results.get("scale_factor", bound)
            target = f"{'>=' if kind == 'min' else '<'} {_fmt(bound)}"
        cpu = cpu_of_values.get(key)
        rows.append((label, _fmt(results[key], key), "" if cpu is None else _fmt(cpu), target, checks.get(key, "")))
    if markdown:
        out = ["| " + " | ".join(rows[0]) + " |", "|---|---:|---:|---:|---|"]
        out += ["| " + " | ".join(cell.replace("|", "/") for cell in r) + " |" for r in rows[1:]]
        return "\n".join(out)
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(r)) for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every measurement in order; returns the results dict (also written to args.out)."""
    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    runs = work / "runs"
    shutil.rmtree(runs, ignore_errors=True)
    runs.mkdir()
    results: dict[str, Any] = {"mode": "quick" if args.quick else "full", "sources": "offline (ingest runs); "
                               "loopback 127.0.0.1 server answering 304 (re-check)", "environment": environment()}
    results["command"] = "python benchmarks/run.py" + (" --quick" if args.quick else "")

    # Two scale corpora. xN (default x10, 7890 files): every alliance N times as re-extracted copies
    # (same ATOP ID, same content, other encodings/page furniture/PDF) -- the warehouse loads each
    # alliance once and keeps the other N-1 as non-current copies, so it reads, parses, validates and
    # stores 10x the files but loads 1x the alliance rows.
    # xD: copies under distinct unpublished ATOP IDs, as many as the ID bands hold (x3 for the full
    # set: band 3000-3999 has 256 alliances and 744 free IDs), which all load.
    distinct = copies_that_fit(args.limit, args.copies)
    _log(f"corpora (limit={args.limit}, x{args.copies} versions, x{distinct} distinct IDs, seed={args.seed})")
    corpus, gen1 = ensure_corpus(work, limit=args.limit, copies=1, seed=args.seed)
    scale, gen10 = ensure_corpus(work, limit=args.limit, copies=args.copies, seed=args.seed)
    dscale, gen_d = ensure_corpus(work, limit=args.limit, copies=distinct, seed=args.seed, distinct=True)
    results.update(corpus_sheets=len(sheet_files(corpus)), scale_sheets=len(sheet_files(scale)),
                   scale_copies=args.copies, distinct_sheets=len(sheet_files(dscale)), distinct_copies=distinct,
                   corpus_generate_s=gen1, scale_generate_s=gen10, distinct_generate_s=gen_d,
                   scale_corpus_kind=f"x{args.copies}: every alliance {args.copies} times as re-extracted copies "
                   "(same ATOP ID and content; synth --copies); the warehouse loads each alliance once and keeps "
                   "the other copies as non-current versions (codesheets.duplicate_of)",
                   distinct_corpus_kind=f"x{distinct}: copies under distinct unpublished ATOP IDs "
                   f"(synth --copies {distinct} --distinct-ids; the most the ID bands hold)")

    _log("parse throughput vs read floor")
    results.update(measure_parse(corpus))
    _log("round-trip agreement")
    roundtrip_results = measure_roundtrip(corpus)
    roundtrip_table = roundtrip_results.pop("_roundtrip_table")
    results.update(roundtrip_results)

    _log("plain loop (x1)")
    plain = run_plain_loop(corpus, runs / "plain1" / "atop.duckdb", runs)
    results["plain_loop_789"] = _ingest_record(plain, warehouse=runs / "plain1" / "atop.duckdb")
    results["plain_loop_789_wall_s"] = plain.wall_s

    _log("Dagster ingest (x1)")
    live = runs / "sheets_live"
    shutil.copytree(corpus, live)
    home1 = new_dagster_home(runs, "dagster_home_1")
    warehouse1 = runs / "wh1" / "atop.duckdb"
    ingest = run_dagster_ingest(home1, live, warehouse1)
    results["ingest_789"] = _ingest_record(ingest, home1, warehouse1)
    results["ingest_789_wall_s"] = ingest.wall_s
    startup = results["ingest_789"].get("dagster", {}).get("before_first_step_s")
    results["dagster_startup_s"] = startup
    results["dagster_overhead_ratio"] = ingest.wall_s / plain.wall_s
    if isinstance(startup, (int, float)):
        results["dagster_overhead_ratio_excl_startup"] = (ingest.wall_s - startup) / plain.wall_s

    _log("re-run, nothing changed")
    noop = run_dagster_ingest(home1, live, warehouse1)
    results["noop_rerun"] = _ingest_record(noop, home1)
    results["noop_rerun_wall_s"] = noop.wall_s

    _log("re-run, 1% of files changed")
    changed = change_files(live, 0.01)
    results["changed_files"] = changed
    rerun = run_dagster_ingest(home1, live, warehouse1)
    results["changed_1pct_rerun"] = _ingest_record(rerun, home1)
    results["changed_1pct_rerun_wall_s"] = rerun.wall_s

    _log("re-check of every cited source against a loopback server (304)")
    results.update(measure_recheck(cited_urls(warehouse1), work))

    if not args.skip_plain_scale:
        _log(f"plain loop (x{args.copies})")
        plain10 = run_plain_loop(scale, runs / "plain10" / "atop.duckdb", runs)
        results["plain_loop_7890"] = _ingest_record(plain10)
        results["plain_loop_7890_wall_s"] = plain10.wall_s
        results["plain_scale_ratio"] = plain10.wall_s / plain.wall_s

    _log(f"Dagster ingest (x{args.copies}, versions)")
    home10 = new_dagster_home(runs, "dagster_home_10")
    big = run_dagster_ingest(home10, scale, runs / "wh10" / "atop.duckdb")
    results["ingest_7890"] = _ingest_record(big, home10, runs / "wh10" / "atop.duckdb")
    results["ingest_7890_wall_s"] = big.wall_s
    results["scale_ratio"] = big.wall_s / ingest.wall_s
    results["scale_factor"] = results["scale_sheets"] / results["corpus_sheets"]
    results["scale_ratio_per_sheet"] = results["scale_ratio"] / results["scale_factor"]  # 1.0 = linear

    if not args.skip_distinct and distinct > 1:
        _log(f"Dagster ingest (x{distinct}, distinct ATOP IDs)")
        home_d = new_dagster_home(runs, "dagster_home_distinct")
        dist = run_dagster_ingest(home_d, dscale, runs / "whd" / "atop.duckdb")
        results["ingest_distinct"] = _ingest_record(dist, home_d, runs / "whd" / "atop.duckdb")
        results["ingest_distinct_wall_s"] = dist.wall_s
        results["distinct_scale_ratio"] = dist.wall_s / ingest.wall_s
        results["distinct_scale_ratio_per_sheet"] = results["distinct_scale_ratio"] / (
            results["distinct_sheets"] / results["corpus_sheets"])

    scale_runs = [results[k] for k in ("ingest_7890", "ingest_distinct") if k in results]
    results["peak_rss_mb"] = max(max(r["peak_tree_rss_mb"], r["max_process_rss_mb"]) for r in scale_runs)
    results["peak_rss_mb_all_runs"] = max(
        max(r.get("peak_tree_rss_mb", 0), r.get("max_process_rss_mb", 0))
        for r in (results[k] for k in ("plain_loop_789", "ingest_789", "noop_rerun", "changed_1pct_rerun",
                                       "plain_loop_7890", "ingest_7890", "ingest_distinct") if k in results)
    )
    results["benchmark_process_maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results["targets"] = verdicts(results)
    results["_roundtrip_table"] = roundtrip_table
    return results


def build_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100 sheets and x3 (about a minute or two)")
    parser.add_argument("--limit", type=int, default=None, help="only the first K alliances (default: all; --quick: 100)")
    parser.add_argument("--copies", type=int, default=None, help="the scale corpus is xN (default 10; --quick: 3)")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    parser.add_argument("--work", default=str(DEFAULT_WORK), help="where corpora and runs go (default benchmarks/.work)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="results file (default benchmarks/results.json)")
    parser.add_argument("--skip-plain-scale", action="store_true", help="skip the plain loop on the xN corpus")
    parser.add_argument("--skip-distinct", action="store_true", help="skip the Dagster run on the distinct-ID corpus")
    parser.add_argument("--markdown", metavar="RESULTS", help="print an existing results file as a Markdown table; run nothing")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks, print the table and write the results file."""
    args = build_parser().parse_args(argv)
    if args.markdown:
        print(table(json.loads(Path(args.markdown).read_text()), markdown=True))
        return 0
    if args.quick:
        args.limit = 100 if args.limit is None else args.limit
        args.copies = 3 if args.copies is None else args.copies
    args.copies = 10 if args.copies is None else args.copies
    t0 = time.perf_counter()
    results = run(args)
    results["benchmark_wall_s"] = time.perf_counter() - t0
    roundtrip_table = results.pop("_roundtrip_table", "")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, sort_keys=False, default=str) + "\n")
    print(f"atop-pipeline benchmarks ({results['mode']}), {results['environment']['cores']} cores, "
          f"Python {results['environment']['python']}, dagster {results['environment']['versions']['dagster']}; "
          f"sources: {results['sources']}")
    print(f"corpus: {results['corpus_sheets']} sheets; scale corpus: {results['scale_sheets']} sheets "
          f"({results['scale_corpus_kind']}); distinct corpus: {results['distinct_sheets']} sheets "
          f"({results['distinct_corpus_kind']})")
    print(table(results))
    print()
    print(roundtrip_table)
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
