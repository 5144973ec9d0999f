"""The round-trip measure: comparison rules, and a 50-sheet slice parsed by the real parser."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from atop_pipeline.synth.corpus import generate_corpus, read_manifest
from atop_pipeline.synth.roundtrip import RoundTripReport, compare_sheet, roundtrip

PUBLISHED_A = {"atopid": "6070", "begyr": "2013", "endyr": "0", "cowid": "", "speclgth": "1"}
PUBLISHED_M = [
    {"atopid": "6070", "member": "365", "yrent": "2013", "moent": "11", "dayent": "11", "yrexit": "0", "moexit": "0", "dayexit": "0"},
    {"atopid": "6070", "member": "705", "yrent": "2013", "moent": "11", "dayent": "11", "yrexit": "0", "moexit": "0", "dayexit": "0"},
]
MEMBER_VARS = ("atopid", "member", "yrent", "moent", "dayent", "yrexit", "moexit", "dayexit")


def _member(ccode: int, yrent: int = 2013, yrexit: int = 0) -> dict[str, int | None]:
    return {"atopid": 6070, "member": ccode, "yrent": yrent, "moent": 11, "dayent": 11, "yrexit": yrexit, "moexit": 0, "dayexit": 0}


def _compare(atop: dict, members: list[dict], published_members=PUBLISHED_M, sheet_atopid: int = 6070) -> RoundTripReport:
    report = RoundTripReport()
    compare_sheet(
        report,
        file="codesheet_6070.txt",
        atop=atop,
        atop_members=members,
        published=PUBLISHED_A,
        published_members=published_members,
        sheet_atopid=sheet_atopid,
        alliance_variables=("atopid", "begyr", "endyr", "cowid", "speclgth", "not_published"),
        member_variables=MEMBER_VARS,
    )
    return report


def test_identical_values_agree_and_empty_published_cell_is_none() -> None:
    atop = {"atopid": 6070, "begyr": 2013, "endyr": 0, "cowid": None, "speclgth": 1}
    report = _compare(atop, [_member(705), _member(365)])
    assert report.overall == 1.0 and not report.mismatches
    assert "not_published" not in report.total  # only variables the published rows carry


def test_a_differing_variable_is_listed_with_both_values() -> None:
    atop = {"atopid": 6070, "begyr": 2014, "endyr": 0, "cowid": None, "speclgth": 1}
    report = _compare(atop, [_member(365), _member(705)])
    assert [(m.variable, m.parsed, m.published) for m in report.mismatches] == [("begyr", 2014, 2013)]
    assert report.agreement("begyr") == 0.0 and report.agreement("endyr") == 1.0


def test_a_missing_member_row_counts_against_every_member_variable() -> None:
    atop = {"atopid": 6070, "begyr": 2013, "endyr": 0, "cowid": None, "speclgth": 1}
    report = _compare(atop, [_member(365)])
    assert report.agreement("member.yrent") == 0.5
    assert {m.variable for m in report.mismatches} >= {"member[705].member", "member[705].yrent"}


def test_member_spells_are_matched_by_entry_order() -> None:
    published = [
        {**PUBLISHED_M[0], "yrent": "1992", "yrexit": "2002"},
        {**PUBLISHED_M[0], "yrent": "2002"},
    ]
    report = _compare({}, [_member(365, 2002), _member(365, 1992, 2002)], published_members=published)
    assert report.agreement("member.yrent") == 1.0 and report.agreement("member.yrexit") == 1.0


def test_a_remapped_copy_is_compared_under_its_own_id() -> None:
    atop = {"atopid": 6071, "begyr": 2013, "endyr": 0, "cowid": None, "speclgth": 1}
    members = [{**_member(365), "atopid": 6071}, {**_member(705), "atopid": 6071}]
    report = _compare(atop, members, sheet_atopid=6071)
    assert report.overall == 1.0


def test_a_mismatch_on_a_remapped_copy_names_the_published_alliance() -> None:
    report = RoundTripReport()
    compare_sheet(
        report,
        file="copy_1/codesheet_6071.txt",
        atop={"atopid": 6071, "begyr": 2014},
        atop_members=[],
        published=PUBLISHED_A,
        published_members=[],
        sheet_atopid=6071,
        alliance_variables=("atopid", "begyr"),
        member_variables=(),
        source_atopid=6070,
    )
    assert [(m.atopid, m.source_atopid, m.variable) for m in report.mismatches] == [(6071, 6070, "begyr")]


# --- the real parser on a slice --------------------------------------------------------------------

# Published rows no sheet can reproduce because they contradict the codebook: 1287 has bilat=0 with
# two members ("BILAT: no more than two members at any point in the current phase").
DATA_INCONSISTENT = {1287}


@pytest.fixture(scope="module")
def slice_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[RoundTripReport, Path]:
    pytest.importorskip("atop_pipeline.codesheets.derive")
    out = tmp_path_factory.mktemp("slice")
    generate_corpus(out, seed=0, limit=50, pdf_share=0.04)
    return roundtrip(out), out


def test_slice_of_50_sheets_parses_without_failures(slice_report) -> None:
    report, out = slice_report
    assert report.files == 50
    assert report.errors == []
    kinds = {row.kind for row in read_manifest(out)}
    assert kinds == {"txt", "pdf"}  # the slice carries at least one PDF through reading and parsing


def test_slice_agrees_fully_with_the_published_rows(slice_report) -> None:
    """100% on every derived variable; published values that contradict the codebook are listed apart."""
    report, _ = slice_report
    assert report.mismatches == []
    assert {(m.source_atopid or m.atopid) for m in report.errata} <= DATA_INCONSISTENT
    assert report.overall == 1.0


def test_the_errata_file_names_exactly_the_known_contradictions() -> None:
    from atop_pipeline.synth.roundtrip import load_errata

    assert load_errata() == {(1287, "bilat"): 1}


def test_an_erratum_excuses_only_the_codebook_value() -> None:
    """A parsed value that is neither the published one nor the codebook's is still a mismatch."""
    common = dict(atop_members=[], published_members=[], sheet_atopid=1287, alliance_variables=["bilat"],
                  member_variables=[], published={"bilat": "0"}, errata={(1287, "bilat"): 1})
    excused, wrong = RoundTripReport(), RoundTripReport()
    compare_sheet(excused, file="a", atop={"bilat": 1}, **common)
    compare_sheet(wrong, file="b", atop={"bilat": None}, **common)
    assert excused.mismatches == [] and len(excused.errata) == 1 and excused.total == {}
    assert [m.variable for m in wrong.mismatches] == ["bilat"] and wrong.errata == []


def test_alliance_level_agreement_on_slice_is_high(slice_report) -> None:
    report, _ = slice_report
    alliance_vars = [v for v in report.total if not v.startswith("member.")]
    agree = sum(report.agree.get(v, 0) for v in alliance_vars)
    total = sum(report.total[v] for v in alliance_vars)
    assert agree / total > 0.97


def test_roundtrip_without_manifest_reads_every_sheet_in_the_folder(tmp_path: Path) -> None:
    pytest.importorskip("atop_pipeline.codesheets.derive")
    generate_corpus(tmp_path, seed=random.Random(0).randint(0, 99), limit=3, pdf_share=0.0)
    (tmp_path / ".manifest.csv").unlink()
    report = roundtrip(tmp_path)
    assert report.files == 3 and report.errors == []
