"""End to end with the real parser: real codesheets -> validated, published warehouse equal to ATOP 5.1."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from warehouse_factory import query

from atop_pipeline.warehouse import ingest_folder

REPO = Path(__file__).resolve().parents[2]
SHEETS = REPO / "tests" / "fixtures" / "warehouse" / "sheets"
FULL_REFERENCE = REPO / "data" / "reference"


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """The three real sheets plus a file that is not a sheet, ingested and published once."""
    root = tmp_path_factory.mktemp("ingest")
    sheets = root / "sheets"
    shutil.copytree(SHEETS, sheets)
    (sheets / "notes.txt").write_text("Shopping list: bread, milk.\n", encoding="utf-8")
    warehouse = root / "wh" / "atop.duckdb"
    report = ingest_folder(sheets, warehouse, reference_dir=FULL_REFERENCE)
    return sheets, warehouse, report


def _published_row(atopid: int) -> dict[str, str]:
    with open(FULL_REFERENCE / "atop5_1a.csv", encoding="utf-8") as f:
        return next(r for r in csv.DictReader(f) if r["atopid"] == str(atopid))


def test_real_sheets_load_and_the_non_sheet_is_an_error_row(ingested):
    _, warehouse, report = ingested
    assert (report.read, report.loaded, report.quarantined, report.errors) == (4, 3, 0, 1)
    assert report.published == warehouse and warehouse.exists()
    rows = query(warehouse, "SELECT source_file, stage FROM ingest_errors")
    assert rows == [{"source_file": "notes.txt", "stage": "parse"}]
    assert query(warehouse, "SELECT count(*) AS n FROM raw_inputs") == [{"n": 4}]


def test_6070_equals_the_published_row_on_every_determined_variable(ingested):
    _, warehouse, _ = ingested
    ours = query(warehouse, "SELECT * FROM atop_alliance_level WHERE atopid = 6070")[0]
    published = _published_row(6070)
    determined = {k: v for k, v in ours.items() if v is not None}
    assert len(determined) >= 20
    assert {k: str(v) for k, v in determined.items()} == {k: published[k] for k in determined}


def test_reconciliation_reports_the_agreement_rate(ingested):
    _, warehouse, _ = ingested
    overall = query(warehouse, "SELECT n, determined, agree, rate FROM reconciliation_summary WHERE variable = '(all)'")[0]
    assert overall["determined"] > 0 and overall["rate"] == overall["agree"] / overall["determined"]
    per_variable = query(warehouse, "SELECT variable FROM reconciliation_summary WHERE variable <> '(all)'")
    assert {"begyr", "bilat", "ineffect"} <= {r["variable"] for r in per_variable}


def test_reingesting_the_same_folder_changes_nothing(ingested):
    sheets, warehouse, _ = ingested
    before = query(warehouse, "SELECT sha256, ingested_at, is_current FROM codesheets ORDER BY sha256")
    report = ingest_folder(sheets, warehouse, reference_dir=FULL_REFERENCE)
    assert (report.loaded, report.unchanged, report.error_rows) == (0, 3, 0)
    assert query(warehouse, "SELECT sha256, ingested_at, is_current FROM codesheets ORDER BY sha256") == before
