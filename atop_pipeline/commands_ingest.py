"""`atop-pipeline ingest` (the main job, run through Dagster on the repo's instance) and `atop-pipeline ui`."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Where dagster.yaml and workspace.yaml live: the directory the command runs in (the repo root).
INSTANCE_FILES = ("dagster.yaml", "workspace.yaml")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `ingest` and `ui` subcommands."""
    ingest = subparsers.add_parser(
        "ingest",
        help="run the main job (read, parse, validate, load, fetch sources, assess, publish) through Dagster",
        description="Runs ingest_job on the Dagster instance in DAGSTER_HOME (default: this directory), "
        "so the run shows in the UI afterwards. Exits 0 when the batch ran, even if sheets were quarantined.",
    )
    ingest.add_argument("--sheets", help="folder, .zip or http(s) URL of codesheets (default: $ATOP_SHEETS or data/codesheets)")
    ingest.add_argument("--warehouse", help="published DuckDB file (default: $ATOP_WAREHOUSE or data/warehouse/atop.duckdb)")
    ingest.add_argument("--offline", action="store_true", help="do not fetch sources; record them as offline")
    ingest.add_argument("--as-of", type=dt.date.fromisoformat, help="date of the in-force verdicts, YYYY-MM-DD (default: today)")
    ingest.set_defaults(handler=run_ingest_command)

    ui = subparsers.add_parser("ui", help="start the Dagster UI (dagster dev) on 127.0.0.1")
    ui.add_argument("--port", type=int, default=3000, help="port to listen on (default 3000)")
    ui.set_defaults(handler=run_ui_command)


def dagster_home() -> Path:
    """DAGSTER_HOME as an absolute path, defaulting to the working directory (where dagster.yaml is)."""
    home = Path(os.environ.get("DAGSTER_HOME") or Path.cwd()).resolve()
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def run_ingest_command(args: argparse.Namespace) -> int:
    """Run ingest_job on the instance and print what it did; 1 only if the run itself failed."""
    home = dagster_home()
    from atop_pipeline import pipeline

    # Options override the ATOP_* environment, which overrides the defaults (see defs/resources.py).
    offline = bool(args.offline) or os.environ.get("ATOP_OFFLINE", "").lower() in {"1", "true", "yes", "on"}
    source = args.sheets or os.environ.get("ATOP_SHEETS") or str(pipeline.DEFAULT_SHEETS)
    if offline and pipeline.is_url(source):
        print(f"cannot download {source} offline", file=sys.stderr)
        return 2
    # A URL is downloaded once here, so the partitions are those of the sheets the run will read.
    downloads = os.environ.get("ATOP_DOWNLOADS") or str(pipeline.DEFAULT_DOWNLOADS)
    from atop_pipeline.sources.fetch import DownloadError

    try:
        root = Path(pipeline.resolve_sheets(source, download_dir=downloads, settings=pipeline.fetch_settings())).resolve()
    except DownloadError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if not root.exists():
        print(f"no codesheets at {root}", file=sys.stderr)
        return 2
    warehouse = Path(args.warehouse).resolve() if args.warehouse else None

    import dagster as dg

    from atop_pipeline.defs.runs import execute_ingest, summary_from_run

    published = warehouse or Path(os.environ.get("ATOP_WAREHOUSE") or pipeline.DEFAULT_WAREHOUSE).resolve()
    with _one_ingest_at_a_time(published), dg.DagsterInstance.get() as instance:
        result = execute_ingest(
            instance,
            root,
            warehouse=warehouse,
            offline=offline,
            as_of=args.as_of.isoformat() if args.as_of else None,
            tags={"atop/sheets": str(source)[:200]},
        )
        summary = summary_from_run(result)
    print(f"dagster run {result.run_id} ({'success' if result.success else 'FAILED'}), instance {home}")
    for line in summary.lines():
        print(line)
    if not result.success:
        print("the run failed; open `atop-pipeline ui` to see which step and why", file=sys.stderr)
        return 1
    return 0


@contextmanager
def _one_ingest_at_a_time(published: Path, *, timeout: float = 600.0) -> Iterator[None]:
    """Hold `.<name>.run.lock` beside the warehouse for a whole `execute_job`, waiting up to `timeout` s.

    `dg.execute_job` bypasses the run queue, so dagster.yaml's one-writer tag limit does not apply to
    this command: without this lock a second run could load between the first's checks and its publish.
    It is not the warehouse writer lock, which the in-process steps take on their own file descriptors.
    The kernel drops an flock with its process, so a killed run never leaves it behind.
    """
    import fcntl
    import time

    published.parent.mkdir(parents=True, exist_ok=True)
    lock_path = published.parent / f".{published.name.removesuffix('.duckdb')}.run.lock"
    with open(lock_path, "a+", encoding="utf-8") as handle:
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told:
                    print(f"another `atop-pipeline ingest` is running on {published}; waiting up to {timeout:.0f} s",
                          file=sys.stderr)
                    told = True
                if time.monotonic() >= deadline:
                    raise SystemExit(f"another `atop-pipeline ingest` still holds {lock_path}; try again later")
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def run_ui_command(args: argparse.Namespace) -> int:
    """Start `dagster dev` on 127.0.0.1 with DAGSTER_HOME set; returns its exit code."""
    home = dagster_home()
    missing = [name for name in INSTANCE_FILES if not (Path.cwd() / name).exists()]
    if missing:
        print(f"run this from the repo root: {', '.join(missing)} not found in {Path.cwd()}", file=sys.stderr)
        return 2
    command = [sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(args.port)]
    print(f"Dagster UI on http://127.0.0.1:{args.port} (DAGSTER_HOME={home}); Ctrl-C stops it")
    try:
        return subprocess.run(command, env=dict(os.environ), check=False).returncode
    except KeyboardInterrupt:
        return 0
