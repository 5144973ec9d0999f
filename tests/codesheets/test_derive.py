"""Derived ATOP variables equal the published ATOP 5.1 rows, and the codebook's rules hold."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from atop_pipeline.codesheets.derive import ALLIANCE_VARIABLES, MEMBER_VARIABLES, derive_atop
from atop_pipeline.codesheets.model import Codesheet, Member, PartialDate, TerminationClaim
from atop_pipeline.codesheets.parser import parse_text

from tests.conftest import build_sheet, sheet_text_from

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SHEETS = FIXTURES / "sheets"


def _published(value: int | None) -> str:
    return "" if value is None else str(value)


def _parse_fixture(name: str, **kwargs) -> Codesheet:  # type: ignore[no-untyped-def]
    text = (SHEETS / name).read_text(encoding="utf-8")
    return parse_text(sheet_text_from(text, f"sheets/{name}"), **kwargs)


@pytest.fixture(scope="module")
def sheet_6070() -> Codesheet:
    return _parse_fixture("codesheet_6070.txt")


@pytest.fixture(scope="module")
def groundtruth_6070() -> dict:
    return json.loads((FIXTURES / "reference" / "atop_6070_groundtruth.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("variable", [*ALLIANCE_VARIABLES, "mem1", "mem2"])
def test_6070_alliance_variable_equals_published_row(sheet_6070: Codesheet, groundtruth_6070: dict, variable: str) -> None:
    assert _published(sheet_6070.atop[variable]) == groundtruth_6070["alliance_level"][variable]


def test_6070_has_exactly_the_published_members(sheet_6070: Codesheet, groundtruth_6070: dict) -> None:
    published = [row["member"] for row in groundtruth_6070["member_level"]]
    assert [str(r["member"]) for r in sheet_6070.atop_members] == published
    assert "mem3" not in sheet_6070.atop


@pytest.mark.parametrize("variable", MEMBER_VARIABLES)
def test_6070_member_variable_equals_published_rows(sheet_6070: Codesheet, groundtruth_6070: dict, variable: str) -> None:
    mine = {r["member"]: r for r in sheet_6070.atop_members}
    for published in groundtruth_6070["member_level"]:
        assert _published(mine[int(published["member"])][variable]) == published[variable]


VARIANTS = {
    "3275": "variant_3275_baghdad_pact.txt",  # multilateral, accessions, members leaving on different dates
    "4678": "variant_4678_central_america.txt",  # multilateral, accessions 2003 and 2017, indefinite, in effect
    "1370": "variant_1370_reinsurance_treaty.txt",  # secret (pubsecr=2), three-year term, not renewed
    "3505": "variant_3505_uk_malta.txt",  # defense pact, ten-year term, no renewal, terminated, exchange of notes
    "3180": "variant_3180_nato.txt",  # 30 members in running prose, many accessions, one exit
}


@pytest.fixture(scope="module")
def published_rows() -> dict:
    return json.loads((SHEETS / "published_rows.json").read_text(encoding="utf-8"))["alliances"]


@pytest.mark.parametrize("atopid", sorted(VARIANTS))
def test_variant_sheet_alliance_row_equals_published_row(atopid: str, published_rows: dict) -> None:
    sheet = _parse_fixture(VARIANTS[atopid])
    published = published_rows[atopid]["alliance_level"]
    got = {k: _published(sheet.atop.get(k)) for k in published if k != "maxphase"}
    assert got == {k: v for k, v in published.items() if k != "maxphase"}
    assert not any(k.startswith("mem") and k not in published for k in sheet.atop)


@pytest.mark.parametrize("atopid", ["3275", "4678", "1370", "3505"])
def test_variant_sheet_member_rows_equal_published_rows(atopid: str, published_rows: dict) -> None:
    sheet = _parse_fixture(VARIANTS[atopid])
    mine = {str(r["member"]): {k: _published(v) for k, v in r.items()} for r in sheet.atop_members}
    published = {r["member"]: {k: r[k] for k in MEMBER_VARIABLES} for r in published_rows[atopid]["member_level"]}
    assert mine == published


def test_nato_members_enter_on_their_first_phase_and_leave_on_their_last(published_rows: dict) -> None:
    # ATOP splits NATO into phases; the sheet does not, so compare with each member's first entry
    # and last exit across phases.
    sheet = _parse_fixture(VARIANTS["3180"])
    rows = published_rows["3180"]["member_level"]
    mine = {r["member"]: r for r in sheet.atop_members}
    assert sorted(mine) == sorted({int(r["member"]) for r in rows})
    for code in mine:
        phases = sorted((r for r in rows if int(r["member"]) == code), key=lambda r: int(r["phase"]))
        first, last = phases[0], phases[-1]
        assert [_published(mine[code][k]) for k in ("yrent", "moent", "dayent")] == [first[k] for k in ("yrent", "moent", "dayent")]
        assert [_published(mine[code][k]) for k in ("yrexit", "moexit", "dayexit", "ineffect")] == [
            last[k] for k in ("yrexit", "moexit", "dayexit", "ineffect")
        ]


# ---- rules, on hand-built records ------------------------------------------------------------


def _sheet(members: list[Member], claim: TerminationClaim | None) -> Codesheet:
    return Codesheet(
        source_file="x.txt", sha256="0", size=0, encoding="utf-8", kind="txt", atopid=9999,
        members=members, termination=claim,
    )  # fmt: skip


def _d(y: int, m: int | None = None, d: int | None = None) -> PartialDate:
    return PartialDate(y, m, d)


def test_alliance_begins_when_the_second_member_signs() -> None:
    members = [Member(200, "UK", _d(1955, 4, 5), None), Member(640, "Turkey", _d(1955, 2, 24), None), Member(645, "Iraq", _d(1955, 3, 1), None)]
    row, member_rows = derive_atop(_sheet(members, TerminationClaim("in_effect", None, "")), cutoff=dt.date(2018, 12, 31))
    assert (row["begyr"], row["begmo"], row["begday"]) == (1955, 3, 1)
    # The first signatory's entry is the alliance's start, not its own earlier signature.
    turkey = next(r for r in member_rows if r["member"] == 640)
    assert (turkey["yrent"], turkey["moent"], turkey["dayent"]) == (1955, 3, 1)


def test_unknown_signature_day_leaves_begday_missing() -> None:
    members = [Member(200, "UK", _d(1815, 1), None), Member(220, "France", _d(1815, 1), None)]
    row, member_rows = derive_atop(_sheet(members, TerminationClaim("terminated", _d(1815, 2, 8), "")), cutoff=dt.date(2018, 12, 31))
    assert (row["begyr"], row["begmo"], row["begday"]) == (1815, 1, None)
    assert member_rows[0]["dayent"] is None


def test_termination_after_the_cutoff_counts_as_in_effect() -> None:
    members = [Member(2, "USA", _d(1990, 1, 1), _d(2019, 8, 2)), Member(365, "Russia", _d(1990, 1, 1), _d(2019, 8, 2))]
    row, member_rows = derive_atop(_sheet(members, TerminationClaim("terminated", _d(2019, 8, 2), "")), cutoff=dt.date(2018, 12, 31))
    assert (row["ineffect"], row["endyr"], row["endmo"], row["endday"]) == (1, 0, 0, 0)
    assert all((r["ineffect"], r["yrexit"]) == (1, 0) for r in member_rows)


def test_cutoff_is_configurable() -> None:
    members = [Member(2, "USA", _d(1990, 1, 1), _d(2019, 8, 2)), Member(365, "Russia", _d(1990, 1, 1), _d(2019, 8, 2))]
    row, _ = derive_atop(_sheet(members, TerminationClaim("terminated", _d(2019, 8, 2), "")), cutoff=dt.date(2020, 1, 1))
    assert (row["ineffect"], row["endyr"], row["endmo"], row["endday"]) == (0, 2019, 8, 2)


def test_alliance_ends_when_the_last_member_leaves() -> None:
    members = [
        Member(640, "Turkey", _d(1955, 2, 24), _d(1979, 10, 9)),
        Member(645, "Iraq", _d(1955, 2, 24), _d(1959, 3, 24)),
        Member(630, "Iran", _d(1955, 11, 3), _d(1979, 3, 12)),
    ]
    row, _ = derive_atop(_sheet(members, TerminationClaim("terminated", _d(1979, 10, 9), "")), cutoff=dt.date(2018, 12, 31))
    assert (row["ineffect"], row["endyr"], row["endmo"], row["endday"]) == (0, 1979, 10, 9)


def test_bilat_counts_members_at_the_same_time_not_in_total() -> None:
    # Three members, but the third joins after the second has left: never more than two at once.
    members = [
        Member(200, "UK", _d(1900, 1, 1), None),
        Member(220, "France", _d(1900, 1, 1), _d(1910, 1, 1)),
        Member(325, "Italy", _d(1920, 1, 1), None),
    ]
    row, _ = derive_atop(_sheet(members, TerminationClaim("in_effect", None, "")), cutoff=dt.date(2018, 12, 31))
    assert row["bilat"] == 1
    members[2] = Member(325, "Italy", _d(1905, 1, 1), None)
    row, _ = derive_atop(_sheet(members, TerminationClaim("in_effect", None, "")), cutoff=dt.date(2018, 12, 31))
    assert row["bilat"] == 0


def test_unknown_termination_leaves_end_and_ineffect_missing() -> None:
    members = [Member(200, "UK", _d(1900, 1, 1), None), Member(220, "France", _d(1900, 1, 1), None)]
    row, member_rows = derive_atop(_sheet(members, TerminationClaim("unknown", None, "Unknown")), cutoff=dt.date(2018, 12, 31))
    assert (row["ineffect"], row["endyr"], row["endmo"], row["endday"]) == (None, None, None, None)
    assert member_rows[0]["ineffect"] is None


def test_mem_variables_are_sorted_by_ccode_not_sheet_order() -> None:
    members = [Member(705, "Kazakhstan", _d(2013, 11, 11), None), Member(365, "Russia", _d(2013, 11, 11), None), Member(2, "USA", _d(2013, 11, 11), None)]
    row, member_rows = derive_atop(_sheet(members, TerminationClaim("in_effect", None, "")), cutoff=dt.date(2018, 12, 31))
    assert (row["mem1"], row["mem2"], row["mem3"]) == (2, 365, 705)
    assert [r["member"] for r in member_rows] == [2, 365, 705]


def _variables(answers: dict[int, str]) -> dict:
    base = {1: "9001", 3: "May 5, 1990", 4: "France (220)\nItaly (325)", 14: "Still in effect."}
    base.update(answers)
    return parse_text(sheet_text_from(build_sheet(base))).atop


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("Yes.", 0), ("No. Only the United Kingdom undertakes to defend.", 1), ("", None), ("Unclear.", None)],
)
def test_asymm_is_the_inverse_of_the_symmetry_answer(answer: str, expected: int | None) -> None:
    assert _variables({24: answer})["asymm"] == expected


@pytest.mark.parametrize(("answer", "expected"), [("Yes. A joint command.", 1), ("No.", 0), ("", None)])
def test_intcom_comes_from_question_33(answer: str, expected: int | None) -> None:
    assert _variables({33: answer})["intcom"] == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("Treaty", 1), ("Treaty and secondary sources", 1), ("Secondary sources only", 2), ("Langer (1950); secondary sources only.", 2), ("", None)],
)
def test_source_comes_from_question_58(answer: str, expected: int | None) -> None:
    assert _variables({58: answer})["source"] == expected


def test_variables_the_sheet_does_not_determine_are_missing() -> None:
    atop = _variables({6: "", 7: "", 10: "", 11: "", 12: "", 16: "", 24: "", 33: "", 58: ""})
    for name in ("estmode", "pubsecr", "speclgth", "length", "renounce", "proren", "renewlgt", "defense", "asymm", "intcom", "source"):
        assert atop[name] is None, name


def test_member_signing_again_gets_a_second_spell() -> None:
    # SEATO-like: all sign in 1954; the US and Thailand carry on after 1977 (a new phase).
    sheet = parse_text(
        sheet_text_from(
            build_sheet(
                {
                    1: "3260",
                    3: "September 8, 1954: United States of America (2), United Kingdom (200), Thailand (800)\n"
                    "June 30, 1977: United States of America (2), Thailand (800)",
                    4: "United States of America (2)\nUnited Kingdom (200)\nThailand (800)",
                    14: "United States of America (2) — June 30, 1977\nUnited Kingdom (200) — June 30, 1977\n"
                    "Thailand (800) — June 30, 1977\n"
                    "United States of America (2), Thailand (800) — still in effect as of February 13, 2020",
                    16: "Defense pact",
                }
            )
        )
    )
    spells = [(r["member"], r["yrent"], r["yrexit"], r["ineffect"]) for r in sheet.atop_members]
    assert spells == [(2, 1954, 1977, 0), (2, 1977, 0, 1), (200, 1954, 1977, 0), (800, 1954, 1977, 0), (800, 1977, 0, 1)]
    assert (sheet.atop["mem1"], sheet.atop["mem2"], sheet.atop["mem3"]) == (2, 200, 800)
    # ATOP codes alliance-level BILAT for the last phase: two members since 1977.
    assert sheet.atop["bilat"] == 1
    assert (sheet.atop["ineffect"], sheet.atop["endyr"]) == (1, 0)


def test_czechoslovak_successors_keep_a_bilateral_alliance_bilateral() -> None:
    # Codebook footnote 10: after 1/1/93 the Czech and Slovak continuations are phases; BILAT=1.
    sheet = parse_text(
        sheet_text_from(
            build_sheet(
                {
                    1: "3424",
                    3: "27 November 1960: Czechoslovakia (315), Cambodia (811)\n1 January 1993: Czech Republic (316), Slovakia (317), Cambodia (811)",
                    4: "Czechoslovakia (315)\nCambodia (811)\nCzech Republic (316)\nSlovakia (317)",
                    14: "31 December 1992: Czechoslovakia (315), Cambodia (811)\nStill in effect as of 4/26/2020: Czech Republic (316), Slovakia (317), Cambodia (811)",
                    16: "Nonaggression",
                }
            )
        )
    )
    assert sheet.atop["bilat"] == 1
    assert sheet.atop["ineffect"] == 1
    cambodia = [(r["yrent"], r["yrexit"]) for r in sheet.atop_members if r["member"] == 811]
    assert cambodia == [(1960, 1992), (1993, 0)]


def test_termination_without_members_still_gives_the_end_date() -> None:
    row, rows = derive_atop(_sheet([], TerminationClaim("terminated", _d(1955, 5, 5), "")), cutoff=dt.date(2018, 12, 31))
    assert (row["ineffect"], row["endyr"], row["endmo"], row["endday"], row["bilat"]) == (0, 1955, 5, 5, None)
    assert rows == []
