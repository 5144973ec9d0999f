"""PDF bytes -> plain text, page by page, with pypdf. Pure: no files are written."""

from __future__ import annotations

import io

#: Separator put between pages: a form feed on its own line, so normalisation sees page breaks.
PAGE_BREAK = "\n\f\n"


class PdfProblem(Exception):
    """A PDF that cannot be read: `error` is the machine name, str() the reason phrase."""

    def __init__(self, error: str, reason: str) -> None:
        super().__init__(reason)
        self.error = error
        self.reason = reason


def extract_pdf_text(data: bytes) -> str:
    """The text of every page joined by PAGE_BREAK; raises PdfProblem.

    Errors: "encrypted_pdf" (a password other than the empty one is needed, or the cipher is not
    available), "corrupt_pdf" (pypdf cannot parse it), "pdf_no_text" (no page has extractable text,
    e.g. a scan).
    """
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    if b"%PDF-" not in data[:1024]:
        raise PdfProblem("corrupt_pdf", "file has no PDF header: it is not a PDF document")
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
    return PAGE_BREAK.join(page.rstrip("\n") for page in pages)
