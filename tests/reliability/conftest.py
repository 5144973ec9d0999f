"""Helpers for the reliability suite: sandboxed subprocess runs, file-tree snapshots, warehouse checks."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ENTRY = Path(__file__).with_name("entry.py")

#: Tables whose contents define "the warehouse state" for crash comparisons.
STATE_TABLES = ("raw_inputs", "codesheets", "answers", "alliances", "members", "provisions",
                "alliance_references", "citations", "ingest_errors", "source_snapshots", "in_force_status")

_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def _no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The loopback servers are reached directly, never through a proxy from the environment."""
    for name in _PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@dataclass
class Sandbox:
    """Fresh cwd, HOME and TMPDIR for a subprocess, so anything it writes outside its folders shows."""

    root: Path
    cwd: Path
    home: Path
    tmp: Path

    def env(self, **extra: str) -> dict[str, str]:
        """The subprocess environment: no proxies, no inherited ATOP_*/DAGSTER_* settings."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("ATOP_", "DAGSTER_")) and k.upper() not in _PROXY_VARS}
        env.update(HOME=str(self.home), TMPDIR=str(self.tmp), PYTHONDONTWRITEBYTECODE="1",
                   PYTHONPATH=str(REPO), XDG_CACHE_HOME=str(self.home / ".cache"),
                   ATOP_TEST_EVENTS=str(self.events))
        env.update(extra)
        return env

    @property
    def events(self) -> Path:
        """The file where runs log `<pid> load-start` / `<pid> published` (outside cwd/HOME/TMPDIR)."""
        return self.root / "events.log"

    def event_lines(self) -> list[tuple[int, str]]:
        """(pid, event) in the order they happened."""
        if not self.events.exists():
            return []
        return [(int(p), e) for p, e in (line.split(" ", 1) for line in self.events.read_text().split("\n") if line)]

    def stray_files(self) -> list[str]:
        """Files the run left in cwd, HOME or TMPDIR (must be none)."""
        return sorted(str(p) for d in (self.cwd, self.home, self.tmp) for p in d.rglob("*"))


def make_sandbox(root: Path) -> Sandbox:
    """Create the sandbox folders under `root`."""
    box = Sandbox(root, root / "cwd", root / "home", root / "tmp")
    for d in (box.cwd, box.home, box.tmp):
        d.mkdir(parents=True, exist_ok=True)
    return box


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    """A fresh sandbox for one test."""
    return make_sandbox(tmp_path / "sandbox")


def entry_command(mode: str, sheets: Path, warehouse: Path, *, crash_at: str | None = None,
                  marker: Path | None = None, lock_timeout: float | None = None,
                  release: Path | None = None) -> list[str]:
    """The command line of one ingest through tests/reliability/entry.py."""
    command = [sys.executable, str(ENTRY), mode, "--sheets", str(sheets), "--warehouse", str(warehouse)]
    if crash_at:
        command += ["--crash-at", crash_at]
    if marker:
        command += ["--marker", str(marker)]
    if lock_timeout is not None:
        command += ["--lock-timeout", str(lock_timeout)]
    if release is not None:
        command += ["--release", str(release)]
    return command


def run_entry(box: Sandbox, mode: str, sheets: Path, warehouse: Path, *, timeout: float = 300,
              dagster_home: Path | None = None, **kw: object) -> subprocess.CompletedProcess[str]:
    """Run one ingest to completion in the sandbox."""
    process = start_entry(box, mode, sheets, warehouse, dagster_home=dagster_home, **kw)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(process)  # the whole group: a Dagster run's step workers must not outlive the test
        out, err = process.communicate()
        return subprocess.CompletedProcess(process.args, -9, out, err + f"\n[killed: no result within {timeout} s]")
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def start_entry(box: Sandbox, mode: str, sheets: Path, warehouse: Path, *,
                dagster_home: Path | None = None, **kw: object) -> subprocess.Popen[str]:
    """Start one ingest in its own process group (so the whole job can be SIGKILLed)."""
    extra = {"DAGSTER_HOME": str(dagster_home)} if dagster_home else {}
    cwd = dagster_home or box.cwd
    return subprocess.Popen(entry_command(mode, sheets, warehouse, **kw), cwd=cwd, env=box.env(**extra),  # type: ignore[arg-type]
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for_file(path: Path, process: subprocess.Popen[str], *, timeout: float = 240) -> None:
    """Wait until `path` exists; fail with the process output if it exits or the wait is too long."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"process ended ({process.returncode}) before {path.name}:\n{out}\n{err[-4000:]}")
        if time.monotonic() > deadline:
            kill_group(process)
            raise AssertionError(f"{path.name} did not appear within {timeout} s")
        time.sleep(0.05)


def kill_group(process: subprocess.Popen[str]) -> None:
    """SIGKILL the process and every process in its group (its Dagster step workers too)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)
    # Step workers of a multiprocess executor share the group; give the kernel a moment to reap them.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def snapshot_tree(root: Path) -> dict[str, str]:
    """Relative path -> sha256 (or link target) of everything under `root`."""
    out: dict[str, str] = {}
    if not root.exists():
        return out
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = "link:" + os.readlink(path)
        elif path.is_file():
            digest = hashlib.sha256()
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            out[rel] = digest.hexdigest()
        elif path.is_dir():
            out[rel] = "dir"
    return out


def validate_published(path: Path, tables: Iterable[str] | None = None) -> dict[str, int]:
    """Open the published file read-only and validate every table against its pandera model; row counts."""
    import duckdb
    import pandera.pandas as pa

    import atop_pipeline.warehouse  # noqa: F401 - import order: schemas <-> warehouse
    from atop_pipeline.schemas import SCHEMAS

    counts: dict[str, int] = {}
    con = duckdb.connect(str(path), read_only=True)
    try:
        for table in tables or SCHEMAS:
            frame = con.execute(f"SELECT * FROM {table}").df()  # table name from the SCHEMAS allow-list
            try:
                SCHEMAS[table].validate(frame, lazy=True)
            except pa.errors.SchemaErrors as exc:
                raise AssertionError(f"{table} fails its schema:\n{exc.failure_cases.head(20)}") from None
            counts[table] = len(frame)
    finally:
        con.close()
    return counts


def table_state(path: Path, tables: Iterable[str] = STATE_TABLES) -> dict[str, list[tuple]]:
    """Every row of the given tables (sorted, blobs hashed), read-only: the state to compare."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        state = {}
        for table in tables:
            rows = con.execute(f"SELECT * FROM {table}").fetchall()  # table name from a constant tuple
            state[table] = sorted(
                (tuple(hashlib.sha256(v).hexdigest() if isinstance(v, (bytes, bytearray)) else v for v in row)
                 for row in rows),
                key=repr,
            )
        return state
    finally:
        con.close()


def copy_tree(source: Path, target: Path) -> Path:
    """Copy a folder (keeping symlinks as links)."""
    shutil.copytree(source, target, symlinks=True)
    return target
