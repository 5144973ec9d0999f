"""Absurd values and mixed encodings are refused or flagged, never read silently (issue 7 gaps)."""

from __future__ import annotations

from pathlib import Path

import pytest

from atop_pipeline.codesheets import fields
from atop_pipeline.codesheets.parser import NotACodesheetError, parse_bytes
from atop_pipeline.codesheets.reading import read_sheet

SHEET_6070 = Path(__file__).parents[1] / "fixtures" / "sheets" / "codesheet_6070.txt"
TERM = "concluded for a period of 5 years"


def _sheet(old: str | None = None, new: str | None = None) -> str:
    text = SHEET_6070.read_text(encoding="utf-8")
    if old is not None:
        replaced = text.replace(old, new or "", 1)
        assert replaced != text, f"fixture no longer contains {old!r}"
        return replaced
    return text


# --- durations --------------------------------------------------------------------------------


def test_negative_duration_is_refused_with_its_reason() -> None:
    assert fields.find_durations("for a period of -5 years") == []
    [bad] = fields.rejected_durations("for a period of -5 years")
    assert (bad.text, bad.reason) == ("-5 years", "negative")


def test_unicode_minus_sign_is_negative_too() -> None:
    assert [b.reason for b in fields.rejected_durations("a term of −5 years")] == ["negative"]


@pytest.mark.parametrize(("text", "months"), [("2-3 years", 36), ("five-year periods", 60), ("10 years", 120)])
def test_hyphens_in_ranges_and_compounds_are_not_minus_signs(text: str, months: int) -> None:
    assert [d.months for d in fields.find_durations(text)] == [months]
    assert fields.rejected_durations(text) == []


def test_duration_over_a_century_is_refused() -> None:
    assert fields.find_durations("for 5000 years") == []
    [bad] = fields.rejected_durations("for 5000 years")
    assert bad.reason.startswith("longer than 100 years")


def test_a_century_is_still_a_term() -> None:
    assert [d.months for d in fields.find_durations("for 100 years")] == [1200]


def test_a_refused_first_term_leaves_the_length_unknown_not_the_next_number() -> None:
    text = "concluded for a period of -5 years, automatically extended for subsequent five-year periods"
    assert fields.term_of_treaty(text) == (1, None)


def test_a_refused_renewal_term_leaves_the_renewal_length_unknown() -> None:
    proren, renewal, _ = fields.renewal_terms("It shall be automatically extended for subsequent -5 year periods.")
    assert (proren, renewal) == (2, None)


def test_sheet_with_negative_term_warns_naming_question_and_text() -> None:
    sheet = parse_bytes(_sheet(TERM, "concluded for a period of -5 years").encode(), "negative_term.txt")
    warnings = [w for w in sheet.warnings if "-5 years" in w]
    assert warnings and warnings[0].startswith("question 10:") and "negative" in warnings[0]
    assert sheet.duration is not None and sheet.duration.length_months is None
    assert sheet.atop["length"] is None


def test_sheet_with_absurd_term_warns() -> None:
    sheet = parse_bytes(_sheet(TERM, "concluded for a period of 5000 years").encode(), "long_term.txt")
    assert any(w.startswith("question 10:") and "5000 years" in w and "100 years" in w for w in sheet.warnings)
    assert sheet.atop["length"] is None


def test_plain_term_has_no_duration_warning() -> None:
    sheet = parse_bytes(_sheet().encode(), "codesheet_6070.txt")
    assert sheet.duration is not None and sheet.duration.length_months == 60
    assert not any("length of time" in w for w in sheet.warnings)


# --- ATOP IDs ---------------------------------------------------------------------------------


def _atopid_error(value: str) -> NotACodesheetError:
    data = _sheet("1. ATOP ID: 6070", f"1. ATOP ID: {value}").encode()
    with pytest.raises(NotACodesheetError) as caught:
        parse_bytes(data, "sheets/odd.txt")
    return caught.value


def test_absurd_atopid_names_the_value_and_why() -> None:
    error = _atopid_error("99999999999999999999").error
    assert error.error == "no_atop_id" and error.stage == "parse" and error.question == 1
    assert error.value == "99999999999999999999"
    assert "'99999999999999999999'" in error.message and "has 20 digits" in error.message
    assert "1000 to 7999" in error.message
    assert "no ATOP ID" not in error.message


def test_negative_atopid_names_the_value_and_why() -> None:
    error = _atopid_error("-12").error
    assert error.value == "-12"
    assert "'-12'" in error.message and "negative" in error.message


def test_negative_four_digit_atopid_is_not_taken_as_positive() -> None:
    error = _atopid_error("-6070").error
    assert error.error == "no_atop_id" and error.value == "-6070"


def test_short_atopid_names_its_digit_count() -> None:
    assert "has 2 digits" in _atopid_error("12").error.message


def test_missing_atopid_still_says_no_atop_id() -> None:
    assert "no ATOP ID (question 1)" in _atopid_error("N/A").error.message


# --- mixed encodings --------------------------------------------------------------------------


def _half_utf8_half_cp1251() -> bytes:
    text = _sheet()
    head, tail = text[: len(text) // 2], text[len(text) // 2 :]
    tail = tail.replace("Coder: Nicholas Coulombe", "Coder: Николай Кулумб")
    return head.encode("utf-8") + tail.encode("cp1251", errors="replace")


def test_half_utf8_half_cp1251_is_decoded_part_by_part() -> None:
    sheet = read_sheet(_half_utf8_half_cp1251(), "mixed.txt")
    assert "вЂ" not in sheet.text  # the UTF-8 curly quotes are not mojibake
    assert "Николай Кулумб" in sheet.text
    assert "“" in sheet.text


def test_mixed_encodings_warning_names_the_codec_and_lines() -> None:
    sheet = read_sheet(_half_utf8_half_cp1251(), "mixed.txt")
    [warning] = sheet.warnings
    assert warning.startswith("mixed encodings:") and "cp1251" in warning and "source line(s)" in warning


def test_mixed_encodings_warning_reaches_the_parsed_sheet() -> None:
    sheet = parse_bytes(_half_utf8_half_cp1251(), "mixed.txt")
    assert sheet.atopid == 6070
    assert any(w.startswith("mixed encodings:") and "cp1251" in w for w in sheet.warnings)
    assert "Николай Кулумб" in sheet.coders


def test_a_utf8_file_with_one_stray_cp1252_line_warns() -> None:
    data = "Line “one”\nLine — two\nCaf".encode() + b"\xe9 three\n"
    sheet = read_sheet(data, "stray.txt")
    assert sheet.notes[0] == "line 3 decoded as cp1252"
    assert sheet.warnings == (
        "mixed encodings: 1 line(s) are not valid UTF-8 and were decoded as cp1252 (source line(s) 3); "
        "the other 2 non-ASCII line(s) are UTF-8",
    )


def test_a_wholly_cp1251_file_has_no_mixed_warning() -> None:
    sheet = read_sheet("Статья 1 — “Договор”\nДа.\n".encode("cp1251"), "ru.txt")
    assert sheet.encoding == "cp1251"
    assert sheet.warnings == ()


def test_a_clean_utf8_sheet_has_no_reading_warning() -> None:
    assert read_sheet(_sheet().encode("utf-8"), "codesheet_6070.txt").warnings == ()


def test_bytes_no_code_page_defines_are_a_warning() -> None:
    sheet = read_sheet("Статья первая, Договор о союзе".encode("cp1251") + b" \x98\n", "ru.txt")
    assert sheet.encoding == "cp1251"
    assert sheet.warnings == ("1 byte(s) not defined in cp1251 were replaced by U+FFFD (text lost)",)


def test_mixed_encoding_warning_lists_runs_of_lines_as_ranges() -> None:
    utf8 = "“quoted” — dash\n".encode() * 3
    legacy = "Статья первая — “Договор”\n".encode("cp1251") * 4
    sheet = read_sheet(utf8 + legacy + b"plain\n" + "Договор".encode("cp1251") + b"\n", "mixed.txt")
    [warning] = sheet.warnings
    assert "(source line(s) 4-7, 9)" in warning and "cp1251" in warning


def test_a_rejected_q1_with_the_id_stated_above_it_loads_with_a_warning() -> None:
    text = "ATOP Coding Sheet - ATOP ID 6070\n" + _sheet("1. ATOP ID: 6070", "1. ATOP ID: 99999")
    sheet = parse_bytes(text.encode(), "titled.txt")
    assert sheet.atopid == 6070
    assert any(w.startswith("question 1: '99999' is not an ATOP ID (it has 5 digits)") for w in sheet.warnings)
