"""Each validation rule: a sheet that breaks it is quarantined with an exact ingest_errors row; good sheets load."""

from __future__ import annotations

import pytest
from warehouse_factory import MEMBERS_6070, REFERENCE_DIR, batch, make_sheet, query

from atop_pipeline.warehouse import Warehouse, load_batch

GOOD = (6070, 6072)
MAIN_TABLES = ("codesheets", "answers", "alliances", "members", "provisions", "alliance_references", "citations")


def _member_rows(**changes):
    return [dict(row, **changes) for row in MEMBERS_6070]


# (id, bad sheet, expected ingest_errors row: table, error, column, value, question)
CASES = [
    (
        "atopid_out_of_range",
        lambda a: make_sheet(8000),
        ("alliances", "less_than_or_equal_to(7999)", "atopid", "8000", 1),
    ),
    (
        "atopid_band_does_not_match_signature_year",
        lambda a: make_sheet(3071),
        ("alliances", "atopid_band_matches_signature_year", "atopid,begyr", "atopid=3071, begyr=2013", 1),
    ),
    (
        "begin_date_does_not_exist",
        lambda a: make_sheet(a, atop={"begmo": 2, "begday": 30}),
        ("alliances", "begin_date_exists", "begyr,begmo,begday", "begyr=2013, begmo=2, begday=30", 3),
    ),
    (
        "member_entry_date_does_not_exist",
        lambda a: make_sheet(a, member_rows=_member_rows(moent=4, dayent=31)),
        ("members", "entry_date_exists", "yrent,moent,dayent", "yrent=2013, moent=4, dayent=31", 3),
    ),
    (
        "begin_after_end",
        lambda a: make_sheet(a, atop={"endyr": 2012, "endmo": 1, "endday": 1, "ineffect": 0, "term": 1}),
        (
            "alliances", "begin_not_after_end", "begyr,begmo,begday,endyr,endmo,endday",
            "begyr=2013, begmo=11, begday=11, endyr=2012, endmo=1, endday=1", 14,
        ),
    ),
    (
        "member_entry_after_exit",
        lambda a: make_sheet(a, member_rows=_member_rows(yrexit=2010, moexit=1, dayexit=1, ineffect=0)),
        (
            "members", "entry_not_after_exit", "yrent,moent,dayent,yrexit,moexit,dayexit",
            "yrent=2013, moent=11, dayent=11, yrexit=2010, moexit=1, dayexit=1", 14,
        ),
    ),
    (
        "ineffect_contradicts_end_date",
        lambda a: make_sheet(a, atop={"ineffect": 0}),
        ("alliances", "ineffect_matches_end_date", "ineffect,endyr", "ineffect=0, endyr=0", 14),
    ),
    (
        "member_ineffect_contradicts_exit_date",
        lambda a: make_sheet(a, member_rows=_member_rows(yrexit=2016, moexit=3, dayexit=1)),
        ("members", "ineffect_matches_exit_date", "ineffect,yrexit", "ineffect=1, yrexit=2016", 14),
    ),
    (
        "member_not_in_cow_list",
        lambda a: make_sheet(a, members=[(365, "Russia"), (999, "Atlantis")]),
        ("members", "member_in_cow_list", "member", "999", 4),
    ),
    (
        "mem_column_not_in_cow_list",
        lambda a: make_sheet(a, atop={"mem2": 998}),
        ("alliances", "mem_codes_in_cow_list", "mem2", "mem2=998", 4),
    ),
    (
        "fewer_than_two_members",
        lambda a: make_sheet(a, members=[(365, "Russia")], atop={"mem2": None}),
        ("alliances", "at_least_two_members", "member_count", "member_count=1", 4),
    ),
    (
        "bilat_contradicts_member_count",
        lambda a: make_sheet(a, atop={"bilat": 0}),
        (
            "alliances", "bilat_matches_member_count", "bilat,member_count,max_concurrent_members",
            "bilat=0, member_count=2, max_concurrent_members=2", 4,
        ),
    ),
    (
        "not_sixty_one_answers",
        lambda a: make_sheet(a, answers=60),
        ("codesheets", "sixty_one_answers", "answer_count", "60", None),
    ),
    (
        "reference_to_unknown_alliance",
        lambda a: make_sheet(a, references=[7999]),
        ("alliance_references", "referenced_alliance_exists", "referenced_atopid", "7999", 48),
    ),
    (
        "variable_out_of_codebook_range",
        lambda a: make_sheet(a, atop={"defense": 7}),
        ("alliances", "less_than_or_equal_to(1)", "defense", "7", 16),
    ),
]


@pytest.fixture(scope="module")
def one_batch(tmp_path_factory):
    """Every rule-breaking sheet (each its own ATOP ID) in ONE batch with two good sheets, loaded once.

    Pandera's cost is per column, not per row, so one batch keeps this module fast.
    """
    wh = Warehouse(tmp_path_factory.mktemp("validation") / "atop.duckdb")
    bad = {name: build(6100 + i) for i, (name, build, _) in enumerate(CASES)}
    pairs = [make_sheet(GOOD[0]), *bad.values(), make_sheet(GOOD[1])]
    sheets, inputs = batch(*pairs)
    report = load_batch(wh, sheets, [], inputs, reference_dir=REFERENCE_DIR)
    return wh, report, {name: pair[0] for name, pair in bad.items()}


@pytest.mark.parametrize(("name", "expected"), [(c[0], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_rule_breaking_sheet_is_quarantined_with_exact_error_and_good_sheets_load(one_batch, name, expected):
    wh, report, bad = one_batch
    bad_sheet = bad[name]

    def q(sql, params=None):
        return query(wh.working_path, sql, params)

    table, error, column, value, question = expected
    rows = q(
        "SELECT source_file, sha256, atopid, stage, error, table_name, column_name, value, question, message "
        "FROM ingest_errors WHERE error = ? AND table_name = ?",
        [error, table],
    )
    assert [
        (r["source_file"], r["sha256"], r["atopid"], r["stage"], r["table_name"], r["column_name"], r["value"], r["question"])
        for r in rows
    ] == [(bad_sheet.source_file, bad_sheet.sha256, bad_sheet.atopid, "validate", table, column, value, question)]
    assert bad_sheet.source_file in rows[0]["message"] and error in rows[0]["message"]

    assert report.quarantined == len(CASES) and report.loaded == 2
    assert bad_sheet.source_file in report.quarantined_files
    assert [r["atopid"] for r in q("SELECT atopid FROM alliances ORDER BY atopid")] == list(GOOD)
    for t in MAIN_TABLES:
        assert q(f"SELECT count(*) AS n FROM {t} WHERE sha256 = ?", [bad_sheet.sha256])[0]["n"] == 0, t
    # nothing lost: the quarantined sheet's bytes are kept
    assert q("SELECT count(*) AS n FROM raw_inputs WHERE sha256 = ?", [bad_sheet.sha256])[0]["n"] == 1


def test_every_failure_of_a_sheet_is_reported_at_once(load, q):
    bad, _ = pair = make_sheet(3071, atop={"defense": 7, "begday": 31, "begmo": 11}, answers=59)
    load(make_sheet(6070), pair)
    errors = {r["error"] for r in q("SELECT error FROM ingest_errors WHERE sha256 = ?", [bad.sha256])}
    assert errors == {
        "atopid_band_matches_signature_year",
        "less_than_or_equal_to(1)",
        "begin_date_exists",
        "sixty_one_answers",
    }


def test_two_different_sheets_claiming_one_atopid_are_both_quarantined(load, q):
    first, second = make_sheet(6071, variant="a"), make_sheet(6071, variant="b", atop={"defense": 0, "consul": 1})
    report = load(make_sheet(6070), first, second)
    rows = q("SELECT source_file, column_name, value, message FROM ingest_errors ORDER BY 1")
    assert [{k: r[k] for k in ("source_file", "column_name", "value")} for r in rows] == [
        {"source_file": first[0].source_file, "column_name": "atopid", "value": "atopid=6071"},
        {"source_file": second[0].source_file, "column_name": "atopid", "value": "atopid=6071"},
    ]
    # One row per sheet (no per-table uniqueness noise), naming the other file and what differs.
    assert second[0].source_file in rows[0]["message"] and "(consul)" in rows[0]["message"]
    assert report.loaded == 1 and report.quarantined == 2


def test_copies_that_say_the_same_load_once_and_are_kept_as_copies(load, q):
    first, second = make_sheet(6071, variant="a"), make_sheet(6071, variant="b")
    report = load(make_sheet(6070), first, second)
    assert report.loaded == 2 and report.quarantined == 0 and report.copies == 1
    versions = q("SELECT source_file, is_current, duplicate_of FROM codesheets WHERE atopid = 6071 ORDER BY 1")
    assert versions == [
        {"source_file": first[0].source_file, "is_current": True, "duplicate_of": None},
        {"source_file": second[0].source_file, "is_current": False, "duplicate_of": first[0].sha256},
    ]
    assert q("SELECT count(*) AS n FROM answers WHERE atopid = 6071") == [{"n": 61}]
    assert q("SELECT count(*) AS n FROM ingest_errors") == [{"n": 0}]
    # Loading the same batch again changes nothing: the current copy stays current.
    again = load(make_sheet(6070), second, first)
    assert again.loaded == 0 and again.unchanged == 2 and again.copies == 1
    assert q("SELECT source_file FROM codesheets WHERE atopid = 6071 AND is_current") == [
        {"source_file": first[0].source_file}]


def test_a_copy_of_a_quarantined_sheet_is_quarantined_with_it(load, q):
    first = make_sheet(6071, variant="a", atop={"defense": 7})
    second = make_sheet(6071, variant="b", atop={"defense": 7})
    report = load(first, second)
    assert report.loaded == 0 and report.quarantined == 2
    rows = q("SELECT source_file, error FROM ingest_errors WHERE error = 'copy_of_quarantined_sheet'")
    assert len(rows) == 1 and rows[0]["source_file"] in {first[0].source_file, second[0].source_file}


def test_annam_8152_is_the_codebooks_allowed_non_cow_member(load, q):
    report = load(make_sheet(6073, members=[(365, "Russia"), (8152, "Annam")], atop={"mem1": 365, "mem2": 8152}))
    assert report.loaded == 1 and report.quarantined == 0
    assert q("SELECT member_name FROM members WHERE member = 8152") == [{"member_name": "Annam"}]


def test_references_to_published_or_same_batch_alliances_are_accepted(load, q):
    report = load(make_sheet(6070, references=[1005, 6074]), make_sheet(6074, references=[6070]))
    assert report.quarantined == 0
    assert q("SELECT atopid, referenced_atopid FROM alliance_references ORDER BY 1") == [
        {"atopid": 6070, "referenced_atopid": 1005},
        {"atopid": 6070, "referenced_atopid": 6074},
        {"atopid": 6074, "referenced_atopid": 6070},
    ]


def test_reference_to_an_alliance_already_in_the_warehouse_is_accepted(load, q):
    load(make_sheet(6075))
    report = load(make_sheet(6076, references=[6075]))
    assert report.loaded == 1 and report.quarantined == 0


def test_member_that_left_while_another_joined_keeps_bilateral_valid(load, q):
    # ATOP 3470: West Germany (260) leaves on 1990-10-03 as Germany (255) joins; BILAT stays 1.
    rows = [
        dict(MEMBERS_6070[0], member=220, yrent=2013, yrexit=0, moexit=0, dayexit=0),
        # member-level INEFFECT is the member's own: 0 once it has left (as 260 in 3470)
        dict(MEMBERS_6070[0], member=260, yrexit=2015, moexit=10, dayexit=3, ineffect=0),
        dict(MEMBERS_6070[0], member=255, yrent=2015, moent=10, dayent=3),
    ]
    sheet = make_sheet(
        6077, members=[(220, "France"), (260, "West Germany"), (255, "Germany")], member_rows=rows,
    )
    report = load(sheet)
    assert report.quarantined == 0, q("SELECT error, value FROM ingest_errors")
    assert q("SELECT max_concurrent_members, member_count FROM alliances WHERE atopid = 6077") == [
        {"max_concurrent_members": 2, "member_count": 3}
    ]


def test_sheet_without_an_atopid_is_quarantined(load, q):
    sheet, raw = make_sheet(6078)
    sheet.atopid = None
    report = load(make_sheet(6070), (sheet, raw))
    assert report.quarantined == 1 and report.loaded == 1
    rows = q("SELECT table_name, error, column_name FROM ingest_errors WHERE table_name = 'codesheets'")
    assert rows == [{"table_name": "codesheets", "error": "not_nullable", "column_name": "atopid"}]
