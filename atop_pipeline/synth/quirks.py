"""Surface quirks of extracted codesheets: choosing them per file and applying them to rendered text.

A sheet is first rendered as logical lines (render.py); the quirks here are what PDF/Word
extraction and legacy editors do to such a text: line endings, encodings, page breaks with page
numbers and running headers, non-breaking spaces, ligatures. Rendering-level quirks (numbering
punctuation, wrapping, answer placement, typos, member and date forms) are chosen here too so
that one `SurfaceStyle` describes everything a file looks like.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

#: Every quirk name that can appear in the manifest's `quirks` column.
ALL_QUIRKS: tuple[str, ...] = (
    "crlf",
    "bom",
    "utf16",
    "cp1252",
    "cp1251",
    "pages_number",
    "pages_of",
    "running_header",
    "header_block",
    "comma_numbering",
    "paren_numbering",
    "wrapped",
    "answers_inline",
    "empty_then_section",
    "typo",
    "nbsp",
    "ligatures",
    "members_ccode_first",
    "members_comma",
    "members_prose",
    "dates_dmy",
    "dates_numeric",
    "pdf",
)

_UNICODE_ENCODINGS = ("utf-8", "utf-8-sig", "utf-16")


@dataclass(frozen=True)
class SurfaceStyle:
    """Everything that decides how one generated sheet looks, chosen once per file from the seed."""

    encoding: str  # "utf-8", "utf-8-sig", "utf-16", "cp1252", "cp1251" (or "pdf")
    crlf: bool
    header_block: bool  # the template's title block above SECTION I
    pages: str  # "none", "number" ("3"), "page_of" ("Page 3 of 7")
    running_header: bool  # a header line repeated at the top of every page
    numbering: str  # ".", "," or ")" used on some questions instead of "."
    wrap_width: int | None  # question/prose wrap width; None = one long line per paragraph
    answers_inline: bool  # short answers on the question's own line
    empty_then_section: bool  # empty Q28/Q43 answers followed directly by the SECTION header
    typo: bool  # "#109" for "#19" and similar slips inside question text
    nbsp: bool
    ligatures: bool
    member_form: str  # "paren" Name (ccode), "ccode_first" ccode Name, "comma" Name, ccode, "prose"
    date_form: str  # "mdy" November 11, 2013; "dmy" 11 November 2013; "numeric" 11/11/2013
    pdf: bool

    def quirks(self) -> list[str]:
        """The names (from ALL_QUIRKS) of the quirks this style applies."""
        q: list[str] = []
        if self.crlf:
            q.append("crlf")
        if self.encoding == "utf-8-sig":
            q.append("bom")
        elif self.encoding == "utf-16":
            q.append("utf16")
        elif self.encoding in ("cp1252", "cp1251"):
            q.append(self.encoding)
        if self.pages == "number":
            q.append("pages_number")
        elif self.pages == "page_of":
            q.append("pages_of")
        if self.running_header:
            q.append("running_header")
        if self.header_block:
            q.append("header_block")
        if self.numbering == ",":
            q.append("comma_numbering")
        elif self.numbering == ")":
            q.append("paren_numbering")
        if self.wrap_width is not None:
            q.append("wrapped")
        if self.answers_inline:
            q.append("answers_inline")
        if self.empty_then_section:
            q.append("empty_then_section")
        if self.typo:
            q.append("typo")
        if self.nbsp:
            q.append("nbsp")
        if self.ligatures:
            q.append("ligatures")
        if self.member_form != "paren":
            q.append(f"members_{self.member_form}")
        if self.date_form != "mdy":
            q.append(f"dates_{self.date_form}")
        if self.pdf:
            q.append("pdf")
        return q


def choose_style(rng: random.Random, *, pdf: bool, cyrillic: bool) -> SurfaceStyle:
    """A style drawn from `rng`; each quirk lands in a sizeable share of files."""
    if pdf:
        encoding = "pdf"
    else:
        legacy = "cp1251" if cyrillic else "cp1252"
        encoding = rng.choice(("utf-8", "utf-8", "utf-8-sig", "utf-16", legacy, legacy))
    unicode_text = encoding in _UNICODE_ENCODINGS or pdf
    pages = rng.choice(("none", "none", "number", "page_of")) if not pdf else "none"
    return SurfaceStyle(
        encoding=encoding,
        crlf=(not pdf) and rng.random() < 0.4,
        header_block=rng.random() < 0.4,
        pages=pages,
        running_header=pages != "none" and rng.random() < 0.6,
        numbering=rng.choice((".", ".", ",", ")")),
        wrap_width=rng.choice((None, 80, 100, 118, 130)),
        answers_inline=rng.random() < 0.35,
        empty_then_section=rng.random() < 0.6,
        typo=rng.random() < 0.35,
        # Legacy single-byte files come from editors that keep NBSP (cp1252/cp1251 have 0xA0)
        nbsp=rng.random() < 0.3,
        # ﬁ/ﬂ exist only in Unicode; a cp1252 file cannot carry them
        ligatures=unicode_text and rng.random() < 0.35,
        member_form=rng.choice(("paren", "paren", "ccode_first", "comma", "prose")),
        date_form=rng.choice(("mdy", "mdy", "dmy", "numeric")),
        pdf=pdf,
    )


_LIGATURES = (("ffi", "\ufb03"), ("ffl", "\ufb04"), ("fi", "\ufb01"), ("fl", "\ufb02"))
_URL = re.compile(r"https?://\S+")


def _ligate(line: str) -> str:
    """Replace fi/fl (and ffi/ffl) with ligature characters, leaving URLs alone."""
    parts = _URL.split(line)
    urls = _URL.findall(line)
    out = []
    for i, part in enumerate(parts):
        for plain, lig in _LIGATURES:
            part = part.replace(plain, lig)
        out.append(part)
        if i < len(urls):
            out.append(urls[i])
    return "".join(out)


def _nbsp(line: str, rng: random.Random) -> str:
    """Turn some spaces (never inside URLs) into non-breaking spaces, as Word exports do."""
    if " " not in line or _URL.search(line):
        return line
    chars = list(line)
    for i, ch in enumerate(chars):
        if ch == " " and rng.random() < 0.15:
            chars[i] = "\u00a0"
    return "".join(chars)


def apply_text_quirks(lines: list[str], style: SurfaceStyle, rng: random.Random, *, header: str) -> str:
    """Lay rendered lines out as a file's text: NBSP, ligatures, pages, running header, line endings."""
    if style.nbsp:
        lines = [_nbsp(line, rng) for line in lines]
    if style.ligatures:
        lines = [_ligate(line) for line in lines]
    if style.pages != "none":
        page_len = rng.randint(45, 70)
        pages = [lines[i : i + page_len] for i in range(0, len(lines), page_len)] or [[]]
        total = len(pages)
        out: list[str] = []
        for n, page in enumerate(pages, start=1):
            body = ([header, ""] if style.running_header else []) + page
            foot = str(n) if style.pages == "number" else f"Page {n} of {total}"
            block = "\n".join(body + ["", foot])
            out.append(block)
        text = "\n\f".join(out) + "\n"
    else:
        text = "\n".join(lines) + "\n"
    if style.crlf:
        text = text.replace("\n", "\r\n")
    return text


def encode_text(text: str, encoding: str) -> bytes:
    """The file's bytes in `encoding` (utf-16 carries its BOM; utf-8-sig its BOM)."""
    if encoding == "utf-16":
        return b"\xff\xfe" + text.encode("utf-16-le")  # little-endian with BOM, whatever the host
    return text.encode(encoding)
