"""Subprocess entry for the reliability tests: run the main job (plain core loop or the Dagster command),
optionally stopping at a named point so the test can SIGKILL it there.

    python tests/reliability/entry.py core --sheets DIR --warehouse FILE [--crash-at POINT] [--marker FILE]
    python tests/reliability/entry.py dagster --sheets DIR --warehouse FILE [--crash-at POINT] [--marker FILE]

Crash points: ``working-copy`` (the working copy is being created from the published file),
``parse`` (after the second sheet is parsed, before the load transaction opens),
``load`` (inside the load transaction, rows written, not committed: the warehouse's own hook),
``status`` (between the fetch and status steps, no lock held by the step),
``fetch`` (after load and checks, while sources are being recorded), ``publish`` (the verified temp
copy is written, the published file not yet replaced: the warehouse's own hook). The warehouse's hook
is `ATOP_TEST_CRASH_AT`; the other points are added here by wrapping core functions, so no product
code carries them. The Dagster job runs its steps in this process (in_process executor), so the
wrapped points and the event log apply to it too. At the point, the process writes the marker file and sleeps until killed.

With ``--release FILE`` the process pauses at the point instead (until FILE exists), which the
concurrency tests use to hold one run mid-job while another starts. ATOP_TEST_EVENTS names a file
where each run appends ``<pid> load-start``, ``<pid> published``, ``<pid> lock-wait`` and
``<pid> lock-acquired`` (outermost writer-lock requests only).

Prints one JSON line with the run's summary on success.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

AS_OF = dt.date(2026, 11, 28)


def _stop_here(name: str) -> None:
    """Announce the point (marker file); then wait to be killed, or for the release file if one is set."""
    marker = os.environ.get("ATOP_TEST_CRASH_MARKER")
    if marker:
        Path(marker).write_text(name, encoding="utf-8")
    release = os.environ.get("ATOP_TEST_RELEASE")
    while True:
        if release and Path(release).exists():
            return
        time.sleep(0.05)


def _log_event(name: str) -> None:
    """Append `<pid> <name>` to the shared events file (ATOP_TEST_EVENTS), for ordering checks."""
    events = os.environ.get("ATOP_TEST_EVENTS")
    if events:
        with open(events, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()} {name}\n")


def _install_event_log() -> None:
    """Record when each run starts loading and when it has published."""
    from atop_pipeline import pipeline

    original_load, original_publish = pipeline.load_inputs, pipeline.publish

    def load_inputs(*args, **kwargs):  # type: ignore[no-untyped-def]
        _log_event("load-start")
        return original_load(*args, **kwargs)

    def publish(*args, **kwargs):  # type: ignore[no-untyped-def]
        result = original_publish(*args, **kwargs)
        _log_event("published")
        return result

    pipeline.load_inputs, pipeline.publish = load_inputs, publish

    from contextlib import contextmanager

    from atop_pipeline.warehouse import db

    original_lock = db.Warehouse.lock

    @contextmanager
    def lock(self):  # type: ignore[no-untyped-def]
        outer = self._lock_depth == 0
        if outer:
            _log_event("lock-wait")
        with original_lock(self):
            if outer:
                _log_event("lock-acquired")
            yield

    db.Warehouse.lock = lock


def _install_hooks(point: str | None) -> None:
    """Hooks for the points the warehouse does not have itself (parse, fetch)."""
    if point == "parse":
        from atop_pipeline.codesheets import parser

        original = parser.parse_bytes
        calls = {"n": 0}

        def parse_then_stop(*args, **kwargs):  # type: ignore[no-untyped-def]
            result = original(*args, **kwargs)
            calls["n"] += 1
            if calls["n"] >= 2:
                _stop_here("parse")
            return result

        parser.parse_bytes = parse_then_stop  # pipeline imports it from the module at call time
    elif point == "working-copy":
        # A kill while the working copy is being made from the published file: a third of the bytes
        # land in whatever file the warehouse copies to, then the process stops.
        from atop_pipeline.warehouse import db

        def copy_then_stop(source, target):  # type: ignore[no-untyped-def]
            data = Path(source).read_bytes()
            Path(target).write_bytes(data[: len(data) // 3])
            _stop_here("working-copy")

        db._copy_synced = copy_then_stop
    elif point == "status":
        # Between steps, holding no lock: after load, checks and fetch, before the status step.
        from atop_pipeline import pipeline

        original_assess = pipeline.assess_status

        def stop_then_assess(*args, **kwargs):  # type: ignore[no-untyped-def]
            _stop_here("status")
            return original_assess(*args, **kwargs)

        pipeline.assess_status = stop_then_assess
    elif point == "fetch":
        from atop_pipeline.sources import documents

        def fetch_then_stop(*args, **kwargs):  # type: ignore[no-untyped-def]
            _stop_here("fetch")

        documents.fetch_source_documents = fetch_then_stop
        from atop_pipeline import pipeline

        original_offline = pipeline._offline_documents

        def offline_then_stop(urls):  # type: ignore[no-untyped-def]
            documents = original_offline(urls)
            _stop_here("fetch")
            return documents

        pipeline._offline_documents = offline_then_stop


def main(argv: list[str] | None = None) -> int:
    """Run one ingest as asked; returns the exit status."""
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("core", "dagster"))
    parser.add_argument("--sheets", required=True)
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--crash-at", default=None)
    parser.add_argument("--marker", default=None)
    parser.add_argument("--lock-timeout", type=float, default=None)
    parser.add_argument("--release", default=None, help="pause at --crash-at until this file exists, then go on")
    args = parser.parse_args(argv)
    if args.marker:
        os.environ["ATOP_TEST_CRASH_MARKER"] = args.marker
    if args.release:
        os.environ["ATOP_TEST_RELEASE"] = args.release
    _install_event_log()
    if args.crash_at in ("load", "publish"):
        os.environ["ATOP_TEST_CRASH_AT"] = args.crash_at
    _install_hooks(args.crash_at)

    if args.mode == "core":
        from atop_pipeline import pipeline

        if args.lock_timeout is not None:
            original_open = pipeline.open_warehouse
            pipeline.open_warehouse = lambda path, **kw: original_open(path, lock_timeout=args.lock_timeout)
        summary = pipeline.run_ingest(args.sheets, args.warehouse, offline=True, as_of=AS_OF)
        print(json.dumps({"ok": True, **{k: v for k, v in vars(summary).items() if k != "verdicts"}}))
        return 0

    from atop_pipeline.cli import main as cli_main

    return cli_main(["ingest", "--sheets", args.sheets, "--warehouse", args.warehouse, "--offline",
                     "--as-of", AS_OF.isoformat()])


if __name__ == "__main__":
    sys.exit(main())
