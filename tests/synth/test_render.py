"""Rendering one sheet: answers consistent with the published variables."""

from __future__ import annotations

import random

import pytest

from atop_pipeline.synth.quirks import SurfaceStyle, apply_text_quirks
from atop_pipeline.synth.render import (
    AllianceRecord,
    duration_text,
    format_date,
    load_alliances,
    member_label,
    render_sheet,
    template,
)

PLAIN = SurfaceStyle(
    encoding="utf-8",
    crlf=False,
    header_block=False,
    pages="none",
    running_header=False,
    numbering=".",
    wrap_width=None,
    answers_inline=False,
    empty_then_section=True,
    typo=False,
    nbsp=False,
    ligatures=False,
    member_form="paren",
    date_form="mdy",
    pdf=False,
)


@pytest.fixture(scope="module")
def alliances() -> dict[int, AllianceRecord]:
    return {r.atopid: r for r in load_alliances()}


def _answer(lines: list[str], number: int) -> str:
    """The lines after question `number` up to the next question (plain layout)."""
    text = "\n".join(lines)
    start = text.index(f"\n{number}. ") if number > 1 else text.index("1. ")
    end = text.index(f"\n{number + 1}. ", start)
    body = text[start:end].strip().split("\n", 1)
    return body[1] if len(body) > 1 else ""


def test_template_has_61_questions_and_five_sections() -> None:
    tpl = template()
    assert sorted(tpl.questions) == list(range(1, 62))
    assert len(tpl.sections) == 5
    assert tpl.questions[20].endswith("listed in #19.")


def test_the_6070_sheet_carries_its_published_facts(alliances) -> None:
    lines = render_sheet(alliances[6070], PLAIN, random.Random(0))
    text = "\n".join(lines)
    assert "1. ATOP ID: 6070" in text
    assert "2. COW Alliance # (if applicable): N/A" in text
    assert "November 11, 2013" in _answer(lines, 3)
    assert "Russia (365)" in _answer(lines, 4) and "Kazakhstan (705)" in _answer(lines, 4)
    assert _answer(lines, 6) == "Treaty"
    assert "five years" in _answer(lines, 10) or "5 years" in _answer(lines, 10)
    assert _answer(lines, 14).startswith("Still in effect as of ")
    assert "Nonaggression" in _answer(lines, 16) or "Non-aggression" in _answer(lines, 16)


def test_multilateral_sheet_with_accessions_gives_per_member_or_group_dates(alliances) -> None:
    nato = alliances[3180]  # NATO: founders in 1949, accessions later
    answer = _answer(render_sheet(nato, PLAIN, random.Random(1)), 3)
    assert "April 4, 1949" in answer
    assert "October 22, 1951" in answer  # Greece and Turkey's accession protocol
    assert "May 19, 2016" in answer  # Montenegro
    assert len(answer.splitlines()) > 1


def test_secret_alliance_says_secret(alliances) -> None:
    secret = next(r for r in alliances.values() if r.row["pubsecr"] == "2")
    assert _answer(render_sheet(secret, PLAIN, random.Random(0)), 7) == "Secret."


def test_terminated_alliance_states_its_end_date(alliances) -> None:
    rec = alliances[1005]  # ended February 8, 1815 for every member
    assert "February 8, 1815" in _answer(render_sheet(rec, PLAIN, random.Random(0)), 14)


def test_missing_day_renders_month_and_year() -> None:
    assert format_date((1913, 11, None), "mdy") == "November 1913"
    assert format_date((1913, 11, None), "numeric") == "November 1913"
    assert format_date((2013, 11, 11), "dmy") == "11 November 2013"
    assert format_date((2020, 7, 7), "numeric") == "7/7/2020"


@pytest.mark.parametrize(
    ("months", "expected"),
    [(120, {"ten years", "10 years"}), (76, {"six years and four months", "6 years and 4 months"}), (3, {"three months", "3 months"})],
)
def test_duration_text_spells_months_as_years_and_months(months: int, expected: set[str]) -> None:
    assert duration_text(months, random.Random(months)) in expected


def test_member_forms() -> None:
    assert member_label(365) == "Russia (365)"
    assert member_label(365, "ccode_first") == "365 Russia"
    assert member_label(365, "comma") == "Russia, 365"


def test_asymmetric_alliance_answers_no_to_symmetry(alliances) -> None:
    rec = next(r for r in alliances.values() if r.row["asymm"] == "1")
    assert _answer(render_sheet(rec, PLAIN, random.Random(0)), 24).startswith("No.")


def test_empty_answer_runs_straight_into_the_section_header(alliances) -> None:
    lines = render_sheet(alliances[6070], PLAIN, random.Random(0))
    i = next(i for i, line in enumerate(lines) if line.startswith("28. "))
    assert lines[i + 1].startswith("SECTION III")


def test_page_quirks_add_form_feeds_page_numbers_and_repeated_headers() -> None:
    style = SurfaceStyle(**{**PLAIN.__dict__, "pages": "page_of", "running_header": True, "crlf": True})
    text = apply_text_quirks([f"line {i}" for i in range(200)], style, random.Random(0), header="ATOP Codesheet 6070")
    pages = text.split("\f")
    assert len(pages) >= 3
    assert all(p.lstrip("\r\n").startswith("ATOP Codesheet 6070") for p in pages)
    assert f"Page 1 of {len(pages)}\r\n" in pages[0]
    assert "\n" not in text.replace("\r\n", "")
