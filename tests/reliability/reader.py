"""An analyst's process for the concurrency tests: read the published warehouse in a loop until told to stop.

    python tests/reliability/reader.py held|fresh PUBLISHED STOP_FILE OUT_JSON READY_FILE

``held``: one read-only connection opened at the start and kept (the analyst who opened the file
before the run). ``fresh``: a new read-only connection every round (the analyst who connects during
the run). They must be separate processes: DuckDB shares one database instance per file within a
process, so a fresh connection beside a held one would see the held one's (old) file.

Each round reads a state signature in one query; OUT_JSON is rewritten (atomically) whenever a new
signature or an error is seen, and at the end.
"""

from __future__ import annotations

import json
import os
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


def _write(out_json: str, payload: dict) -> None:
    tmp = f"{out_json}.{os.getpid()}.tmp"
    Path(tmp).write_text(json.dumps(payload), encoding="utf-8")
    os.replace(tmp, out_json)


def main(mode: str, published: str, stop_file: str, out_json: str, ready_file: str) -> int:
    """Loop until the stop file appears; record every distinct state seen and every error."""
    held = duckdb.connect(published, read_only=True) if mode == "held" else None
    seen: list[list[int]] = []
    errors: list[str] = []
    rounds = 0
    Path(ready_file).write_text("ready", encoding="utf-8")
    while not Path(stop_file).exists():
        rounds += 1
        changed = False
        try:
            if held is not None:
                sig = signature(held)
            else:
                con = duckdb.connect(published, read_only=True)
                try:
                    sig = signature(con)
                finally:
                    con.close()
            if sig not in seen:
                seen.append(sig)
                changed = True
        except Exception as exc:  # noqa: BLE001 - every failure is a finding, recorded
            errors.append(f"{type(exc).__name__}: {exc}")
            changed = len(errors) <= 50
        if changed:
            _write(out_json, {"rounds": rounds, "seen": seen, "errors": errors[:50]})
        time.sleep(0.01)
    if held is not None:
        held.close()
    _write(out_json, {"rounds": rounds, "seen": seen, "errors": errors[:50]})
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))
