"""Reference tables from data/reference/: the COW state list and the published ATOP 5.1 files."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import pandas as pd

from atop_pipeline.warehouse.db import utc_now
from atop_pipeline.warehouse.writer import replace_table, write_rows

#: file name -> table it fills
REFERENCE_FILES: dict[str, str] = {
    "COW_country_codes.csv": "cow_states",
    "atop5_1a.csv": "published_atop_alliances",
    "atop5_1m.csv": "published_atop_members",
}


def default_reference_dir() -> Path:
    """The repository's data/reference (falling back to ./data/reference when installed elsewhere)."""
    repo = Path(__file__).resolve().parents[2] / "data" / "reference"
    return repo if repo.is_dir() else Path("data/reference")


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path) -> pd.DataFrame:
    """A CSV as all-text columns; an empty field is NULL (ATOP released missing as empty)."""
    # The path is a bound parameter, never formatted into the SQL.
    return con.execute("SELECT * FROM read_csv(?, all_varchar = true, header = true)", [str(path)]).df()


def load_reference(
    con: duckdb.DuckDBPyConnection, reference_dir: Path | None = None, *, now: dt.datetime | None = None
) -> dict[str, int]:
    """Replace the reference tables whose file changed; returns rows loaded per table. Missing files are skipped."""
    directory = Path(reference_dir) if reference_dir is not None else default_reference_dir()
    counts: dict[str, int] = {}
    loaded = dict(con.execute("SELECT file_name, sha256 FROM reference_files").fetchall())
    for name, table in REFERENCE_FILES.items():
        path = directory / name
        if not path.is_file():
            continue
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if loaded.get(name) == digest:
            continue  # same bytes as last time: reloading would change nothing
        frame = _read_csv(con, path)
        if table == "cow_states":
            # One row per spell in the COW file; the warehouse keeps one row per country code.
            frame = (
                frame.rename(columns={"CCode": "ccode", "StateAbb": "state_abb", "StateNme": "state_name"})
                .drop_duplicates(subset=["ccode"], keep="first")
                .reset_index(drop=True)
            )
        counts[table] = replace_table(con, table, frame)
        record = pd.DataFrame([{
            "file_name": name, "table_name": table, "sha256": digest, "size": len(data),
            "rows": counts[table], "loaded_at": now or utc_now(),
        }])
        write_rows(con, "reference_files", record, key=["file_name"])
    return counts


def reference_loaded(con: duckdb.DuckDBPyConnection) -> bool:
    """True if the published ATOP list is in the warehouse."""
    return bool(con.execute("SELECT count(*) FROM published_atop_alliances").fetchall()[0][0])
