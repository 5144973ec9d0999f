"""The UN Treaty Collection reader for UNTS record pages (`treaties.un.org/Pages/showDetails.aspx?objid=…`).

Per the notes (§2, scraper-sourced): the record carries `span#lblTitle1`, `lblRegNum1`, `lblRegDate1`,
`lblAgreementType1`, and an "EIF information" entry such as «14 January 2007, in accordance with article 11».
A UNTS record proves registration and entry into force, not that the treaty is in force today (later
actions, including denunciation, are on showActionDetails), so the status stays unknown.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from atop_pipeline.sources.readers import SourceReading, dates_json, decode_body, text_sha256
from atop_pipeline.sources.readers.dates import find_dates, first_date
from atop_pipeline.sources.readers.generic import clean_text, parse_html, visible_text

UNTC_HOSTS: frozenset[str] = frozenset({"treaties.un.org", "www.treaties.un.org"})
_EIF_LABEL = re.compile(r"^\s*EIF\s+information\s*:?\s*$", re.IGNORECASE)


def _span_text(soup: BeautifulSoup, ident: str) -> str:
    tag = soup.find(id=re.compile(rf"(?:^|_){ident}$"))
    return clean_text(tag.get_text(" ")) if isinstance(tag, Tag) else ""


def _eif_text(soup: BeautifulSoup) -> str:
    """The value next to the "EIF information" label (a table cell or the following element)."""
    label = soup.find(string=_EIF_LABEL)
    if label is None:
        return ""
    holder = label.parent
    if isinstance(holder, Tag) and holder.name not in {"td", "th"}:
        cell = holder.find_parent(["td", "th"])
        holder = cell or holder
    nxt = holder.find_next_sibling() if isinstance(holder, Tag) else None
    return clean_text(nxt.get_text(" ")) if isinstance(nxt, Tag) else ""


def read_untc(
    url: str, body: bytes, headers: dict[str, str] | None = None, *, snapshot_id: str = ""
) -> SourceReading:
    """Read a UNTS record page: title, registration, entry into force; status unknown."""
    text, _codec = decode_body(body, headers)
    soup = parse_html(text)
    title = _span_text(soup, "lblTitle1")
    if not title:
        tag = soup.find("title")
        title = clean_text(tag.get_text()) if tag else ""
    reg_num = _span_text(soup, "lblRegNum1") or None
    reg_date = first_date(_span_text(soup, "lblRegDate1"))
    eif = _eif_text(soup)
    main = visible_text(soup)
    evidence = []
    if reg_num:
        evidence.append(f"UNTS registration {reg_num}" + (f" on {reg_date.isoformat()}" if reg_date else ""))
    if eif:
        evidence.append(f"EIF information: {eif}")
    return SourceReading(
        snapshot_id=snapshot_id,
        url=url,
        reader="untc",
        title=title,
        language="en",
        status_class=None,
        status_norm="unknown",
        subject="treaty",
        act_date=reg_date,
        act_number=reg_num,
        repeal_date=None,
        repeal_effective_date=None,
        entry_into_force_date=first_date(eif) if eif else None,
        denunciation=False,  # later actions live on showActionDetails, not here
        source_as_of=None,
        text_sha256=text_sha256(main),
        dates_json=dates_json([f.date for f in find_dates(main)]),
        evidence_text=" | ".join(evidence),
    )
