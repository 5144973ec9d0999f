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


def build_sheet(
    answers: dict[int, str],
    *,
    number_format: str = "{n}. ",
    wrap: int | None = None,
    section_format: str = "SECTION {numeral}: {title}",
    inline: frozenset[int] | set[int] = frozenset(),
    omit: frozenset[int] | set[int] = frozenset(),
    blank_lines: int = 1,
    preamble: str = "",
) -> str:
    """A filled-in codesheet from the bundled template: `answers` by question number.

    `number_format` ("{n}) ", "{n}, ", "{n}"), `wrap` (re-wrap question text at this width),
    `section_format` (with {numeral}, {arabic}, {title}), `inline` (answers on the question's line).
    """
    import textwrap

    from atop_pipeline.codesheets.parser import template

    tpl = template()
    arabic = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}
    out: list[str] = [preamble] if preamble else []
    section = ""
    gap = [""] * blank_lines
    for n in range(1, 62):
        q = tpl.questions[n]
        if q.section != section:
            section = q.section
            title = tpl.section_titles[section]
            out += [section_format.format(numeral=section, arabic=arabic[section], title=title), *gap]
        if n in omit:
            continue
        head = number_format.format(n=n) + q.text
        qlines = textwrap.wrap(head, wrap) if wrap else [head]
        answer = answers.get(n, "No.")
        if n in inline and answer:
            qlines[-1] += " " + answer.split("\n")[0]
            rest = answer.split("\n")[1:]
            out += qlines + rest + gap
        else:
            out += qlines + ([answer] if answer else []) + gap
    return "\n".join(out) + "\n"


@pytest.fixture
def make_sheet() -> Callable[..., str]:
    """The `build_sheet` helper as a fixture."""
    return build_sheet
