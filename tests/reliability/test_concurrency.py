"""Analysts reading the published warehouse during runs, and two runs started at once.

Readers (tests/reliability/reader.py) hold a read-only connection from before the runs and also
reconnect every round; runs must succeed around them, and every state a reader sees must be one of
the complete published states (before, after the first run, after the second), never a mixture.
Two runs at once: the second must wait for the first to finish (or fail clearly when it will not
wait), and never publish around the first.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.reliability.conftest import (
    REPO,
    Sandbox,
    kill_group,
    make_sandbox,
    run_entry,
    start_entry,
    validate_published,
    wait_for_file,
)
from tests.reliability.hostile import FIXTURES, REAL_6070

pytestmark = pytest.mark.timeout(600)

READER = Path(__file__).with_name("reader.py")


def _batch(folder: Path, names: list[str]) -> Path:
    folder.mkdir(parents=True)
    for name in names:
        source = REAL_6070 if name == "codesheet_6070.txt" else FIXTURES / name
        (folder / name).write_bytes(source.read_bytes())
    return folder


def _signature(published: Path) -> list[int]:
    sys.path.insert(0, str(READER.parent))
    from reader import signature  # type: ignore[import-not-found]

    con = duckdb.connect(str(published), read_only=True)
    try:
        return signature(con)
    finally:
        con.close()


def test_readers_during_two_runs_see_only_complete_published_states(tmp_path: Path) -> None:
    box = make_sandbox(tmp_path / "box")
    warehouse = tmp_path / "warehouse" / "atop.duckdb"
    batches = [
        _batch(tmp_path / "b1", ["codesheet_6070.txt"]),
        _batch(tmp_path / "b2", ["codesheet_6070.txt", "variant_3180_nato.txt", "variant_4678_central_america.txt"]),
        _batch(tmp_path / "b3", ["codesheet_6070.txt", "variant_3180_nato.txt", "variant_4678_central_america.txt",
                                 "variant_3275_baghdad_pact.txt", "variant_1370_reinsurance_treaty.txt"]),
    ]
    first = run_entry(box, "core", batches[0], warehouse)
    assert first.returncode == 0, first.stderr[-3000:]
    states = [_signature(warehouse)]

    stop = tmp_path / "stop"
    readers = {mode: _start_reader(box, mode, warehouse, stop, tmp_path) for mode in ("held", "fresh")}
    try:
        for batch in batches[1:]:
            result = run_entry(box, "core", batch, warehouse)
            assert result.returncode == 0, result.stderr[-3000:]
            states.append(_signature(warehouse))
        # The reconnecting reader must get to the final state before it is stopped.
        _wait_until(lambda: states[-1] in _seen(tmp_path, "fresh")["seen"], timeout=60)
        stop.write_text("stop")
        for process in readers.values():
            process.wait(timeout=60)
    finally:
        for process in readers.values():
            if process.poll() is None:
                kill_group(process)
    held, fresh = _seen(tmp_path, "held"), _seen(tmp_path, "fresh")
    assert held["errors"] == [] and fresh["errors"] == []
    assert held["seen"] == [states[0]], "a connection held open must keep seeing the state it opened"
    assert all(s in states for s in fresh["seen"]), (fresh["seen"], states)
    assert len({tuple(s) for s in states}) == 3  # the runs did change the published state
    validate_published(warehouse)


def _start_reader(box: Sandbox, mode: str, warehouse: Path, stop: Path, folder: Path) -> subprocess.Popen[str]:
    ready = folder / f"ready-{mode}"
    process = subprocess.Popen([sys.executable, str(READER), mode, str(warehouse), str(stop),
                                str(folder / f"reader-{mode}.json"), str(ready)],
                               cwd=box.cwd, env=box.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    wait_for_file(ready, process, timeout=60)
    return process


def _seen(folder: Path, mode: str) -> dict:
    path = folder / f"reader-{mode}.json"
    return json.loads(path.read_text()) if path.exists() else {"rounds": 0, "seen": [], "errors": []}


def _wait_until(condition, *, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def _paused_run(box: Sandbox, sheets: Path, warehouse: Path, tmp_path: Path, *, mode: str = "core",
                point: str = "fetch", dagster_home: Path | None = None) -> tuple[subprocess.Popen[str], Path]:
    """Start a run that stops after loading (before publishing) until the returned release file exists."""
    marker, release = tmp_path / "paused", tmp_path / "release"
    process = start_entry(box, mode, sheets, warehouse, crash_at=point, marker=marker, release=release,
                          dagster_home=dagster_home)
    wait_for_file(marker, process)
    return process, release


def test_a_second_run_fails_clearly_while_the_first_holds_the_warehouse(tmp_path: Path) -> None:
    box = make_sandbox(tmp_path / "box")
    warehouse = tmp_path / "warehouse" / "atop.duckdb"
    seed = run_entry(box, "core", _batch(tmp_path / "seed", ["codesheet_6070.txt"]), warehouse)
    assert seed.returncode == 0, seed.stderr[-3000:]
    first, release = _paused_run(box, _batch(tmp_path / "a", ["codesheet_6070.txt", "variant_3180_nato.txt"]),
                                 warehouse, tmp_path)
    try:
        second = run_entry(box, "core", _batch(tmp_path / "b", ["variant_4678_central_america.txt"]), warehouse,
                           lock_timeout=2.0, timeout=120)
        release.write_text("go")
        out, err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            kill_group(first)
    assert first.returncode == 0, err[-3000:]
    assert second.returncode != 0
    assert "another ingest holds the warehouse lock" in second.stderr
    validate_published(warehouse)


@pytest.mark.parametrize("mode", ["core", "dagster"])
def test_a_second_run_waits_for_the_first_to_publish(tmp_path: Path, mode: str) -> None:
    box = make_sandbox(tmp_path / "box")
    warehouse = tmp_path / "warehouse" / "atop.duckdb"
    home = _dagster_home(tmp_path / "dagster_home") if mode == "dagster" else None
    # Paused between steps (after load, checks and fetch; before status and publish), holding no step's lock.
    first, release = _paused_run(box, _batch(tmp_path / "a", ["codesheet_6070.txt", "variant_3180_nato.txt"]),
                                 warehouse, tmp_path, mode=mode, point="status", dagster_home=home)
    try:
        second = start_entry(box, mode, _batch(tmp_path / "b", ["variant_4678_central_america.txt"]), warehouse,
                             dagster_home=home)

        def second_events() -> list[str]:
            return [e for p, e in box.event_lines() if p == second.pid]

        # Wait until the second run asks for the writer lock; then give it a moment to get it. A run that
        # waits does not get it while the first is paused; one that does not wait gets it at once.
        # (A Dagster run that waits for a whole-run lock logs nothing at all: the deadline then decides.)
        deadline = time.monotonic() + 45
        while "lock-wait" not in second_events() and second.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        settle = time.monotonic() + 3.0
        while "lock-acquired" not in second_events() and time.monotonic() < settle:
            time.sleep(0.05)
        release.write_text("go")
        first.communicate(timeout=120)
        out, err = second.communicate(timeout=180)
    finally:
        for process in (first, second):
            if process.poll() is None:
                kill_group(process)
    assert first.returncode == 0 and second.returncode == 0, err[-3000:]
    events = box.event_lines()
    first_published = events.index((first.pid, "published"))
    second_first_lock = events.index((second.pid, "lock-acquired"))
    assert second_first_lock > first_published, events
    validate_published(warehouse)


def _dagster_home(path: Path) -> Path:
    import shutil

    path.mkdir(parents=True)
    for name in ("dagster.yaml", "workspace.yaml"):
        shutil.copy(REPO / name, path / name)
    return path
