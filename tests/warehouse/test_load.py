"""Batch loads: idempotent, versioned per ATOP ID, transactional, nothing lost; the ATOP-format views."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
from warehouse_factory import Raw, make_sheet

from atop_pipeline.codesheets.model import SheetError
from atop_pipeline.warehouse import load as load_module

REPO = Path(__file__).resolve().parents[2]


def _dump(path: Path) -> dict[str, list[tuple]]:
    """Every table's full content, sorted, for equality checks."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() ORDER BY 1"
        ).fetchall()]
        return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    finally:
        con.close()


PARSE_ERROR = SheetError(
    source_file="notes.txt", sha256="ab" * 32, stage="parse", error="no_atop_id",
    message="notes.txt: no ATOP ID found; not a codesheet",
)


def test_loading_the_same_batch_twice_leaves_identical_tables(load, wh):
    batch = [make_sheet(6070), make_sheet(6072), make_sheet(6071, atop={"defense": 7})]
    first = load(*batch, errors=[PARSE_ERROR], extra_inputs=[Raw("notes.txt", b"not a sheet")])
    before = _dump(wh.working_path)
    second = load(*batch, errors=[PARSE_ERROR], extra_inputs=[Raw("notes.txt", b"not a sheet")])
    assert _dump(wh.working_path) == before
    assert (first.loaded, first.quarantined, first.errors) == (2, 1, 1)
    assert (second.loaded, second.unchanged, second.quarantined, second.error_rows) == (0, 2, 1, 0)


def test_same_failure_of_same_bytes_is_recorded_once(load, q):
    bad = make_sheet(6071, atop={"defense": 7})
    load(bad, errors=[PARSE_ERROR])
    load(bad, errors=[PARSE_ERROR])
    rows = q("SELECT source_file, stage, error FROM ingest_errors ORDER BY source_file")
    assert rows == [
        {"source_file": bad[0].source_file, "stage": "validate", "error": "less_than_or_equal_to(1)"},
        {"source_file": "notes.txt", "stage": "parse", "error": "no_atop_id"},
    ]


def test_failed_files_keep_their_bytes_in_raw_inputs(load, q):
    load(make_sheet(6070), errors=[PARSE_ERROR], extra_inputs=[Raw("notes.txt", b"not a sheet")])
    rows = q("SELECT source_file, data FROM raw_inputs WHERE source_file = 'notes.txt'")
    assert rows == [{"source_file": "notes.txt", "data": b"not a sheet"}]


def test_changed_file_for_same_atopid_becomes_current_and_old_version_stays(load, q):
    old, _ = v1 = make_sheet(6070, source_file="codesheet_6070.txt")
    load(v1)
    new, _ = v2 = make_sheet(6070, source_file="codesheet_6070.txt", variant="revised", atop={"defense": 1})
    report = load(v2)

    assert report.loaded == 1
    versions = q("SELECT sha256, is_current, raw_text FROM codesheets WHERE atopid = 6070 ORDER BY is_current")
    assert [(v["sha256"], v["is_current"]) for v in versions] == [(old.sha256, False), (new.sha256, True)]
    assert "variant: revised" in versions[1]["raw_text"] and "variant: revised" not in versions[0]["raw_text"]
    assert q("SELECT defense, sha256 FROM alliances") == [{"defense": 1, "sha256": new.sha256}]
    assert {r["sha256"] for r in q("SELECT DISTINCT sha256 FROM answers")} == {new.sha256}


def test_reverting_a_file_makes_the_earlier_version_current_again(load, q):
    v1, v2 = make_sheet(6070), make_sheet(6070, variant="revised", atop={"defense": 1})
    load(v1)
    load(v2)
    report = load(v1)
    assert report.loaded == 1
    assert q("SELECT sha256 FROM codesheets WHERE is_current") == [{"sha256": v1[0].sha256}]
    assert q("SELECT defense FROM alliances") == [{"defense": 0}]
    assert q("SELECT count(*) AS n FROM codesheets") == [{"n": 2}]


def test_quarantined_new_version_leaves_the_previous_version_current(load, q):
    good = make_sheet(6070)
    load(good)
    load(make_sheet(6070, variant="broken", atop={"defense": 7}))
    assert q("SELECT sha256 FROM codesheets WHERE is_current") == [{"sha256": good[0].sha256}]
    assert q("SELECT defense FROM alliances") == [{"defense": 0}]


def test_same_bytes_under_a_new_parser_version_are_reloaded_keeping_ingested_at(load, q):
    load(make_sheet(6070, parser_version="1.0"))
    first = q("SELECT ingested_at FROM codesheets")
    report = load(make_sheet(6070, parser_version="1.1"))
    assert report.loaded == 1
    assert q("SELECT parser_version, ingested_at FROM codesheets") == [
        {"parser_version": "1.1", "ingested_at": first[0]["ingested_at"]}
    ]


def test_a_failure_mid_load_rolls_back_the_whole_batch(load, q, monkeypatch):
    load(make_sheet(6070))
    before = q("SELECT atopid, sha256 FROM alliances")
    real = load_module.write_rows

    def failing(con, table, df, **kw):
        if table == "members":
            raise OSError("disk full (simulated)")
        return real(con, table, df, **kw)

    monkeypatch.setattr(load_module, "write_rows", failing)
    with pytest.raises(OSError):
        load(make_sheet(6070, variant="revised"), make_sheet(6072))
    assert q("SELECT atopid, sha256 FROM alliances") == before
    assert q("SELECT count(*) AS n FROM codesheets") == [{"n": 1}]


def test_views_have_exactly_the_published_columns_in_published_order(load, wh):
    load(make_sheet(6070))
    con = duckdb.connect(str(wh.working_path), read_only=True)
    try:
        for view, csv_name in (("atop_alliance_level", "atop5_1a.csv"), ("atop_member_level", "atop5_1m.csv")):
            header = next(csv.reader(open(REPO / "data" / "reference" / csv_name, encoding="utf-8")))
            columns = [d[0] for d in con.execute(f"SELECT * FROM {view} LIMIT 0").description]
            assert columns == header, view
    finally:
        con.close()


def test_alliance_level_view_shows_undetermined_variables_as_null(load, q):
    load(make_sheet(6070, atop={"cowid": None, "interv": None}))
    row = q("SELECT atopid, cowid, interv, begyr, version FROM atop_alliance_level")[0]
    assert row == {"atopid": 6070, "cowid": None, "interv": None, "begyr": 2013, "version": "5.1"}


def test_member_level_view_carries_member_rows_and_names_stay_in_members(load, q):
    load(make_sheet(6070))
    assert q("SELECT atopid, member, yrent, moent, dayent, yrexit FROM atop_member_level") == [
        {"atopid": 6070, "member": 365, "yrent": 2013, "moent": 11, "dayent": 11, "yrexit": 0},
        {"atopid": 6070, "member": 705, "yrent": 2013, "moent": 11, "dayent": 11, "yrexit": 0},
    ]
    assert [r["member_name"] for r in q("SELECT member_name FROM members ORDER BY member")] == ["Russia", "Kazakhstan"]


def test_reconciliation_compares_derived_variables_with_published_atop(load, q):
    load(make_sheet(6070, atop={"defense": 1}))
    disagreements = q("SELECT variable, parsed_value, published_value FROM reconciliation WHERE NOT agree")
    assert disagreements == [{"variable": "defense", "parsed_value": 1, "published_value": 0}]
    overall = q("SELECT n, determined, agree, rate FROM reconciliation_summary WHERE variable = '(all)'")[0]
    assert overall["agree"] == overall["determined"] - 1 and overall["rate"] == pytest.approx(
        (overall["determined"] - 1) / overall["determined"]
    )


def test_member_rows_fall_back_to_parsed_members_when_nothing_is_derived(load, q):
    sheet, raw = make_sheet(6070)
    sheet.atop_members = []
    load((sheet, raw))
    assert q("SELECT member, member_name, yrent, moent, dayent, yrexit FROM members ORDER BY member") == [
        {"member": 365, "member_name": "Russia", "yrent": 2013, "moent": 11, "dayent": 11, "yrexit": None},
        {"member": 705, "member_name": "Kazakhstan", "yrent": 2013, "moent": 11, "dayent": 11, "yrexit": None},
    ]


def test_reference_tables_are_loaded_and_cow_codes_deduplicated(load, q):
    load(make_sheet(6070))
    n = q("SELECT count(*) AS n, count(DISTINCT ccode) AS d FROM cow_states")[0]
    assert n["n"] == n["d"] and n["n"] > 150
    assert q("SELECT atopid FROM published_atop_alliances ORDER BY 1") == [
        {"atopid": a} for a in (1005, 1320, 3740, 4070, 6070)
    ]
    assert q("SELECT count(*) AS n FROM published_atop_members WHERE member = 8152") == [{"n": 1}]
