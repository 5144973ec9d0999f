"""The 6070 sheet re-laid-out in ways real extraction produces still parses to the published row."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from atop_pipeline.codesheets.parser import parse_text
from tests.conftest import sheet_text_from

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BASE = (FIXTURES / "sheets" / "codesheet_6070.txt").read_text(encoding="utf-8")
PUBLISHED = json.loads((FIXTURES / "reference" / "atop_6070_groundtruth.json").read_text(encoding="utf-8"))["alliance_level"]
_NUMBERED = re.compile(r"^(\d{1,2})[.,] ", re.MULTILINE)


def _shorten_questions(text: str) -> str:
    """Each question cut to its first five words ("33. Does the treaty provide for ...")."""
    out = []
    for line in text.split("\n"):
        m = re.match(r"^(\d{1,2})[.,] (.*)$", line)
        if m and int(m.group(1)) not in (1, 2, 57, 58, 59, 60, 61):
            line = f"{m.group(1)}. " + " ".join(m.group(2).split()[:5]) + " ..."
        out.append(line)
    return "\n".join(out)


LAYOUTS: dict[str, Callable[[str], str]] = {
    "number_on_its_own_line": lambda t: _NUMBERED.sub(lambda m: m.group(1) + ".\n", t),
    "all_caps": str.upper,
    "indented_with_tabs": lambda t: re.sub(r"^", "\t", t, flags=re.MULTILINE),
    "closing_paren_numbers": lambda t: _NUMBERED.sub(lambda m: m.group(1) + ") ", t),
    "no_space_after_number": lambda t: _NUMBERED.sub(lambda m: m.group(1) + ".", t),
    "q_prefixed_numbers": lambda t: _NUMBERED.sub(lambda m: "Q" + m.group(1) + ": ", t),
    "double_spaced": lambda t: t.replace("\n", "\n\n"),
    "answers_labelled": lambda t: t.replace("\nNo.\n", "\nAnswer: No.\n").replace("\nYes.\n", "\nAnswer: Yes.\n"),
    "shortened_questions": _shorten_questions,
    "page_headers_left_in": lambda t: t.replace("\n\n5. ", "\n\nATOP 6070 codesheet    Page 2 of 9\n\n5. ").replace("\n\n30. ", "\nPage 5\n30. "),
    "headers_glued_to_answers": lambda t: t.replace("internal affairs.”\nSECTION V", "internal affairs.” SECTION V"),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_relaid_sheet_parses_to_the_published_row(layout: str) -> None:
    sheet = parse_text(sheet_text_from(LAYOUTS[layout](BASE)))
    assert len(sheet.answers) == 61
    assert sheet.warnings == []
    got = {k: "" if v is None else str(v) for k, v in sheet.atop.items()}
    assert got == {k: PUBLISHED[k] for k in got}


def test_sheet_without_any_question_numbers_is_found_by_question_text() -> None:
    sheet = parse_text(sheet_text_from(_NUMBERED.sub("", BASE)))
    assert len(sheet.answers) >= 58
    got = {k: "" if v is None else str(v) for k, v in sheet.atop.items()}
    assert got == {k: PUBLISHED[k] for k in got}
