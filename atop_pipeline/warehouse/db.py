"""The warehouse files: a private working database, a writer lock, and atomic publishing.

Analysts open the *published* file read-only. The pipeline only ever writes the *working* file
beside it (`.<name>.work.duckdb`), then publishes by copying the working file to a temp file in the
same directory, fsyncing it, checking it opens, and `os.replace`-ing it onto the published path. On
POSIX a reader that already has the old file open keeps reading the old inode (a consistent, old
state) and is never blocked; a new connection sees the new file. A crash at any point leaves the
published file either old or new, never half-written.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
import shutil
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from atop_pipeline.warehouse.columns import ALLIANCE_COLUMNS

DEFAULT_WAREHOUSE = Path("data/warehouse/atop.duckdb")
DDL_DIR = Path(__file__).parent / "ddl"

#: Environment variable naming a point where a test wants this process to stop (see `crash_point`).
CRASH_ENV = "ATOP_TEST_CRASH_AT"
CRASH_MARKER_ENV = "ATOP_TEST_CRASH_MARKER"

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


class WarehouseLockedError(RuntimeError):
    """Another process holds the warehouse writer lock."""


def crash_point(name: str) -> None:
    """Test hook: when ATOP_TEST_CRASH_AT names this point, announce it and wait to be killed.

    The marker file (ATOP_TEST_CRASH_MARKER) tells the test the process is exactly here, so its
    SIGKILL lands deterministically mid-load or mid-publish.
    """
    if os.environ.get(CRASH_ENV) != name:
        return
    marker = os.environ.get(CRASH_MARKER_ENV)
    if marker:
        Path(marker).write_text(name, encoding="utf-8")
    while True:  # pragma: no cover - ended by the test's SIGKILL
        time.sleep(1)


def derived_alliance_variables() -> tuple[str, ...]:
    """Alliance-level variables the parser derives (derive.ALLIANCE_VARIABLES), in published order."""
    try:
        from atop_pipeline.codesheets.derive import ALLIANCE_VARIABLES  # type: ignore[attr-defined]
    except ImportError:
        # Until derive.py exists: every published variable except the id and release metadata.
        return tuple(c for c in ALLIANCE_COLUMNS if c not in ("atopid", "version", "new5", "rev5"))
    wanted = set(ALLIANCE_VARIABLES)
    return tuple(c for c in ALLIANCE_COLUMNS if c in wanted and c != "atopid" and c != "version")


def reconciliation_sql(variables: tuple[str, ...]) -> str:
    """DDL of the `reconciliation` views, one UNION ALL branch per variable from a constant list."""
    branches = []
    for v in variables:
        if not _IDENTIFIER.match(v) or v not in ALLIANCE_COLUMNS:
            raise ValueError(f"not a published ATOP column: {v!r}")
        # v is an identifier from the published column list, never data.
        branches.append(
            f"SELECT a.atopid, '{v}' AS variable, a.{v} AS parsed_value, p.{v} AS published_value "
            f"FROM alliances AS a JOIN published_atop_alliances AS p USING (atopid)"
        )
    body = "\nUNION ALL\n".join(branches) or (
        "SELECT CAST(NULL AS INTEGER) AS atopid, CAST(NULL AS VARCHAR) AS variable, "
        "CAST(NULL AS INTEGER) AS parsed_value, CAST(NULL AS INTEGER) AS published_value WHERE false"
    )
    return f"""
-- Per alliance and derived variable: the parsed value, the published ATOP 5.1 value, and whether
-- they agree. `determined` is false where the sheet did not determine a value (parsed NULL).
CREATE OR REPLACE VIEW reconciliation AS
SELECT
    atopid,
    variable,
    parsed_value,
    published_value,
    parsed_value IS NOT NULL AS determined,
    CASE WHEN parsed_value IS NULL THEN NULL
         ELSE parsed_value IS NOT DISTINCT FROM published_value END AS agree
FROM (
{body}
) AS pairs
ORDER BY atopid, variable;

-- Agreement per variable and overall (variable = '(all)'): rate = agree / determined.
CREATE OR REPLACE VIEW reconciliation_summary AS
WITH per_variable AS (
    SELECT variable, count(*) AS n, count(*) FILTER (WHERE determined) AS determined,
           count(*) FILTER (WHERE agree) AS agree
    FROM reconciliation GROUP BY variable
), overall AS (
    SELECT '(all)' AS variable, count(*) AS n, count(*) FILTER (WHERE determined) AS determined,
           count(*) FILTER (WHERE agree) AS agree
    FROM reconciliation
)
SELECT variable, n, determined, agree,
       CASE WHEN determined > 0 THEN agree / determined END AS rate
FROM (SELECT * FROM per_variable UNION ALL SELECT * FROM overall)
ORDER BY variable = '(all)', variable;
"""


#: What `ensure_schema` left in a file in this process (tables, views, columns and view SQL).
_ENSURED_SIGNATURE: dict[str, object] = {}

_Q_SCHEMA_SIGNATURE = """
SELECT (SELECT list(table_name || ':' || column_name || ':' || data_type ORDER BY table_name, column_index)
        FROM duckdb_columns() WHERE NOT internal AND database_name = current_database()),
       (SELECT list(view_name || ':' || hash(sql) ORDER BY view_name)
        FROM duckdb_views() WHERE NOT internal AND database_name = current_database())
"""


def _schema_signature(con: duckdb.DuckDBPyConnection) -> tuple:
    """The file's tables, columns and views, to tell whether `ensure_schema` would change anything."""
    return tuple(con.execute(_Q_SCHEMA_SIGNATURE).fetchone() or ())


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table and (re)create every view; safe to run on every connection."""
    for path in sorted(DDL_DIR.glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))
    con.execute(reconciliation_sql(derived_alliance_variables()))


def utc_now() -> dt.datetime:
    """Now in UTC as a naive timestamp (the warehouse stores TIMESTAMP in UTC)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


class Warehouse:
    """The published warehouse file, its private working copy, and the writer lock beside them."""

    def __init__(self, published_path: Path | str = DEFAULT_WAREHOUSE, *, lock_timeout: float = 0.0) -> None:
        self.published_path = Path(published_path)
        stem = self.published_path.name.removesuffix(".duckdb")
        directory = self.published_path.parent
        self.working_path = directory / f".{stem}.work.duckdb"
        self.lock_path = directory / f".{stem}.lock"
        self._tmp_prefix = f".{stem}.publish-"
        self.lock_timeout = lock_timeout
        self._lock_depth = 0
        self._lock_file: object = None

    def __repr__(self) -> str:
        return f"Warehouse({str(self.published_path)!r})"

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the writer lock (re-entrant in this object); waits up to lock_timeout, then fails clearly."""
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        self.published_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.lock_path, "a+", encoding="utf-8")
        deadline = time.monotonic() + max(self.lock_timeout, 0.0)
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "an unknown time"
                    handle.close()
                    raise WarehouseLockedError(
                        f"another ingest holds the warehouse lock since {holder} ({self.lock_path}); "
                        "wait for it to finish and run again"
                    ) from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{utc_now().isoformat()}Z (pid {os.getpid()})\n")
        handle.flush()
        self._lock_file = handle
        self._lock_depth = 1
        try:
            yield
        finally:
            self._lock_depth = 0
            self._lock_file = None
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection to the WORKING file, schema ensured, under the writer lock."""
        with self.lock():
            if not self.working_path.exists() and self.published_path.exists():
                # The published file is authoritative when the working copy is gone. Copy to a temp
                # name and rename, so a kill mid-copy never leaves a torn working file behind.
                for stale in self.published_path.parent.glob(f"{self._tmp_prefix}*.work-tmp"):
                    stale.unlink(missing_ok=True)
                tmp = self.published_path.parent / f"{self._tmp_prefix}{uuid.uuid4().hex}.work-tmp"
                try:
                    _copy_synced(self.published_path, tmp)
                    os.replace(tmp, self.working_path)
                    _fsync_dir(self.working_path.parent)
                finally:
                    tmp.unlink(missing_ok=True)
            con = duckdb.connect(str(self.working_path))
            try:
                # A run opens the working file dozens of times and the DDL (tables, views, the
                # reconciliation view) is the same each time: skip it when the file already has
                # exactly the tables, views and columns that the DDL gave in this process.
                if _schema_signature(con) != _ENSURED_SIGNATURE.get("signature"):
                    ensure_schema(con)
                    _ENSURED_SIGNATURE["signature"] = _schema_signature(con)
                yield con
                con.execute("CHECKPOINT")
            finally:
                con.close()

    @contextmanager
    def read_published(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection to the published file (what analysts see)."""
        if not self.published_path.exists():
            raise FileNotFoundError(f"no published warehouse at {self.published_path}; run `atop-pipeline ingest` first")
        con = duckdb.connect(str(self.published_path), read_only=True)
        try:
            yield con
        finally:
            con.close()

    def publish(self) -> Path:
        """Atomically replace the published file with a verified copy of the working database."""
        with self.lock():
            if not self.working_path.exists():
                with self.connect():
                    pass
            expected = _table_counts(self.working_path)
            for stale in self.published_path.parent.glob(f"{self._tmp_prefix}*.tmp"):
                stale.unlink(missing_ok=True)  # left by a crashed publish; we hold the lock
            tmp = self.published_path.parent / f"{self._tmp_prefix}{uuid.uuid4().hex}.tmp"
            try:
                _copy_synced(self.working_path, tmp)
                copied = _table_counts(tmp)
                if copied != expected:
                    raise RuntimeError(f"published copy {tmp} does not match the working database")
                crash_point("publish")
                os.replace(tmp, self.published_path)
                _fsync_dir(self.published_path.parent)
            finally:
                tmp.unlink(missing_ok=True)
            return self.published_path


def _table_counts(path: Path) -> dict[str, int]:
    """Row count of every table; opening the file also proves it is a readable DuckDB database."""
    wal = Path(str(path) + ".wal")
    con = duckdb.connect(str(path), read_only=not wal.exists())
    try:
        if wal.exists():
            con.execute("CHECKPOINT")  # fold a leftover WAL in so the file alone is complete
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() ORDER BY 1"
        ).fetchall()]
        counts = {}
        for name in names:
            if not _IDENTIFIER.match(name):
                raise RuntimeError(f"unexpected table name {name!r}")
            counts[name] = con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]  # identifier from catalog, checked
        return counts
    finally:
        con.close()


def _copy_synced(source: Path, target: Path) -> None:
    """Copy a file and fsync the copy, so a crash after this leaves complete bytes or none."""
    shutil.copyfile(source, target)
    with open(target, "rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(directory: Path) -> None:
    """Persist a rename in `directory`."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
