"""pdf.extract_pdf_text: PDFium fast path with pypdf as the reference, and the per-process cache."""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF

from atop_pipeline.codesheets import pdf
from atop_pipeline.codesheets.parser import parse_bytes, peek_atopid
from atop_pipeline.codesheets.pdf import PdfProblem, extract_pdf_text
from tests.codesheets.pdf_fixtures import encrypt_pdf

FIXTURE_6070 = Path(__file__).parents[1] / "fixtures" / "sheets" / "codesheet_6070.txt"
SHEET_6070 = [
    "SECTION I: FORMATION, MEMBERS, AND DURATION",
    "1. ATOP ID: 6070",
    "2. COW Alliance # (if applicable): N/A",
    "3. Signature date(s): November 11, 2013",
    "4. Members of alliance (use COW country codes): Russia (365), Kazakhstan (705)",
]


def _pdf(lines: list[str], pages: int = 1) -> bytes:
    doc = FPDF()
    doc.set_font("Helvetica", size=10)
    for _ in range(pages):
        doc.add_page()
        for line in lines:
            doc.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())


@pytest.fixture(autouse=True)
def _fresh_cache():
    pdf.clear_pdf_cache()
    yield
    pdf.clear_pdf_cache()


def _count_extractions(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    calls: list[bytes] = []
    real = pdf._extract

    def counting(data: bytes) -> str:
        calls.append(data)
        return real(data)

    monkeypatch.setattr(pdf, "_extract", counting)
    return calls


def test_pdfium_and_pypdf_give_the_same_text() -> None:
    pytest.importorskip("pypdfium2")
    data = _pdf(SHEET_6070, pages=3)
    assert pdf._pdfium_qualifies(data)
    fast = pdf._pdfium_pages(data)
    assert fast is not None
    assert pdf._join(fast) == pdf._pypdf_text(data)


def test_without_pdfium_pypdf_extracts_the_same_text(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _pdf(SHEET_6070, pages=2)
    with_engine = extract_pdf_text(data)
    pdf.clear_pdf_cache()
    monkeypatch.setattr(pdf, "_pdfium_pages", lambda data: None)
    assert extract_pdf_text(data) == with_engine


def test_encrypted_pdf_is_never_given_to_pdfium(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(data: bytes) -> list[str]:
        raise AssertionError("an encrypted PDF reached PDFium")

    monkeypatch.setattr(pdf, "_pdfium_pages", refuse)
    text = extract_pdf_text(encrypt_pdf(_pdf(SHEET_6070), user_password=""))
    assert "1. ATOP ID: 6070" in text
    with pytest.raises(PdfProblem) as caught:
        extract_pdf_text(encrypt_pdf(_pdf(SHEET_6070), user_password="secret"))
    assert caught.value.error == "encrypted_pdf"


def test_truncated_pdf_keeps_pypdfs_corrupt_verdict() -> None:
    data = _pdf(SHEET_6070, pages=3)
    truncated = data[: len(data) // 3]
    assert not pdf._pdfium_qualifies(truncated)
    with pytest.raises(PdfProblem) as caught:
        extract_pdf_text(truncated)
    assert caught.value.error == "corrupt_pdf"


def test_pdf_that_pdfium_cannot_open_falls_back_to_pypdf(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _pdf(SHEET_6070)
    monkeypatch.setattr(pdf, "_pdfium_pages", lambda data: None)
    assert "1. ATOP ID: 6070" in extract_pdf_text(data)


def test_same_bytes_are_extracted_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_extractions(monkeypatch)
    data = _pdf(SHEET_6070)
    first = extract_pdf_text(data)
    assert extract_pdf_text(bytes(data)) == first
    assert len(calls) == 1
    assert pdf.pdf_cache_info()["hits"] == 1


def test_peek_and_parse_of_one_pdf_share_one_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_extractions(monkeypatch)
    lines = FIXTURE_6070.read_text(encoding="utf-8").splitlines()
    sheet_pdf = _pdf([line.encode("latin-1", "replace").decode("latin-1") for line in lines])
    assert peek_atopid(sheet_pdf, "codesheet_6070.pdf") == 6070
    sheet = parse_bytes(sheet_pdf, "codesheet_6070.pdf")
    assert sheet.atopid == 6070
    assert len(calls) == 1


def test_a_failed_extraction_is_remembered_too(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_extractions(monkeypatch)
    bad = _pdf(SHEET_6070)[:200]
    for _ in range(2):
        with pytest.raises(PdfProblem) as caught:
            extract_pdf_text(bad)
        assert caught.value.error == "corrupt_pdf"
    assert len(calls) == 1


def test_different_bytes_are_not_confused() -> None:
    one = extract_pdf_text(_pdf(["1. ATOP ID: 6070"]))
    two = extract_pdf_text(_pdf(["1. ATOP ID: 3180"]))
    assert "6070" in one and "3180" in two


def test_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf._CACHE, "entries", 2)
    for atopid in (1001, 1002, 1003, 1004):
        extract_pdf_text(_pdf([f"1. ATOP ID: {atopid}"]))
    assert pdf.pdf_cache_info()["entries"] == 2


def test_very_long_texts_are_not_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "PDF_CACHE_MAX_CHARS", 10)
    extract_pdf_text(_pdf(SHEET_6070))
    assert pdf.pdf_cache_info()["entries"] == 0


def test_a_line_ending_in_a_hyphen_keeps_pypdfs_two_lines() -> None:
    # PDFium would drop the hyphen and join "ratifi-" with "cation"; a question line could be glued on.
    data = _pdf(["The treaty requires ratifi-", "12. Are there specific provisions?"])
    assert pdf._pdfium_pages(data) is None
    text = extract_pdf_text(data)
    assert "ratifi-\n12. Are there" in text
    assert text == pdf._pypdf_text(data)


def test_the_reference_engine_can_be_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATOP_PDF_ENGINE", "pypdf")

    def refuse(data: bytes) -> list[str]:
        raise AssertionError("PDFium used although ATOP_PDF_ENGINE=pypdf")

    monkeypatch.setattr(pdf, "_pdfium_pages", refuse)
    assert "1. ATOP ID: 6070" in extract_pdf_text(_pdf(SHEET_6070))


def test_the_cache_is_bounded_by_total_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "PDF_CACHE_TOTAL_CHARS", 60)
    for atopid in (1001, 1002, 1003, 1004):
        extract_pdf_text(_pdf([f"1. ATOP ID: {atopid} and some more words"]))
    info = pdf.pdf_cache_info()
    assert info["chars"] <= 60 and 1 <= info["entries"] < 4
