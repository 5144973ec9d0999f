"""Publishing: readers of the published file are never blocked nor see half a state; crashes leave it intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from warehouse_factory import REFERENCE_DIR, make_sheet, query

from atop_pipeline.warehouse import Warehouse, WarehouseLockedError
from atop_pipeline.warehouse.db import CRASH_ENV, CRASH_MARKER_ENV

HERE = Path(__file__).resolve().parent
CHILD = HERE / "ingest_child.py"

READER = """
import sys, time, duckdb
from pathlib import Path
published, ready, go = sys.argv[1:4]
con = duckdb.connect(published, read_only=True)
print(con.execute("SELECT count(*) FROM alliances").fetchall()[0][0], flush=True)
Path(ready).write_text("ready")
while not Path(go).exists():
    time.sleep(0.05)
print(con.execute("SELECT count(*) FROM alliances").fetchall()[0][0], flush=True)
print(con.execute("SELECT sha256 FROM codesheets WHERE is_current AND atopid = 6070").fetchall()[0][0], flush=True)
con.close()
"""


def _wait_for(path: Path, proc: subprocess.Popen) -> None:
    """Block until the child has written `path` (fails if the child exits first)."""
    while not path.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"child exited ({proc.returncode}) before {path.name}: {out}{err}")
        time.sleep(0.05)


def _publish_first_version(wh: Warehouse, load) -> str:
    sheet, _ = first = make_sheet(6070)
    load(first)
    wh.publish()
    return sheet.sha256


def _child(wh: Warehouse, variant: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(wh.published_path), str(REFERENCE_DIR), variant],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})},
    )


def test_publish_writes_beside_a_private_working_file(wh, load):
    _publish_first_version(wh, load)
    assert wh.working_path == wh.published_path.parent / ".atop.work.duckdb"
    assert query(wh.published_path, "SELECT atopid FROM alliances") == [{"atopid": 6070}]
    assert not list(wh.published_path.parent.glob(".atop.publish-*"))


def test_reader_holding_the_published_file_is_not_blocked_and_sees_the_old_state(wh, load, tmp_path):
    old_sha = _publish_first_version(wh, load)
    ready, go = tmp_path / "ready", tmp_path / "go"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(wh.published_path), str(ready), str(go)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        _wait_for(ready, reader)
        new_sha = make_sheet(6070, variant="v2")[0].sha256
        report = load(make_sheet(6070, variant="v2"), make_sheet(6072, variant="v2"))
        wh.publish()  # while the reader holds its read-only connection
        assert report.loaded == 2
    finally:
        go.write_text("go")
        out, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err
    assert out.split() == ["1", "1", old_sha]  # the reader's connection still sees the old, whole state
    assert query(wh.published_path, "SELECT count(*) AS n FROM alliances") == [{"n": 2}]
    assert query(wh.published_path, "SELECT sha256 FROM codesheets WHERE is_current AND atopid = 6070") == [
        {"sha256": new_sha}
    ]


@pytest.mark.parametrize("point", ["load", "publish"])
def test_ingest_killed_mid_way_leaves_published_intact_and_next_run_succeeds(wh, load, tmp_path, point):
    old_sha = _publish_first_version(wh, load)
    marker = tmp_path / "reached"
    child = _child(wh, "v2", {CRASH_ENV: point, CRASH_MARKER_ENV: str(marker)})
    try:
        _wait_for(marker, child)
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL

    # the published file is the old, complete state
    assert query(wh.published_path, "SELECT atopid, sha256 FROM alliances") == [{"atopid": 6070, "sha256": old_sha}]
    with wh.connect() as con:  # the lock died with the child; the working file opens
        working = con.execute("SELECT count(*) FROM alliances").fetchall()[0][0]
    assert working == (1 if point == "load" else 2)  # mid-load: uncommitted; mid-publish: committed

    rerun = _child(wh, "v2")
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert query(wh.published_path, "SELECT atopid FROM alliances ORDER BY 1") == [{"atopid": 6070}, {"atopid": 6072}]
    assert not list(wh.published_path.parent.glob(".atop.publish-*"))  # a crashed publish's temp file is gone


def test_second_writer_fails_clearly_while_the_lock_is_held(wh):
    other = Warehouse(wh.published_path)
    with wh.lock():
        with pytest.raises(WarehouseLockedError, match="another ingest holds the warehouse lock since"):
            with other.connect():
                pass
    with other.connect() as con:  # released: the next writer gets in
        assert con.execute("SELECT count(*) FROM alliances").fetchall() == [(0,)]


def test_lock_is_reentrant_within_one_warehouse_object(wh, load):
    with wh.lock():
        load(make_sheet(6070))
        wh.publish()
    assert query(wh.published_path, "SELECT count(*) AS n FROM alliances") == [{"n": 1}]


HOLDER = """
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from atop_pipeline.warehouse import Warehouse
wh = Warehouse(Path(sys.argv[2]))
with wh.lock():
    Path(sys.argv[3]).write_text("held")
    while not Path(sys.argv[4]).exists():
        time.sleep(0.05)
"""


def test_writer_with_a_lock_timeout_waits_for_the_holder_then_proceeds(wh, tmp_path):
    import threading

    held, release = tmp_path / "held", tmp_path / "release"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(HERE.parents[1]), str(wh.published_path), str(held), str(release)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        _wait_for(held, holder)
        with pytest.raises(WarehouseLockedError):  # without a timeout: fails at once, clearly
            with Warehouse(wh.published_path).connect():
                pass
        threading.Timer(0.5, release.write_text, args=("go",)).start()
        with Warehouse(wh.published_path, lock_timeout=300).connect() as con:
            assert con.execute("SELECT count(*) FROM codesheets").fetchall() == [(0,)]
        assert release.exists()  # we got in only after the holder was told to let go
    finally:
        release.write_text("go")
        holder.communicate(timeout=60)


def test_a_missing_working_file_is_recreated_from_the_published_one(wh, load):
    _publish_first_version(wh, load)
    wh.working_path.unlink()
    with wh.connect() as con:
        assert con.execute("SELECT atopid FROM alliances").fetchall() == [(6070,)]
    assert not list(wh.published_path.parent.glob(".atop.publish-*"))


def test_a_torn_copy_of_the_published_file_never_becomes_the_working_file(wh, load, monkeypatch):
    from atop_pipeline.warehouse import db

    _publish_first_version(wh, load)
    wh.working_path.unlink()

    def torn_copy(source, target):
        Path(target).write_bytes(Path(source).read_bytes()[:1000])
        raise KeyboardInterrupt  # the process dies mid-copy

    monkeypatch.setattr(db, "_copy_synced", torn_copy)
    with pytest.raises(KeyboardInterrupt):
        with wh.connect():
            pass
    assert not wh.working_path.exists()
    monkeypatch.undo()
    with wh.connect() as con:
        assert con.execute("SELECT atopid FROM alliances").fetchall() == [(6070,)]
