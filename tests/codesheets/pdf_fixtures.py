"""PDF bytes for the reader's tests: encryption applied to a PDF built in memory."""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter


def encrypt_pdf(data: bytes, user_password: str) -> bytes:
    """`data` encrypted with RC4-128 (works without the optional 'cryptography' package; AES needs it)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
