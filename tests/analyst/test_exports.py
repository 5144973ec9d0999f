"""Exports an R or Stata user can open: CSV with the ATOP 5.1 header, and Parquet that reads back."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from atop_pipeline.cli import main

from analyst_warehouses import REPO

PUBLISHED = {"atop_alliance_level": REPO / "data/reference/atop5_1a.csv", "atop_member_level": REPO / "data/reference/atop5_1m.csv"}


@pytest.fixture(scope="module")
def exported(sample_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export")
    for fmt in ("csv", "parquet"):
        assert main(["export", "--format", fmt, "--warehouse", str(sample_warehouse), "--out", str(out)]) == 0
    return out


def _published_header(view: str) -> list[str]:
    with PUBLISHED[view].open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


@pytest.mark.parametrize("view", sorted(PUBLISHED))
def test_exported_csv_header_is_the_published_atop_header(exported: Path, view: str) -> None:
    raw = (exported / f"{view}.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "a BOM makes Stata's first variable name garbage"
    header = raw.split(b"\n", 1)[0].decode("ascii").rstrip("\r").split(",")
    assert header == _published_header(view)


def test_exported_csv_row_matches_the_published_row_where_determined(exported: Path) -> None:
    with (exported / "atop_alliance_level.csv").open(newline="", encoding="utf-8") as handle:
        parsed = {row["atopid"]: row for row in csv.DictReader(handle)}
    with PUBLISHED["atop_alliance_level"].open(newline="", encoding="utf-8") as handle:
        published = {row["atopid"]: row for row in csv.DictReader(handle)}
    row = parsed["6070"]
    determined = {k: v for k, v in row.items() if v != ""}  # missing is an empty field, as in ATOP's CSV
    assert len(determined) > 20
    assert {k: published["6070"][k] for k in determined} == determined


@pytest.mark.parametrize("view", sorted(PUBLISHED))
def test_exported_parquet_reads_back_with_the_published_columns_and_rows(exported: Path, sample_warehouse: Path, view: str) -> None:
    con = duckdb.connect()
    back = con.execute("SELECT * FROM read_parquet(?)", [str(exported / f"{view}.parquet")])
    columns = [d[0] for d in back.description]
    rows = back.fetchall()
    con.close()
    assert columns == _published_header(view)
    wh = duckdb.connect(str(sample_warehouse), read_only=True)
    try:
        assert rows == wh.execute(f"SELECT * FROM {view}").fetchall()  # view name from the constant list above
    finally:
        wh.close()
