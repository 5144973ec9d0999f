"""Write the ATOP-format views (atop_alliance_level, atop_member_level) to CSV or Parquet files."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from atop_pipeline.warehouse.db import Warehouse

#: view -> file stem. Column names and order are the published ATOP 5.1 ones.
EXPORT_VIEWS: dict[str, str] = {
    "atop_alliance_level": "atop_alliance_level",
    "atop_member_level": "atop_member_level",
}
_QUERIES: dict[str, str] = {view: f"SELECT * FROM {view}" for view in EXPORT_VIEWS}  # constants only


def export_tables(warehouse: Path, out_dir: Path, fmt: Literal["csv", "parquet"]) -> list[Path]:
    """Export the ATOP-format views of the published warehouse into `out_dir`; returns the files written."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"unknown export format {fmt!r}; use csv or parquet")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with Warehouse(warehouse).read_published() as con:
        for view, stem in EXPORT_VIEWS.items():
            target = out_dir / f"{stem}.{fmt}"
            relation = con.sql(_QUERIES[view])
            # The relation API takes the path as an argument: no path is ever spliced into SQL.
            if fmt == "csv":
                relation.write_csv(str(target), header=True)
            else:
                relation.write_parquet(str(target))
            written.append(target)
    return written
