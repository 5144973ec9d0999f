"""Lay a rendered sheet out as a PDF with fpdf2 (a test/benchmark dependency, imported lazily)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

#: Fixed creation date: the same seed must give byte-identical PDFs.
_CREATION_DATE = dt.datetime(2020, 7, 7, 12, 0, 0, tzinfo=dt.timezone.utc)


def _font_path() -> Path:
    """DejaVuSans from matplotlib's bundled fonts: a Unicode TTF that covers curly quotes and Cyrillic."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


def lines_to_pdf(lines: list[str], *, header: str) -> bytes:
    """PDF bytes with `lines` flowed over A4 pages, a running header and page numbers."""
    try:
        from fpdf import FPDF
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "PDF sheets need fpdf2 (pip install fpdf2, part of the project's [test] extra); "
            "or generate with --pdf-share 0"
        ) from exc

    class _SheetPDF(FPDF):
        def header(self) -> None:
            self.set_font("DejaVu", size=8)
            self.cell(0, 5, header, new_x="LMARGIN", new_y="NEXT")
            self.ln(2)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("DejaVu", size=8)
            self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")

    pdf = _SheetPDF(format="A4")
    pdf.set_creation_date(_CREATION_DATE)
    pdf.add_font("DejaVu", fname=str(_font_path()))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("DejaVu", size=9)
    for line in lines:
        if line.strip():
            pdf.multi_cell(0, 4.5, line, new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.ln(3)
    return bytes(pdf.output())
