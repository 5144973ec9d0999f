"""read_sheet on PDFs built here with fpdf2: pages, page numbers, running headers, encryption, damage."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
import pytest
from fpdf import FPDF
from pypdf import PdfReader

from atop_pipeline.codesheets.reading import SheetReadError, read_sheet
from tests.codesheets.pdf_fixtures import encrypt_pdf

FONT = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "reading"


def _sheet_lines(questions: int = 61) -> list[str]:
    """A sheet body long enough to run over several pages, with typographic characters."""
    lines = ["SECTION I: FORMATION, MEMBERS, AND DURATION", "1. ATOP ID:", "6070"]
    for q in range(2, questions + 1):
        lines += [f"{q}. Question {q}: is there a “provision” — as quoted?", f"Answer {q}: Section {q} — “text”."]
    return lines


def _pdf(
    body: list[str],
    *,
    header: str | None = None,
    footer: str | None = None,
    template_header: list[str] | None = None,
) -> bytes:
    """A PDF with the body lines, optional running header/footer ({n} = page number)."""

    class Sheet(FPDF):
        def header(self) -> None:
            self.set_font("dejavu", size=9)
            for line in template_header or []:
                self.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
            if header:
                self.cell(0, 6, header.format(n=self.page_no()), new_x="LMARGIN", new_y="NEXT")

        def footer(self) -> None:
            if footer:
                self.set_y(-15)
                self.set_font("dejavu", size=9)
                self.cell(0, 8, footer.format(n=self.page_no()), align="C")

    pdf = Sheet()
    pdf.add_font("dejavu", fname=str(FONT))
    pdf.set_font("dejavu", size=11)
    pdf.add_page()
    for line in body:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def test_single_page_pdf_text_is_extracted_with_unicode_punctuation() -> None:
    body = ["1. ATOP ID: 6070", "10. Duration?", "Section 30 — “This Agreement is concluded for a period of 5 years.”"]
    sheet = read_sheet(_pdf(body), "sheets/6070.pdf")
    assert sheet.kind == "pdf"
    assert sheet.encoding == "pdf"
    assert sheet.lines == tuple(body)


def test_multi_page_pdf_loses_page_numbers_and_running_header_but_keeps_every_answer() -> None:
    body = _sheet_lines()
    data = _pdf(body, header="ATOP codesheet 6070 – Kazakhstan/Russia", footer="{n}")
    assert len(PdfReader(io.BytesIO(data)).pages) >= 3
    sheet = read_sheet(data, "sheets/6070.pdf")
    kept_body = [line for line in sheet.lines if line != "ATOP codesheet 6070 – Kazakhstan/Russia"]
    assert kept_body == body
    assert sheet.lines.count("ATOP codesheet 6070 – Kazakhstan/Russia") == 1  # page 1, before question 1
    assert any(note.startswith("removed") and "page-number" in note for note in sheet.notes)


@pytest.mark.parametrize("footer", ["Page {n}", "- {n} -", "{n}/4", "Page {n} of 4"])
def test_multi_page_pdf_footer_forms_are_removed(footer: str) -> None:
    body = _sheet_lines()
    sheet = read_sheet(_pdf(body, footer=footer), "s.pdf")
    assert list(sheet.lines) == body


def test_pdf_with_the_template_header_on_every_page_keeps_it_once() -> None:
    template = (FIXTURES / "template_header.txt").read_text(encoding="utf-8").splitlines()
    body = _sheet_lines()
    sheet = read_sheet(_pdf(body, template_header=template, footer="{n}"), "s.pdf")
    assert list(sheet.lines[: len(template)]) == template
    assert list(sheet.lines[len(template) :]) == body


def test_pdf_line_numbers_point_into_the_extracted_text_with_page_breaks() -> None:
    body = _sheet_lines()
    sheet = read_sheet(_pdf(body, footer="{n}"), "s.pdf")
    numbers = sheet.line_numbers
    assert list(numbers) == sorted(numbers)
    assert len(set(numbers)) == len(numbers)
    # Each page break is a form-feed line of its own in the extracted text, and the page numbers
    # were removed, so the map has gaps.
    assert numbers[-1] > len(sheet.lines)


def test_pdf_ligatures_from_the_font_are_expanded() -> None:
    sheet = read_sheet(_pdf(["1. ATOP ID: 6070", "Deﬁnitions of ﬂags and eﬀects."]), "s.pdf")
    assert sheet.lines[1] == "Definitions of flags and effects."


def test_pdf_encrypted_with_an_empty_user_password_is_read() -> None:
    body = ["1. ATOP ID: 6070", "2. COW Alliance #: N/A"]
    sheet = read_sheet(encrypt_pdf(_pdf(body), user_password=""), "s.pdf")
    assert sheet.lines == tuple(body)


def test_pdf_needing_a_password_is_an_encrypted_pdf_error() -> None:
    data = encrypt_pdf(_pdf(["1. ATOP ID: 6070"]), user_password="secret")
    with pytest.raises(SheetReadError) as caught:
        read_sheet(data, "sheets/locked.pdf")
    assert caught.value.error.error == "encrypted_pdf"
    assert str(caught.value).startswith("sheets/locked.pdf: ")
    assert "password" in str(caught.value)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda d: d[: len(d) // 3], id="truncated"),
        pytest.param(lambda d: d[:20] + bytes(len(d) - 20), id="zeroed-body"),
        pytest.param(lambda d: b"%PDF-1.4\n garbage that is not a pdf at all \n%%EOF", id="header-only"),
        pytest.param(lambda d: b"this is not a PDF but is named .pdf\n", id="not-a-pdf"),
    ],
)
def test_damaged_pdf_is_a_corrupt_pdf_error(damage) -> None:  # noqa: ANN001 - a lambda
    data = damage(_pdf(_sheet_lines(10)))
    with pytest.raises(SheetReadError) as caught:
        read_sheet(data, "sheets/bad.pdf")
    assert caught.value.error.error in {"corrupt_pdf", "pdf_no_text"}
    assert caught.value.error.stage == "read"
    assert str(caught.value).startswith("sheets/bad.pdf: ")


def test_truncated_pdf_is_reported_as_corrupt() -> None:
    data = _pdf(_sheet_lines(10))
    with pytest.raises(SheetReadError) as caught:
        read_sheet(data[: len(data) // 3], "bad.pdf")
    assert caught.value.error.error == "corrupt_pdf"


def test_pdf_without_text_is_a_pdf_no_text_error() -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 50, style="F")  # a drawing, as a scan would be an image: no text layer
    with pytest.raises(SheetReadError) as caught:
        read_sheet(bytes(pdf.output()), "scan.pdf")
    assert caught.value.error.error == "pdf_no_text"
    assert "no extractable text" in str(caught.value)


def test_pdf_misnamed_txt_is_read_as_pdf_with_a_note() -> None:
    sheet = read_sheet(_pdf(["1. ATOP ID: 6070"]), "sheets/6070.txt")
    assert sheet.kind == "pdf"
    assert sheet.lines == ("1. ATOP ID: 6070",)
    assert any("is a PDF document" in note for note in sheet.notes)


def test_pdf_inside_a_zip_is_recognised_by_its_member_name() -> None:
    sheet = read_sheet(_pdf(["1. ATOP ID: 6070"]), "batch.zip!inner/6070.PDF")
    assert sheet.kind == "pdf"


@pytest.mark.parametrize("footer", ["{n}", "Page {n} of {{nb}}"])
def test_real_sheet_6070_printed_to_pdf_reads_back_line_for_line(footer: str) -> None:
    source = (FIXTURES / "codesheet_6070.txt").read_text(encoding="utf-8").split("\n")

    class Sheet(FPDF):
        def header(self) -> None:
            if self.page_no() > 1:  # a running header from page 2 on, as word processors do
                self.set_font("dejavu", size=8)
                self.cell(0, 5, "ATOP 6070 Kazakhstan–Russia", new_x="LMARGIN", new_y="NEXT")

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("dejavu", size=8)
            self.cell(0, 5, footer.format(n=self.page_no()), align="C")

    # A page wide enough that no line wraps, so lines can be compared one to one.
    pdf = Sheet(format=(600, 297))
    pdf.add_font("dejavu", fname=str(FONT))
    pdf.set_font("dejavu", size=9)
    pdf.add_page()
    for line in source:
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    sheet = read_sheet(bytes(pdf.output()), "codesheet_6070.pdf")
    assert sheet.notes
    assert [line for line in sheet.lines if line.strip()] == [line.rstrip() for line in source if line.strip()]
