"""An analyst's process for the concurrency tests: read the published warehouse in a loop until told to stop.

    python tests/reliability/reader.py PUBLISHED STOP_FILE OUT_JSON READY_FILE

Holds one read-only connection for the whole time (the analyst who opened the file before the run)
and also opens a fresh read-only connection every round (the analyst who connects during the run).
Each round reads a state signature in one transaction; every distinct signature and every error is
written to OUT_JSON at the end.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

#: One query, one transaction: counts that must move together when a batch is published.
SIGNATURE_SQL = """
SELECT (SELECT count(*) FROM codesheets), (SELECT count(*) FROM codesheets WHERE is_current),
       (SELECT count(*) FROM alliances), (SELECT coalesce(sum(atopid), 0) FROM alliances),
       (SELECT count(*) FROM members), (SELECT count(*) FROM answers),
       (SELECT count(*) FROM atop_alliance_level), (SELECT count(*) FROM ingest_errors)
"""


def signature(con: duckdb.DuckDBPyConnection) -> list[int]:
    """The state signature seen by this connection."""
    return [int(v) for v in con.execute(SIGNATURE_SQL).fetchone()]


def main(published: str, stop_file: str, out_json: str, ready_file: str) -> int:
    """Loop until the stop file appears; write what was seen."""
    held = duckdb.connect(published, read_only=True)
    held_seen: list[list[int]] = []
    fresh_seen: list[list[int]] = []
    errors: list[str] = []
    rounds = 0
    Path(ready_file).write_text("ready", encoding="utf-8")
    while not Path(stop_file).exists():
        rounds += 1
        try:
            sig = signature(held)
            if sig not in held_seen:
                held_seen.append(sig)
        except Exception as exc:  # noqa: BLE001 - every failure is a finding, recorded
            errors.append(f"held: {type(exc).__name__}: {exc}")
        try:
            con = duckdb.connect(published, read_only=True)
            try:
                sig = signature(con)
            finally:
                con.close()
            if sig not in fresh_seen:
                fresh_seen.append(sig)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"fresh: {type(exc).__name__}: {exc}")
        time.sleep(0.01)
    held.close()
    Path(out_json).write_text(json.dumps({"rounds": rounds, "held": held_seen, "fresh": fresh_seen,
                                          "errors": errors[:50]}), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
