"""PDF bytes -> plain text, page by page. Pure: no files are written.

Two engines. PDFium (pypdfium2, C++) extracts a well-formed, unencrypted PDF about four times faster
than pypdf; pypdf stays the reference engine for everything else: encrypted PDFs (so the empty-password
and AES behaviour and messages are pypdf's), files that do not end in `%%EOF` (truncated or damaged),
anything PDFium cannot open, files in which PDFium finds no text at all, and when pypdfium2 is not
installed, or when ATOP_PDF_ENGINE=pypdf is set. On the synthetic corpora (789 sheets at seeds 0 and
7, 259 PDFs) and the test PDFs both engines give the same text once PDFium's CRLF line ends are made LF.

The engines are not identical on every PDF. PDFium drops a hyphen that ends a line and joins the two
lines ("ratifi-" / "cation" -> "ratification", marked with U+0002 or U+FFFE): that would glue a question
line to the line before it, so any page with such a mark sends the whole file to pypdf. PDFium also
collapses runs of spaces inside a line and a run of leading spaces to one; the parser is indifferent to
that, but an answer's text as stored can differ from pypdf's by those spaces.

One PDF is often extracted several times in one process (peeking its ATOP ID, scanning, parsing, the
status step), so the outcome -- text or PdfProblem -- is kept in a small LRU keyed by the SHA-256 of
the bytes (at most `PDF_CACHE_ENTRIES` entries and `PDF_CACHE_TOTAL_CHARS` characters; texts over
`PDF_CACHE_MAX_CHARS` are not kept).
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
from collections import OrderedDict

try:  # optional: without it every PDF goes to pypdf (imported lazily: it is only the fallback)
    import pypdfium2 as _pdfium
except ImportError:  # pragma: no cover - pypdfium2 is a declared dependency
    _pdfium = None

#: Separator put between pages: a form feed on its own line, so normalisation sees page breaks.
PAGE_BREAK = "\n\f\n"

#: How many extraction outcomes the in-process cache holds (a sheet's text is ~15-50 KB).
PDF_CACHE_ENTRIES = 64
#: Longer extracted texts are not cached.
PDF_CACHE_MAX_CHARS = 500_000
#: The cache drops its oldest entries while the texts it holds exceed this many characters in all.
PDF_CACHE_TOTAL_CHARS = 4_000_000


class PdfProblem(Exception):
    """A PDF that cannot be read: `error` is the machine name, str() the reason phrase."""

    def __init__(self, error: str, reason: str) -> None:
        super().__init__(reason)
        self.error = error
        self.reason = reason


class _OutcomeCache:
    """A thread-safe LRU of extraction outcomes: text, or (error, reason) of a PdfProblem."""

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._items: OrderedDict[bytes, str | tuple[str, str]] = OrderedDict()
        self._lock = threading.Lock()
        self._chars = 0  # characters of the cached texts
        self.hits = 0
        self.misses = 0

    def get(self, key: bytes) -> str | tuple[str, str] | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: bytes, outcome: str | tuple[str, str]) -> None:
        if isinstance(outcome, str) and len(outcome) > PDF_CACHE_MAX_CHARS:
            return
        with self._lock:
            previous = self._items.pop(key, None)
            self._chars -= len(previous) if isinstance(previous, str) else 0
            self._items[key] = outcome
            self._chars += len(outcome) if isinstance(outcome, str) else 0
            while len(self._items) > self.entries or (self._chars > PDF_CACHE_TOTAL_CHARS and len(self._items) > 1):
                _, dropped = self._items.popitem(last=False)
                self._chars -= len(dropped) if isinstance(dropped, str) else 0

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._chars = 0
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._items)


_CACHE = _OutcomeCache(PDF_CACHE_ENTRIES)
# PDFium is not thread-safe: one extraction at a time per process.
_PDFIUM_LOCK = threading.Lock()


def pdf_cache_info() -> dict[str, int]:
    """Entries, hits and misses of the in-process extraction cache (for tests and diagnostics)."""
    return {"entries": len(_CACHE), "chars": _CACHE._chars, "hits": _CACHE.hits, "misses": _CACHE.misses,
            "max_entries": _CACHE.entries}


def clear_pdf_cache() -> None:
    """Forget every cached extraction."""
    _CACHE.clear()


def extract_pdf_text(data: bytes) -> str:
    """The text of every page joined by PAGE_BREAK; raises PdfProblem.

    Errors: "encrypted_pdf" (a password other than the empty one is needed, or the cipher is not
    available), "corrupt_pdf" (the PDF cannot be parsed), "pdf_no_text" (no page has extractable
    text, e.g. a scan). The same bytes are extracted once per process while they stay in the cache.
    """
    key = hashlib.sha256(data).digest()
    cached = _CACHE.get(key)
    if isinstance(cached, str):
        return cached
    if cached is not None:
        raise PdfProblem(*cached)
    try:
        text = _extract(data)
    except PdfProblem as problem:
        _CACHE.put(key, (problem.error, problem.reason))
        raise
    _CACHE.put(key, text)
    return text


def _extract(data: bytes) -> str:
    """Extraction without the cache: PDFium when the file qualifies and yields text, else pypdf."""
    if b"%PDF-" not in data[:1024]:
        raise PdfProblem("corrupt_pdf", "file has no PDF header: it is not a PDF document")
    if _pdfium_qualifies(data):
        pages = _pdfium_pages(data)
        if pages is not None and any(page.strip() for page in pages):
            return _join(pages)
    return _pypdf_text(data)


def _pdfium_qualifies(data: bytes) -> bool:
    """Only a complete (ends in %%EOF), unencrypted PDF goes to PDFium; the rest keeps pypdf's verdict."""
    if os.environ.get("ATOP_PDF_ENGINE", "").lower() == "pypdf":
        return False
    return b"%%EOF" in data[-1024:] and b"/Encrypt" not in data


# PDFium's marks for a hyphen it removed at a line end (joining the lines): pypdf keeps both lines.
_JOINED_HYPHEN_MARKS = ("\x02", "\ufffe")


def _pdfium_pages(data: bytes) -> list[str] | None:
    """Each page's text via PDFium, or None when pypdfium2 is missing or PDFium fails on the file."""
    pdfium = _pdfium
    if pdfium is None:
        return None
    with _PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(data)
        except Exception:  # noqa: BLE001 - PdfiumError and friends: pypdf gives the verdict and the reason
            return None
        try:
            pages: list[str] = []
            for index in range(len(document)):
                page = document[index]
                textpage = page.get_textpage()
                try:
                    text = textpage.get_text_bounded()
                finally:
                    textpage.close()
                    page.close()
                if any(mark in text for mark in _JOINED_HYPHEN_MARKS):
                    return None  # lines joined at a hyphen: pypdf keeps them apart
                pages.append(text.replace("\r\n", "\n"))  # PDFium ends lines with CRLF, pypdf with LF
            return pages
        except Exception:  # noqa: BLE001 - a page PDFium cannot read: fall back to pypdf for the file
            return None
        finally:
            document.close()


def _join(pages: list[str]) -> str:
    return PAGE_BREAK.join(page.rstrip("\n") for page in pages)


def _pypdf_text(data: bytes) -> str:
    """Extraction with pypdf (the reference engine); raises PdfProblem."""
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # Many PDFs are "encrypted" only to restrict printing/editing, with an empty user password.
            try:
                opened = reader.decrypt("")
            except DependencyError:
                raise PdfProblem(
                    "encrypted_pdf",
                    "PDF is encrypted with AES; opening it (even without a password) needs the "
                    "'cryptography' package",
                ) from None
            if opened == PasswordType.NOT_DECRYPTED:
                raise PdfProblem("encrypted_pdf", "PDF is password-protected; save an unprotected copy")
        pages = [page.extract_text() or "" for page in reader.pages]
    except PdfProblem:
        raise
    except FileNotDecryptedError:
        raise PdfProblem("encrypted_pdf", "PDF is password-protected; save an unprotected copy") from None
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types on damaged input; a batch must go on
        reason = f"PDF is damaged and cannot be read ({type(exc).__name__}: {exc})"
        raise PdfProblem("corrupt_pdf", reason) from None
    if not pages:
        raise PdfProblem("corrupt_pdf", "PDF has no pages")
    if not any(page.strip() for page in pages):
        raise PdfProblem(
            "pdf_no_text",
            f"PDF has {len(pages)} page(s) but no extractable text (a scanned image?); run OCR or "
            "export the text",
        )
    return _join(pages)
