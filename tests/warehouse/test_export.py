"""`atop-pipeline export`: the ATOP-format views as CSV or Parquet, with the published column names."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
from warehouse_factory import make_sheet

from atop_pipeline.cli import main

REPO = Path(__file__).resolve().parents[2]


def _published(wh, load):
    load(make_sheet(6070), make_sheet(6072, members=[(365, "Russia"), (8152, "Annam")]))
    wh.publish()


def test_export_csv_writes_published_headers_and_rows(wh, load, tmp_path):
    _published(wh, load)
    out = tmp_path / "out"
    assert main(["export", "--format", "csv", "--out", str(out), "--warehouse", str(wh.published_path)]) == 0
    with open(out / "atop_alliance_level.csv", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    published_header = next(csv.reader(open(REPO / "data/reference/atop5_1a.csv", encoding="utf-8")))
    assert rows[0] == published_header
    row_6070 = dict(zip(rows[0], rows[1]))
    assert (row_6070["atopid"], row_6070["begyr"], row_6070["mem1"], row_6070["mem2"], row_6070["cowid"]) == (
        "6070", "2013", "365", "705", "",  # missing is an empty field, as in the published CSV
    )
    with open(out / "atop_member_level.csv", encoding="utf-8") as f:
        members = list(csv.DictReader(f))
    assert [(m["atopid"], m["member"]) for m in members] == [("6070", "365"), ("6070", "705"), ("6072", "365"), ("6072", "8152")]


def test_export_parquet_is_readable_with_the_same_columns(wh, load, tmp_path):
    _published(wh, load)
    out = tmp_path / "pq dir's"  # awkward characters never reach SQL text
    assert main(["export", "--format", "parquet", "--out", str(out), "--warehouse", str(wh.published_path)]) == 0
    con = duckdb.connect()
    try:
        rel = con.read_parquet(str(out / "atop_member_level.parquet"))
        assert rel.columns[:4] == ["atopid", "cowid", "cow4id", "member"]
        assert len(rel.fetchall()) == 4
    finally:
        con.close()


def test_export_without_a_warehouse_fails_with_a_message(tmp_path, capsys):
    code = main(["export", "--out", str(tmp_path / "o"), "--warehouse", str(tmp_path / "missing.duckdb")])
    assert code == 1
    assert "no published warehouse" in capsys.readouterr().err
