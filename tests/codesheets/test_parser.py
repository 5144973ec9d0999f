"""Locating the 61 questions and their answers: alignment against the template, layouts, quirks."""

from __future__ import annotations

from pathlib import Path

import pytest

from atop_pipeline.codesheets.model import Codesheet
from atop_pipeline.codesheets.parser import (
    PARSER_VERSION,
    NotACodesheetError,
    answer_flag,
    parse_text,
    peek_atopid,
    template,
)
from tests.conftest import build_sheet, sheet_text_from

SHEETS = Path(__file__).resolve().parents[1] / "fixtures" / "sheets"

BASE = {1: "9001", 3: "May 5, 1990", 4: "France (220)\nItaly (325)", 14: "Still in effect.", 16: "Defense pact", 17: "N/A", 28: "", 43: "", 58: "Treaty", 60: "1/2/2019", 61: "A Coder"}


def _parse(text: str) -> Codesheet:
    return parse_text(sheet_text_from(text))


def _sheet(answers: dict[int, str] | None = None, **layout) -> Codesheet:  # type: ignore[no-untyped-def]
    return _parse(build_sheet({**BASE, **(answers or {})}, **layout))


@pytest.fixture(scope="module")
def sheet_6070() -> Codesheet:
    return _parse((SHEETS / "codesheet_6070.txt").read_text(encoding="utf-8"))


def test_template_has_61_questions_in_five_sections() -> None:
    tpl = template()
    assert sorted(tpl.questions) == list(range(1, 62))
    assert [tpl.questions[n].section for n in (1, 15, 16, 28, 29, 43, 44, 56, 57, 61)] == ["I", "I", "II", "II", "III", "III", "IV", "IV", "V", "V"]


def test_6070_finds_all_61_questions_in_order_without_warnings(sheet_6070: Codesheet) -> None:
    assert [a.number for a in sheet_6070.answers] == list(range(1, 62))
    assert sheet_6070.warnings == []
    assert sheet_6070.atopid == 6070
    assert sheet_6070.parser_version == PARSER_VERSION


def test_6070_answer_line_spans_point_into_the_source(sheet_6070: Codesheet) -> None:
    q14 = sheet_6070.answer(14)
    assert (q14.line_start, q14.line_end) == (51, 56)
    assert (sheet_6070.answer(1).line_start, sheet_6070.answer(1).line_end) == (2, 2)
    assert (sheet_6070.answer(61).line_start, sheet_6070.answer(61).line_end) == (293, 293)


def test_answer_on_the_question_line_is_split_after_the_printed_question(sheet_6070: Codesheet) -> None:
    assert sheet_6070.answer(1).answer_text == "6070"
    assert sheet_6070.answer(2).answer_text == "N/A"
    assert sheet_6070.answer(57).question_text == "Additional coder comments on this alliance treaty:"
    assert sheet_6070.answer(57).answer_text.startswith("Coded based on Google translation")


def test_question_text_wrapped_over_lines_is_recognised_to_its_end(sheet_6070: Codesheet) -> None:
    q6 = sheet_6070.answer(6)
    assert q6.question_text.endswith("(Only select “treaty” if the agreement requires ratification.)")
    assert q6.answer_text == "Treaty"
    assert sheet_6070.answer(23).answer_text == "No."


def test_typo_in_question_text_does_not_break_the_question(sheet_6070: Codesheet) -> None:
    q20 = sheet_6070.answer(20)
    assert "#109" in q20.question_text
    assert q20.answer_text == "N/A"


def test_comma_after_the_question_number_is_accepted(sheet_6070: Codesheet) -> None:
    assert sheet_6070.answer(44).answer_text == "No."
    assert sheet_6070.answer(45).line_start == 195


def test_empty_answer_followed_directly_by_a_section_header(sheet_6070: Codesheet) -> None:
    q28 = sheet_6070.answer(28)
    assert (q28.answer_text, q28.flag) == ("", "empty")
    assert sheet_6070.answer(43).answer_text == ""
    assert sheet_6070.answer(29).section == "III"


def test_answer_ends_before_a_section_header_on_the_next_line(sheet_6070: Codesheet) -> None:
    assert "SECTION" not in sheet_6070.answer(56).answer_text
    assert sheet_6070.answer(56).answer_text.endswith("non-interference in internal affairs.”")


def test_sections_come_from_the_template(sheet_6070: Codesheet) -> None:
    sections = {a.number: a.section for a in sheet_6070.answers}
    assert sections[15] == "I" and sections[16] == "II" and sections[44] == "IV" and sections[57] == "V"


@pytest.mark.parametrize("number_format", ["{n}. ", "{n}) ", "{n}, ", "{n}.", "{n} ", "{n}", "Q{n}. ", "{n}: "])
def test_question_number_styles(number_format: str) -> None:
    sheet = _sheet({7: "Public.", 10: "Yes. For a period of 5 years."}, number_format=number_format)
    assert len(sheet.answers) == 61
    assert sheet.answer(7).answer_text == "Public."
    assert sheet.atop["length"] == 60


@pytest.mark.parametrize("wrap", [40, 55, 90])
def test_question_text_in_any_line_wrapping(wrap: int) -> None:
    sheet = _sheet({10: "Yes. For a period of ten years.", 24: "No."}, wrap=wrap)
    assert len(sheet.answers) == 61 and not sheet.warnings
    assert sheet.answer(10).answer_text == "Yes. For a period of ten years."
    assert sheet.atop["asymm"] == 1


def test_whole_answers_on_the_question_line() -> None:
    sheet = _sheet({5: "No.", 7: "Secret.", 24: "Yes."}, inline=set(range(1, 62)), wrap=None)
    assert sheet.answer(7).answer_text == "Secret."
    assert sheet.answer(5).flag == "no"
    assert sheet.atop["pubsecr"] == 2


def test_answer_on_the_question_line_after_a_question_missing_its_tail() -> None:
    # The coder deleted "If Yes, describe." and answered on the same line: "Yes" stays the answer.
    text = build_sheet(BASE)
    lines = text.split("\n")
    i = next(k for k, ln in enumerate(lines) if ln.startswith("10. "))
    lines[i] = "10. Are there specific provisions in the treaty concerning the length of time the treaty is to last? (Yes, No) Yes. Five years."
    lines[i + 1] = ""
    sheet = _parse("\n".join(lines))
    assert sheet.answer(10).answer_text == "Yes. Five years."
    assert sheet.atop["length"] == 60


@pytest.mark.parametrize(
    "header_format",
    ["SECTION {numeral}: {title}", "Section {arabic} - {title}", "SECTION {numeral}", "section {numeral}: {title}", "SECTION {arabic}. {title}"],
)
def test_section_header_styles_end_answers(header_format: str) -> None:
    sheet = _sheet({15: "N/A.", 28: ""}, section_format=header_format)
    assert sheet.answer(15).answer_text == "N/A."
    assert sheet.answer(28).answer_text == ""
    assert not sheet.warnings


def test_section_header_glued_to_the_end_of_an_answer_line() -> None:
    text = build_sheet({**BASE, 56: "Yes. Mutual non-intervention (CSTO)."}).replace(
        "Yes. Mutual non-intervention (CSTO).\n\nSECTION V: DOCUMENTATION", "Yes. Mutual non-intervention (CSTO). SECTION V: DOCUMENTATION"
    )
    assert "(CSTO). SECTION V" in text
    sheet = _parse(text)
    assert sheet.answer(56).answer_text == "Yes. Mutual non-intervention (CSTO)."
    assert len(sheet.answers) == 61


def test_extra_blank_lines_and_page_headers_left_in() -> None:
    text = build_sheet({**BASE, 15: "Not applicable."}, blank_lines=3)
    text = text.replace("16. Type of alliance", "Page 3 of 7\nATOP Codesheet 9001 — page 3\n\n16. Type of alliance")
    sheet = _parse(text)
    assert len(sheet.answers) == 61
    assert sheet.answer(15).answer_text == "Not applicable."


def test_answer_with_a_numbered_list_and_a_year_alone_on_a_line() -> None:
    answers = {
        3: "Signed in two stages:\n1815.\n2. Russia: November 11, 2013\n3) Kazakhstan (705): November 11, 2013",
        4: "Kazakhstan (705)\nRussia (365)",
        18: "1. Article 5 — “An attack on one is an attack on all.”\n2013.\n19) Article 19: \"Consultation.\"\n20. Article 20",
        19: "No.",
    }
    sheet = _sheet(answers)
    assert [a.number for a in sheet.answers] == list(range(1, 62))
    assert sheet.answer(18).answer_text.endswith("20. Article 20")
    assert sheet.answer(19).answer_text == "No."
    assert sheet.answer(3).answer_text.startswith("Signed in two stages:\n1815.")


def test_question_with_garbled_number_is_recognised_by_its_text() -> None:
    text = build_sheet({**BASE, 7: "Public."}).replace("7. Was the treaty public", "7a Was the treaty public").replace(
        "9. Are specific state(s)", "Are specific state(s)"
    )
    sheet = _parse(text)
    assert [a.number for a in sheet.answers] == list(range(1, 62))
    assert sheet.answer(7).answer_text == "Public."


def test_missing_question_is_a_warning_not_a_crash() -> None:
    sheet = _sheet({}, omit={17, 30, 31, 32})
    assert [a.number for a in sheet.answers if a.number in (17, 30, 31, 32)] == []
    assert "questions not found: 17, 30-32" in sheet.warnings


def test_duplicated_question_is_a_warning_and_the_first_is_used() -> None:
    text = build_sheet({**BASE, 12: "No."})
    text = text.replace("13. Number of times", "12. Are there specific provisions in the treaty concerning renewal of the treaty? (Yes, No)\nYes.\n\n13. Number of times")
    sheet = _parse(text)
    assert sheet.answer(12).answer_text == "No."
    assert any("question 12 appears more than once" in w for w in sheet.warnings)


def test_header_in_the_wrong_place_is_a_warning() -> None:
    text = build_sheet(BASE).replace("SECTION III: INSTITUTIONALIZATION OF THE ALLIANCE", "SECTION IV: TREATY CONTEXT")
    sheet = _parse(text)
    assert any("SECTION IV is followed by question 29" in w for w in sheet.warnings)


def test_template_header_block_before_question_1_is_ignored() -> None:
    preamble = "ALLIANCE TREATY OBLIGATIONS AND PROVISIONS (ATOP)\nCODING SHEET\nVersion 8.0; August, 2000\n"
    sheet = _sheet({}, preamble=preamble)
    assert sheet.answer(1).answer_text == "9001"
    assert not sheet.warnings


def test_text_without_questions_is_not_a_codesheet() -> None:
    with pytest.raises(NotACodesheetError) as info:
        parse_text(sheet_text_from("Minutes of the meeting\n1. Budget\n2. Coffee\n3. Codesheets", "sheets/x.txt"))
    err = info.value.error
    assert (err.stage, err.error, err.source_file) == ("parse", "no_atop_id", "sheets/x.txt")
    assert err.message == "sheets/x.txt: not an ATOP codesheet: no ATOP ID (question 1) and only 3 of 61 questions found"


def test_sheet_with_an_id_but_most_questions_missing_is_not_a_codesheet() -> None:
    with pytest.raises(NotACodesheetError) as info:
        _sheet({}, omit=set(range(20, 62)))
    assert info.value.error.error == "too_few_questions"
    assert "only 19 of 61 questions found" in info.value.error.message


def test_sheet_without_an_atop_id_is_not_a_codesheet() -> None:
    with pytest.raises(NotACodesheetError) as info:
        _sheet({1: ""})
    assert info.value.error.error == "no_atop_id"
    assert "no ATOP ID (question 1)" in str(info.value)


@pytest.mark.parametrize(
    ("answer", "flag"),
    [
        ("Yes.", "yes"), ("Yes —", "yes"), ("yes, see below", "yes"), ("No.", "no"), ("None", "no"),
        ("N/A", "n/a"), ("N/A.", "n/a"), ("n/a", "n/a"), ("Not applicable", "n/a"), ("Unknown", "unknown"),
        ("Unclear from the sources", "unknown"), ("Zero.", "other"), ("Treaty", "other"), ("", "empty"),
        ("Nonaggression Pact", "other"), ("Nothing", "other"),
    ],
)  # fmt: skip
def test_answer_flag_from_the_leading_word(answer: str, flag: str) -> None:
    assert answer_flag(answer) == flag


def test_peek_atopid_reads_the_id_cheaply() -> None:
    data = (SHEETS / "codesheet_6070.txt").read_bytes()
    assert peek_atopid(data, "x.txt") == 6070
    assert peek_atopid("1. ATOP ID: 3180\n".encode("utf-16"), "x.txt") == 3180
    assert peek_atopid(b"hello", "x.txt") is None
    assert peek_atopid(b"%PDF-1.4 garbage", "x.pdf") is None


def test_parsing_is_deterministic(sheet_6070: Codesheet) -> None:
    again = _parse((SHEETS / "codesheet_6070.txt").read_text(encoding="utf-8"))
    assert again.to_json() == sheet_6070.to_json()


def test_mangled_sheets_never_crash_the_parser() -> None:
    # Deleted, duplicated, swapped and garbled lines: a Codesheet with warnings, or
    # NotACodesheetError, never any other exception.
    import random

    texts = [p.read_text(encoding="utf-8") for p in sorted(SHEETS.glob("*.txt"))]
    rng = random.Random(20181231)
    alphabet = "0123456789.,;:()[]—–-“”\"' abcXYZ/\t"
    outcomes = {"parsed": 0, "not_a_codesheet": 0}
    for _ in range(150):
        lines = rng.choice(texts).split("\n")
        for _ in range(rng.randint(1, 30)):
            i, op = rng.randrange(len(lines)), rng.random()
            if op < 0.25:
                del lines[i]
            elif op < 0.45:
                lines.insert(i, lines[rng.randrange(len(lines))])
            elif op < 0.65:
                lines[i] = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
            else:
                j = rng.randrange(len(lines))
                lines[i], lines[j] = lines[j], lines[i]
        try:
            parse_text(sheet_text_from("\n".join(lines)))
            outcomes["parsed"] += 1
        except NotACodesheetError:
            outcomes["not_a_codesheet"] += 1
    assert outcomes["parsed"] > 100


@pytest.mark.parametrize(
    ("space", "codec"),
    [("\u00a0", "utf-8"), ("\u202f", "utf-8"), (" \u00a0 ", "utf-8"), ("\u00a0", "cp1252"), (" \u00a0 ", "cp1252")],
)
def test_peek_atopid_sees_through_non_breaking_spaces(space: str, codec: str) -> None:
    data = f"SECTION I\n1. ATOP ID:{space}1015\n2. COW Alliance #: N/A\n".encode(codec)
    assert peek_atopid(data, "x.txt") == 1015
