"""Dates as adilet and other treaty sources write them: Russian, Kazakh, English and numeric forms."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

#: Russian genitive month names ("29 октября 2015 года"); nominative forms tolerated too.
RU_MONTHS: dict[str, int] = {
    "январ": 1, "феврал": 2, "март": 3, "апрел": 4, "ма": 5, "июн": 6,
    "июл": 7, "август": 8, "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12,
}
#: Kazakh month stems (notes §1.5); they take case endings: "маусымдағы", "шілдеде", "желтоқсанда".
KK_MONTHS: dict[str, int] = {
    "қаңтар": 1, "ақпан": 2, "наурыз": 3, "сәуір": 4, "мамыр": 5, "маусым": 6,
    "шілде": 7, "тамыз": 8, "қыркүйек": 9, "қазан": 10, "қараша": 11, "желтоқсан": 12,
}
EN_MONTHS: dict[str, int] = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}

_RU_MONTH_RE = r"(?:января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря)"
_KK_MONTH_RE = r"(?:" + "|".join(KK_MONTHS) + r")[а-яәіңғүұқөһ]*"
_EN_MONTH_RE = r"(?:" + "|".join(EN_MONTHS) + r")"

#: "29 октября 2015 года", "07 июля 2016 г."
RU_DATE = re.compile(rf"\b(\d{{1,2}})\s+({_RU_MONTH_RE})\s+(\d{{4}})(?:\s*(?:года|г\.))?", re.IGNORECASE)
#: "2025 жылғы 10 маусымдағы", "2013 жылғы 30 шілдеде"
KK_DATE = re.compile(rf"\b(\d{{4}})\s+жылғы\s+(\d{{1,2}})\s+({_KK_MONTH_RE})", re.IGNORECASE)
#: "30 May 2005"
EN_DMY = re.compile(rf"\b(\d{{1,2}})\s+({_EN_MONTH_RE})\s*,?\s+(\d{{4}})\b", re.IGNORECASE)
#: "June 29, 2020"
EN_MDY = re.compile(rf"\b({_EN_MONTH_RE})\s+(\d{{1,2}})\s*,?\s+(\d{{4}})\b", re.IGNORECASE)
#: "10.06.2025" (day first, as everywhere on adilet)
NUMERIC = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4})(?![\d.]\d)")
#: "2025-06-10"
ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


@dataclass(frozen=True)
class FoundDate:
    """A date found in text, with where it sits and the text it was read from."""

    date: dt.date
    start: int
    end: int
    text: str


def _month_from(word: str, table: dict[str, int]) -> int | None:
    w = word.lower()
    # longest stem first so "март" is not mistaken for "ма"(й)
    for stem in sorted(table, key=len, reverse=True):
        if w.startswith(stem):
            return table[stem]
    return None


def _make(year: int, month: int | None, day: int) -> dt.date | None:
    if month is None:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:  # "31.02.2015" is a typo on the page, not a date
        return None


def find_dates(text: str) -> list[FoundDate]:
    """Every date written in `text` (Russian, Kazakh, English, DD.MM.YYYY, ISO), in order of position."""
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []

    def add(m: re.Match[str], d: dt.date | None) -> None:
        if d is None:
            return
        if any(not (m.end() <= s or m.start() >= e) for s, e in taken):
            return
        taken.append((m.start(), m.end()))
        found.append(FoundDate(d, m.start(), m.end(), m.group(0)))

    for m in KK_DATE.finditer(text):
        add(m, _make(int(m.group(1)), _month_from(m.group(3), KK_MONTHS), int(m.group(2))))
    for m in RU_DATE.finditer(text):
        add(m, _make(int(m.group(3)), _month_from(m.group(2), RU_MONTHS), int(m.group(1))))
    for m in EN_DMY.finditer(text):
        add(m, _make(int(m.group(3)), EN_MONTHS[m.group(2).lower()], int(m.group(1))))
    for m in EN_MDY.finditer(text):
        add(m, _make(int(m.group(3)), EN_MONTHS[m.group(1).lower()], int(m.group(2))))
    for m in NUMERIC.finditer(text):
        add(m, _make(int(m.group(3)), int(m.group(2)), int(m.group(1))))
    for m in ISO.finditer(text):
        add(m, _make(int(m.group(1)), int(m.group(2)), int(m.group(3))))
    found.sort(key=lambda f: f.start)
    return found


def first_date(text: str) -> dt.date | None:
    """The first date written in `text`, or None."""
    found = find_dates(text)
    return found[0].date if found else None


def last_date(text: str) -> dt.date | None:
    """The last date written in `text`, or None."""
    found = find_dates(text)
    return found[-1].date if found else None
