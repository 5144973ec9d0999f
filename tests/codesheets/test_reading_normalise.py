"""Normalisation: line endings, unicode clean-up, page numbers, running headers, the line-number map."""

from __future__ import annotations

from pathlib import Path

import pytest

from atop_pipeline.codesheets.reading import normalise_lines, read_sheet

FIXTURES = Path(__file__).parents[1] / "fixtures" / "reading"


def _read(text: str) -> tuple[tuple[str, ...], tuple[int, ...], tuple[str, ...]]:
    sheet = read_sheet(text.encode("utf-8"), "s.txt")
    return sheet.lines, sheet.line_numbers, sheet.notes


def _answers(n: int, start: int = 1) -> list[str]:
    """Question/answer line pairs, like a sheet body."""
    out: list[str] = []
    for q in range(start, start + n):
        out += [f"{q}. Question number {q} about the treaty?", f"Answer to {q}.", ""]
    return out


# -- the real sheet ---------------------------------------------------------------------------------


def test_real_sheet_6070_reads_unchanged_except_trailing_whitespace() -> None:
    data = (FIXTURES / "codesheet_6070.txt").read_bytes()
    source_lines = data.decode("utf-8").split("\n")
    sheet = read_sheet(data, "codesheet_6070.txt")
    assert sheet.encoding == "utf-8"
    assert sheet.lines == tuple(line.rstrip() for line in source_lines)
    assert sheet.line_numbers == tuple(range(1, len(source_lines) + 1))
    assert sheet.notes == ()


def test_real_sheet_6070_keeps_its_bare_number_and_short_answers() -> None:
    data = (FIXTURES / "codesheet_6070.txt").read_bytes()
    # The same sheet as PDF text would be split into pages; the answers must still survive.
    text = data.decode("utf-8").replace("1. ATOP ID: 6070", "1. ATOP ID:\n6070")
    lines, _, _ = _read(text)
    assert lines[1:3] == ("1. ATOP ID:", "6070")
    assert "Zero." in lines


# -- line endings and characters -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lines", "numbers"),
    [
        pytest.param("a\r\nb\r\nc\r\n", ("a", "b", "c"), (1, 2, 3), id="crlf"),
        pytest.param("a\rb\rc", ("a", "b", "c"), (1, 2, 3), id="lone-cr"),
        pytest.param("a\r\n\r\nb", ("a", "", "b"), (1, 2, 3), id="blank-line-kept"),
        pytest.param("a   \nb\t \n", ("a", "b"), (1, 2), id="trailing-whitespace"),
        pytest.param("  indented\n", ("  indented",), (1,), id="leading-whitespace-kept"),
        pytest.param("a\fb\n", ("a", "b"), (1, 1), id="form-feed-splits-line"),
        pytest.param("a\n\f\nb\n", ("a", "b"), (1, 3), id="form-feed-line-dropped"),
        pytest.param("a\u2028b\n", ("a", "b"), (1, 1), id="unicode-line-separator"),
    ],
)
def test_line_breaks_and_line_number_map(text: str, lines: tuple[str, ...], numbers: tuple[int, ...]) -> None:
    got_lines, got_numbers, _ = normalise_lines(text)
    assert got_lines == lines
    assert got_numbers == numbers


@pytest.mark.parametrize(
    ("text", "expected", "note"),
    [
        pytest.param("a\u00a0b\u202fc\u2009d\u3000e", "a b c d e", "4 non-breaking/unicode space(s)", id="unicode-spaces"),
        pytest.param("renun\u00adciation", "renunciation", "1 soft hyphen(s) removed", id="soft-hyphen"),
        pytest.param("tre\u200baty\u200d\ufeff", "treaty", "3 zero-width character(s) removed", id="zero-width"),
        pytest.param("\ufb01nal \ufb02ag e\ufb00ect o\ufb03ce ba\ufb04e \ufb05op \ufb06", "final flag effect office baffle stop st", "7 ligature(s) expanded", id="ligatures"),
    ],
)
def test_unicode_artefacts_are_cleaned_with_a_note(text: str, expected: str, note: str) -> None:
    lines, _, notes = normalise_lines(text)
    assert lines == (expected,)
    assert any(n.startswith(note) for n in notes)


def test_curly_quotes_dashes_and_other_compatibility_characters_are_not_normalised() -> None:
    text = "Section 30 — “Agreement” ‘x’ – ½ ™ ² … №"
    assert normalise_lines(text)[0] == (text,)


# -- page numbers -----------------------------------------------------------------------------------


def _pages(*bodies: list[str]) -> str:
    return "\n\f\n".join("\n".join(b) for b in bodies)


@pytest.mark.parametrize(
    "footer",
    ["{n}", "- {n} -", "— {n} —", "Page {n}", "page {n}", "Page {n} of 3", "{n} of 3", "{n}/3"],
)
def test_page_number_lines_next_to_form_feeds_are_removed(footer: str) -> None:
    text = _pages(*[[*_answers(5, 5 * p + 1), footer.format(n=p + 1)] for p in range(3)])
    lines, numbers, notes = normalise_lines(text)
    assert not any(line.strip() in {footer.format(n=n) for n in (1, 2, 3)} for line in lines)
    assert len(lines) == 3 * 15
    assert any(note.startswith("removed 3 page-number line(s)") for note in notes)


def test_page_numbers_at_the_top_of_pages_after_blank_lines_are_removed() -> None:
    # How pypdf extracts the ATOP codebook: " ", " ", "59 ", then the page.
    text = _pages(*[[" ", " ", f"{59 + p} ", *_answers(4, 4 * p + 1)] for p in range(3)])
    lines, _, _ = normalise_lines(text)
    assert not {"59", "60", "61"} & {line.strip() for line in lines}


def test_page_number_sequence_without_form_feeds_is_removed() -> None:
    # Text copied out of a PDF: the page breaks are gone, the numbers remain, a page apart.
    body: list[str] = []
    for p in range(4):
        body += [*_answers(4, 4 * p + 1), str(p + 1)]
    lines, numbers, notes = normalise_lines("\n".join(body))
    assert [line for line in lines if line.isdigit()] == []
    assert numbers[-1] == len(body) - 1  # the mapping skips the removed lines
    assert notes == ("removed 4 page-number line(s) (source lines 13, 26, 39, 52)",)


@pytest.mark.parametrize(
    "answer",
    ["6070", "Zero", "2013", "3", "1", "7/2020", "2 of 5"],
)
def test_a_lone_bare_answer_is_never_taken_for_a_page_number(answer: str) -> None:
    text = "\n".join(["1. ATOP ID:", answer, "", *_answers(10, 2)])
    lines, _, notes = normalise_lines(text)
    assert lines[1] == answer
    assert notes == ()


def test_an_answer_at_a_page_edge_that_breaks_the_page_sequence_is_kept() -> None:
    pages = [[*_answers(4, 4 * p + 1), str(p + 1)] for p in range(3)]
    pages[1].insert(0, "5")  # page 2 starts with an answer "5" (the number of renewals, say)
    lines, _, _ = normalise_lines(_pages(*pages))
    assert "5" in lines
    assert not {"1", "2", "3"} & set(lines)


def test_consecutive_cow_codes_on_adjacent_lines_are_not_page_numbers() -> None:
    text = "\n".join(["4. Members of alliance (use COW country codes):", "366", "367", "368", "", *_answers(5, 5)])
    lines, _, notes = normalise_lines(text)
    assert lines[1:4] == ("366", "367", "368")
    assert notes == ()


def test_two_bare_numbers_far_apart_are_not_a_page_sequence() -> None:
    body = ["13. Number of times alliance renewed:", "4", *_answers(8, 14), "60. Revision:", "5", *_answers(5, 61)]
    lines, _, _ = normalise_lines("\n".join(body))
    assert "4" in lines and "5" in lines


def test_page_n_of_m_is_removed_even_without_corroboration() -> None:
    lines, _, _ = normalise_lines("\n".join([*_answers(3), "Page 1 of 1"]))
    assert "Page 1 of 1" not in lines


# -- running headers and footers --------------------------------------------------------------------


def test_running_header_and_footer_on_every_page_are_removed() -> None:
    pages = [
        ["ATOP codesheet 6070 – Kazakhstan/Russia", *_answers(5, 5 * p + 1), f"Draft of 7 July 2020, p. {p + 1}"]
        for p in range(4)
    ]
    lines, _, notes = normalise_lines(_pages(*pages))
    assert not any(line.startswith("ATOP codesheet") or line.startswith("Draft of") for line in lines[1:])
    assert any("running header/footer 'ATOP codesheet 6070 – Kazakhstan/Russia'" in note for note in notes)


def test_running_header_before_question_one_is_kept_once() -> None:
    pages = [["Kazakhstan–Russia codesheet", *_answers(5, 5 * p + 1)] for p in range(4)]
    lines, _, _ = normalise_lines(_pages(*pages))
    assert lines.count("Kazakhstan–Russia codesheet") == 1
    assert lines[0] == "Kazakhstan–Russia codesheet"


def test_multi_line_header_is_peeled_off_every_page() -> None:
    header = ["ATOP project", "Rice University", "Confidential draft copy", "Coder: N. Coulombe"]
    pages = [[*header, *_answers(4, 4 * p + 1), str(p + 1)] for p in range(4)]
    lines, _, _ = normalise_lines(_pages(*pages))
    for line in header:
        assert lines.count(line) == 1  # only the copy before question 1
    assert len([line for line in lines if line.endswith("?")]) == 16


def test_short_answers_recurring_at_page_tops_are_not_headers() -> None:
    pages = [["No.", *_answers(4, 4 * p + 1)] for p in range(5)]
    pages[0][0] = "Preamble"
    lines, _, _ = normalise_lines(_pages(*pages))
    assert lines.count("No.") == 4


def test_line_repeated_at_page_tops_on_too_few_pages_is_kept() -> None:
    pages = [[*_answers(4, 4 * p + 1)] for p in range(8)]
    for p in (1, 4):
        pages[p].insert(0, "See the treaty text in the annex")
    lines, _, _ = normalise_lines(_pages(*pages))
    assert lines.count("See the treaty text in the annex") == 2


def test_repeated_template_header_block_is_stripped_after_question_one() -> None:
    template = (FIXTURES / "template_header.txt").read_text(encoding="utf-8").splitlines()
    pages = [[*template, "", *_answers(5, 5 * p + 1), str(p + 1)] for p in range(3)]
    lines, _, notes = normalise_lines(_pages(*pages))
    for line in template:
        assert lines.count(line) == 1
    assert lines[: len(template)] == tuple(template)


def test_template_header_repeated_without_page_breaks_is_stripped_after_question_one() -> None:
    template = (FIXTURES / "template_header.txt").read_text(encoding="utf-8").splitlines()
    body = [*template, *_answers(10), *template, *_answers(10, 11)]
    lines, _, notes = normalise_lines("\n".join(body))
    assert lines.count("CODING SHEET") == 1
    assert "removed 6 repeated template header line(s) after question 1" in notes


def test_evenly_repeated_line_without_page_breaks_is_removed() -> None:
    body: list[str] = []
    for p in range(4):
        body += ["Alliance 6070 working copy", *_answers(7, 7 * p + 1)]
    lines, _, notes = normalise_lines("\n".join(body))
    assert lines.count("Alliance 6070 working copy") == 1
    assert any("regularly spaced" in note for note in notes)


def test_repeated_quoted_provision_is_never_taken_for_a_header() -> None:
    quote = "Section 30 — “This Agreement is concluded for a period of 5 years.”"
    body: list[str] = []
    for p in range(4):
        body += [*_answers(7, 7 * p + 1), quote]
    lines, _, _ = normalise_lines("\n".join(body))
    assert lines.count(quote) == 4


@pytest.mark.parametrize("answer", ["No provisions.", "None specified in the treaty.", "See question 18.", "Yes, see above."])
def test_short_answer_phrases_recurring_at_page_tops_are_not_headers(answer: str) -> None:
    pages = [[answer, *_answers(4, 4 * p + 1)] for p in range(5)]
    pages[0][0] = "Preamble"
    lines, _, _ = normalise_lines(_pages(*pages))
    assert lines.count(answer) == 4


def test_vertical_tab_manual_line_breaks_split_lines_like_form_feeds_without_a_page() -> None:
    sheet = read_sheet(b"3. Signature date(s):\x0bNovember 11, 2013\n4. Members:\n", "s.txt")
    assert sheet.lines == ("3. Signature date(s):", "November 11, 2013", "4. Members:")
    assert sheet.line_numbers == (1, 1, 2)


def test_running_header_without_form_feeds_is_found_at_the_page_number_breaks() -> None:
    body: list[str] = []
    for p in range(4):
        body += ["Kazakhstan–Russia, 2013", *_answers(4, 4 * p + 1), f"Page {p + 1}"]
    lines, _, notes = normalise_lines("\n".join(body))
    assert lines.count("Kazakhstan–Russia, 2013") == 1
    assert not any(line.startswith("Page ") for line in lines)
    assert any("'Kazakhstan–Russia, 2013' (3 time(s))" in note for note in notes)


def test_two_bare_answers_at_page_edges_on_a_long_document_are_not_page_numbers() -> None:
    pages = [_answers(4, 4 * p + 1) for p in range(8)]
    pages[2].insert(0, "3")  # offset 1 from page index 2 ...
    pages[5].insert(0, "6")  # ... and from page index 5: agreeing by chance
    lines, _, notes = normalise_lines(_pages(*pages))
    assert "3" in lines and "6" in lines
    assert notes == ()


def test_repeated_wrapped_question_ending_with_its_answer_is_kept() -> None:
    """`describe. No.` recurs at regular spacing in real sheets; it is content, not a header."""
    body: list[str] = []
    for k in range(3):
        body += [f"{10 + k}. Are there specific provisions in the treaty? (Yes, No) If Yes,", "describe. No."]
        body += [f"filler line {k}-{i} with some words" for i in range(18)]
    lines, _, notes = normalise_lines("\n".join(body))
    assert lines.count("describe. No.") == 3
    assert not any("running header" in note for note in notes)
