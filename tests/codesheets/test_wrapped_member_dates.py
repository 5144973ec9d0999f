"""Dated member lists (Q3 signature, Q14 termination) wrapped over several lines keep every member's date."""

from __future__ import annotations

from atop_pipeline.codesheets import fields
from atop_pipeline.codesheets.parser import parse_text
from tests.conftest import build_sheet, sheet_text_from

MEMBERS = "France (220)\nItaly (325)\nNorway (385)\nBelgium (211)\nUnited Kingdom (200)"
BASE = {1: "9001", 3: "4 April 1949", 4: MEMBERS, 14: "Still in effect.", 16: "Defense pact", 58: "Treaty", 60: "1/2/2019", 61: "A Coder"}


def _sheet(answers: dict[int, str]):  # type: ignore[no-untyped-def]
    return parse_text(sheet_text_from(build_sheet({**BASE, **answers})))


def _exits(sheet) -> dict[int, str | None]:  # type: ignore[no-untyped-def]
    return {m.ccode: m.exit.iso() if m.exit else None for m in sheet.members}


def _entries(sheet) -> dict[int, str | None]:  # type: ignore[no-untyped-def]
    return {m.ccode: m.entry.iso() if m.entry else None for m in sheet.members}


def test_exit_list_wrapped_between_a_name_and_its_code_keeps_the_date() -> None:
    q14 = "19 June 1951: France (220), Italy (325), Norway\n(385), Belgium (211)\n3 October 1990: United Kingdom (200)"
    assert _exits(_sheet({14: q14})) == {220: "1951-06-19", 325: "1951-06-19", 385: "1951-06-19", 211: "1951-06-19", 200: "1990-10-03"}


def test_exit_list_wrapped_after_a_code_without_a_comma_keeps_the_date() -> None:
    q14 = "19 June 1951: France (220), Italy (325)\nNorway (385) Belgium (211)\n3 October 1990: United Kingdom (200)"
    assert _exits(_sheet({14: q14}))[385] == "1951-06-19"
    assert _exits(_sheet({14: q14}))[211] == "1951-06-19"


def test_signature_list_wrapped_inside_a_name_keeps_the_date() -> None:
    q3 = "April 22, 1978: France (220), Italy (325), Norway (385), United\nKingdom (200)\nOctober 23, 1987: Belgium (211)"
    assert _entries(_sheet({3: q3})) == {220: "1978-04-22", 325: "1978-04-22", 385: "1978-04-22", 200: "1978-04-22", 211: "1987-10-23"}


def test_signature_list_wrapped_at_a_code_keeps_every_date() -> None:
    q3 = "April 22, 1978: France (220), Italy (325), Norway (385), Belgium\n(211)\nOctober 23, 1987: United Kingdom (200)"
    entries = _entries(_sheet({3: q3}))
    assert entries[211] == "1978-04-22" and entries[200] == "1987-10-23"


def test_date_on_its_own_line_with_the_members_on_the_next() -> None:
    q14 = "19 June 1951\nFrance (220), Italy (325), Norway (385)\nStill in effect as of 12/7/2019: Belgium (211), United Kingdom (200)"
    assert _exits(_sheet({14: q14})) == {220: "1951-06-19", 325: "1951-06-19", 385: "1951-06-19", 211: None, 200: None}


def test_still_in_effect_list_wrapped_at_a_code_stops_at_the_source_line() -> None:
    q14 = (
        "19 June 1951: France (220), Italy (325), Norway (385)\n"
        "Still in effect as of 12/7/2019: Belgium (211), United Kingdom\n(200)\nSource: https://example.org/1951/treaty"
    )
    sheet = _sheet({14: q14})
    assert _exits(sheet)[211] is None and _exits(sheet)[200] is None
    assert sheet.termination is not None and sheet.termination.kind == "in_effect"
    assert not any("200" in w for w in sheet.warnings)


def test_name_first_line_with_its_code_on_the_next_line() -> None:
    q3 = "France (220) — 4 April 1949\nBelgium\n(211) — 5 May 1950\nItaly (325) — 4 April 1949\nNorway (385) — 4 April 1949\nUnited Kingdom (200) — 4 April 1949"
    assert _entries(_sheet({3: q3}))[211] == "1950-05-05"


def test_members_on_an_undated_line_between_name_first_lines_are_a_warning() -> None:
    # "France (220) — date" lines: an undated "Italy (325)" may belong to the line before or after.
    q14 = "France (220) — 19 June 1951\nItaly (325)\nNorway (385) — 3 October 1990"
    sheet = _sheet({14: q14})
    assert any("question 14" in w and "325" in w for w in sheet.warnings)


def test_member_list_rejoins_a_name_split_from_its_code() -> None:
    mentions = fields.parse_members("France (220), United\nKingdom (200), Belgium\n(211), Italy (325)")
    assert [(m.ccode, m.name) for m in mentions] == [(220, "France"), (200, "United Kingdom"), (211, "Belgium"), (325, "Italy")]


def test_prose_member_list_drops_the_leading_verb_from_the_first_name() -> None:
    mentions = fields.parse_members("The members are Hesse Grand Ducal (275) and Prussia (255).")
    assert [(m.ccode, m.name) for m in mentions] == [(275, "Hesse Grand Ducal"), (255, "Prussia")]


def test_member_marked_in_effect_without_a_date_is_not_a_lost_date_warning() -> None:
    q14 = "France (220): 19 June 1951\nItaly (325): still in effect"
    sheet = _sheet({14: q14})
    assert _exits(sheet)[325] is None
    assert not any("325" in w and "without a date" in w for w in sheet.warnings)


def test_blank_line_ends_a_dated_list_and_the_stray_members_are_a_warning() -> None:
    q14 = "19 June 1951: France (220), Italy (325)\n\nNorway (385)"
    sheet = _sheet({14: q14})
    assert _exits(sheet)[220] == "1951-06-19" and _exits(sheet)[385] is None
    assert any("question 14" in w and "385" in w for w in sheet.warnings)


def test_ratification_line_after_a_dated_signature_group_is_not_joined_to_it() -> None:
    q3 = "4 April 1949: France (220), Italy (325)\nratified by Norway (385) later\n5 May 1950: Norway (385), Belgium (211), United Kingdom (200)"
    entries = _entries(_sheet({3: q3}))
    assert entries[220] == "1949-04-04" and entries[385] == "1950-05-05"


def test_name_first_line_with_its_date_on_the_next_line() -> None:
    q3 = "France (220) —\n4 April 1949\nBelgium (211) —\n5 May 1950\nItaly (325), Norway (385), United Kingdom (200) — 4 April 1949"
    sheet = _sheet({3: q3})
    assert _entries(sheet)[220] == "1949-04-04" and _entries(sheet)[211] == "1950-05-05"
    assert not any("without a date" in w for w in sheet.warnings)
