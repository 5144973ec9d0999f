"""The generic reader: for any host without its own reader, keep what every page has.

Title, language, dates mentioned and a text hash make a snapshot comparable over time even when the
page carries no status signal (Avalon-style text-only pages, notes §2). Status is always unknown.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from atop_pipeline.sources.readers import (
    SourceReading,
    dates_json,
    decode_body,
    text_sha256,
)
from atop_pipeline.sources.readers.dates import find_dates

_KAZAKH_LETTERS = re.compile(r"[әіңғүұқөһӘІҢҒҮҰҚӨҺ]")
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_LATIN = re.compile(r"[A-Za-z]")
_EN_WORDS = re.compile(r"\b(?:the|of|and|to|in|shall|treaty|agreement)\b", re.IGNORECASE)


def parse_html(text: str) -> BeautifulSoup:
    """A BeautifulSoup tree of `text` (lxml parser)."""
    return BeautifulSoup(text, "lxml")


def clean_text(text: str) -> str:
    """Text with non-breaking spaces made plain and runs of whitespace collapsed."""
    return " ".join(text.replace("\xa0", " ").split())


def visible_text(soup: BeautifulSoup) -> str:
    """The page's readable text: scripts, styles and templates removed, whitespace collapsed."""
    body = soup.body or soup
    for tag in body.find_all(["script", "style", "noscript", "template"]):
        tag.decompose()
    return clean_text(body.get_text(" "))


def language_from_attr(value: str | None) -> str | None:
    """"ru"/"kk"/"en" from an html lang attribute such as "ru-RU" or "kk"; None for others."""
    if not value:
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return {"ru": "ru", "rus": "ru", "kk": "kk", "kz": "kk", "kaz": "kk", "en": "en", "eng": "en"}.get(code)


def guess_language(text: str) -> str | None:
    """"kk", "ru" or "en" from the letters used; None when the text is too short or mixed to tell."""
    sample = text[:20000]
    cyr = len(_CYRILLIC.findall(sample)) + len(_KAZAKH_LETTERS.findall(sample))
    lat = len(_LATIN.findall(sample))
    if cyr + lat < 20:
        return None
    if cyr > lat:
        # Kazakh-only letters are frequent in Kazakh text and absent from Russian.
        return "kk" if len(_KAZAKH_LETTERS.findall(sample)) / cyr > 0.02 else "ru"
    if lat > cyr and _EN_WORDS.search(sample):
        return "en"
    return None


def read_generic(
    url: str, body: bytes, headers: dict[str, str] | None = None, *, snapshot_id: str = ""
) -> SourceReading:
    """A reading with title, language, dates mentioned and text hash; status unknown."""
    text, _codec = decode_body(body, headers)
    soup = parse_html(text)
    html = soup.find("html")
    lang_attr = html.get("lang") if html is not None else None
    title_tag = soup.find("title")
    h1 = soup.find("h1")
    title = clean_text(title_tag.get_text()) if title_tag else ""
    if not title and h1 is not None:
        title = clean_text(h1.get_text())
    main = visible_text(soup)
    language = language_from_attr(lang_attr if isinstance(lang_attr, str) else None) or guess_language(main)
    found = find_dates(main)
    return SourceReading(
        snapshot_id=snapshot_id,
        url=url,
        reader="generic",
        title=title,
        language=language,
        status_class=None,
        status_norm="unknown",
        subject="unknown",
        act_date=None,
        act_number=None,
        repeal_date=None,
        repeal_effective_date=None,
        entry_into_force_date=None,
        denunciation=False,
        source_as_of=None,
        text_sha256=text_sha256(main),
        dates_json=dates_json([f.date for f in found]),
        evidence_text="",
    )
