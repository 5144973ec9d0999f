"""parse_bytes: the same sheet as UTF-8, cp1252, UTF-16, with CRLF, and as a PDF parses the same."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest
from fpdf import FPDF

from atop_pipeline.codesheets.parser import NotACodesheetError, parse_bytes
from atop_pipeline.codesheets.reading import SheetReadError

SHEETS = Path(__file__).resolve().parents[1] / "fixtures" / "sheets"
FONT = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
VARIABLES = ("begyr", "begmo", "begday", "ineffect", "speclgth", "length", "proren", "renewlgt", "neutral", "nonagg", "mem1", "mem2")


@pytest.fixture(scope="module")
def text_6070() -> str:
    return (SHEETS / "codesheet_6070.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def reference(text_6070: str) -> dict:
    return parse_bytes(text_6070.encode("utf-8"), "sheets/6070.txt").atop


@pytest.mark.parametrize(
    ("encoding", "newline"),
    [("utf-8", "\n"), ("utf-8-sig", "\r\n"), ("cp1252", "\r\n"), ("cp1252", "\n"), ("utf-16", "\n")],
)
def test_encodings_and_line_endings_parse_to_the_same_variables(text_6070: str, reference: dict, encoding: str, newline: str) -> None:
    data = text_6070.replace("\n", newline).encode(encoding)
    sheet = parse_bytes(data, "sheets/6070.txt")
    assert {k: sheet.atop[k] for k in VARIABLES} == {k: reference[k] for k in VARIABLES}
    assert len(sheet.answers) == 61
    # Curly quotes and em-dashes survive the legacy encoding.
    assert sheet.provisions[0].article == "Section 30"
    assert "“" in sheet.answer(6).question_text


def test_sha256_is_of_the_raw_bytes(text_6070: str) -> None:
    import hashlib

    data = text_6070.replace("\n", "\r\n").encode("cp1252")
    assert parse_bytes(data, "x.txt").sha256 == hashlib.sha256(data).hexdigest()


def test_line_spans_refer_to_the_source_file_lines(text_6070: str) -> None:
    sheet = parse_bytes(text_6070.replace("\n", "\r\n").encode("cp1252"), "x.txt")
    assert (sheet.answer(14).line_start, sheet.answer(14).line_end) == (51, 56)


def test_pdf_sheet_parses_to_the_published_variables(text_6070: str, reference: dict) -> None:
    pdf = FPDF()
    pdf.add_font("dejavu", fname=str(FONT))
    pdf.set_font("dejavu", size=10)
    pdf.add_page()
    for line in text_6070.split("\n"):
        pdf.multi_cell(0, 5, line or " ", new_x="LMARGIN", new_y="NEXT")
    sheet = parse_bytes(bytes(pdf.output()), "sheets/6070.pdf")
    assert sheet.kind == "pdf"
    assert len(sheet.answers) == 61
    assert {k: sheet.atop[k] for k in VARIABLES} == {k: reference[k] for k in VARIABLES}


def test_binary_garbage_is_a_read_error_not_a_crash() -> None:
    with pytest.raises((SheetReadError, NotACodesheetError)) as info:
        parse_bytes(bytes(range(256)) * 10, "sheets/garbage.txt")
    assert "sheets/garbage.txt" in info.value.error.message
