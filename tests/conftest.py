"""Shared test helpers: build a SheetText straight from a string (no reading step involved)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

from atop_pipeline.codesheets.model import SheetText


def sheet_text_from(text: str, source_file: str = "sheets/test.txt") -> SheetText:
    """A SheetText whose lines are `text` split on newlines, numbered 1..n."""
    data = text.encode("utf-8")
    lines = tuple(text.split("\n"))
    return SheetText(
        source_file=source_file,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        kind="txt",
        encoding="utf-8",
        lines=lines,
        line_numbers=tuple(range(1, len(lines) + 1)),
    )


@pytest.fixture
def make_sheet_text() -> Callable[..., SheetText]:
    """The `sheet_text_from` helper as a fixture."""
    return sheet_text_from
