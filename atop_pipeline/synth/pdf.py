"""Lay a rendered sheet out as a PDF with fpdf2 (a test/benchmark dependency, imported lazily)."""

from __future__ import annotations

import atexit
import datetime as dt
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

#: Fixed creation date: the same seed must give byte-identical PDFs.
_CREATION_DATE = dt.datetime(2020, 7, 7, 12, 0, 0, tzinfo=dt.timezone.utc)
#: Characters per line that fit A4 between the margins at 8 pt DejaVu Sans.
_PDF_WIDTH_CHARS = 105


#: Code points sheets use: Latin-1, Latin Extended-A, Cyrillic, dashes/quotes, ligatures, € and ™.
_SHEET_CODEPOINTS = (
    [*range(0x20, 0x7F), *range(0xA0, 0x180), *range(0x400, 0x500), *range(0x2010, 0x2028)]
    + [*range(0xFB00, 0xFB07), 0x20AC, 0x2122]
)


def _full_font_path() -> Path:
    """DejaVuSans from matplotlib's bundled fonts: a Unicode TTF that covers curly quotes and Cyrillic."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


@lru_cache(maxsize=1)
def _font_path() -> Path:
    """DejaVuSans cut down to the sheets' code points, once per process.

    fpdf2 parses the whole TTF for every document (~0.1 s for DejaVuSans); a 80 KB subset makes a
    PDF sheet about three times cheaper. The subset lives in a private temp folder removed at exit.
    """
    from fontTools import subset

    options = subset.Options()
    options.layout_features = []
    options.drop_tables += ["FFTM"]
    font = subset.load_font(str(_full_font_path()), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=_SHEET_CODEPOINTS)
    subsetter.subset(font)
    folder = Path(tempfile.mkdtemp(prefix="atop-synth-font-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "DejaVuSans-sheet.ttf"
    subset.save_font(font, str(path), options)
    return path


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
    from atop_pipeline.synth.render import wrap_prose

    pdf.set_font("DejaVu", size=8)
    for line in lines:
        if not line.strip():
            pdf.ln(3)
            continue
        # Wrap ourselves and write plain cells: fpdf2's multi_cell line breaking costs ~10x more.
        for piece in wrap_prose(line, _PDF_WIDTH_CHARS):
            pdf.cell(0, 4, piece, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
