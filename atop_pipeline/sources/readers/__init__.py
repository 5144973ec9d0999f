"""Source readers: pure functions from a stored snapshot's bytes to a `SourceReading`.

`read_source` dispatches on the URL's host: adilet.zan.kz (and old.adilet.zan.kz, mirrors) to the adilet
reader, treaties.un.org to the UNTC reader, anything else to the generic reader. Readers never fetch.
"""

from __future__ import annotations

import codecs
import dataclasses
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

ReaderName = Literal["adilet", "untc", "generic"]
StatusNorm = Literal["in_force", "not_in_force", "unknown"]
Subject = Literal["ratifying_act", "treaty", "unknown"]


@dataclass(frozen=True)
class SourceReading:
    """What one stored page says about an act or treaty; field names are `source_readings` columns."""

    snapshot_id: str
    url: str
    reader: str  # "adilet" | "untc" | "generic"
    title: str
    language: str | None  # "ru" | "kk" | "en" | None
    status_class: str | None  # the page's raw status class, e.g. "status_new"
    status_norm: str  # "in_force" | "not_in_force" | "unknown"
    subject: str  # "ratifying_act" | "treaty" | "unknown": whose status status_norm is
    act_date: dt.date | None
    act_number: str | None
    repeal_date: dt.date | None  # date of the repealing act
    repeal_effective_date: dt.date | None  # when the repeal takes effect, if the page names a date
    entry_into_force_date: dt.date | None  # the treaty's entry into force (footnote), if given
    denunciation: bool  # the page shows signs of denunciation or termination of the treaty
    source_as_of: dt.date | None  # the source's own "as of" date (adilet footer)
    text_sha256: str  # sha256 of the extracted, whitespace-normalised main text
    dates_json: str  # JSON list of ISO dates mentioned in the main text
    evidence_text: str  # the sentence(s) the reading relied on

    def dates(self) -> list[dt.date]:
        """The dates mentioned, as date objects."""
        return [dt.date.fromisoformat(d) for d in json.loads(self.dates_json or "[]")]


def reading_row(reading: SourceReading) -> dict[str, Any]:
    """The reading as a `source_readings` row: a dict of JSON-safe values (dates as ISO text)."""
    return {k: _json_safe(v) for k, v in dataclasses.asdict(reading).items()}


def _json_safe(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------------------------
# Decoding: BOM -> HTTP charset -> <meta> charset -> detector. Never requests' ISO-8859-1 default.

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
def header_value(headers: dict[str, str] | None, name: str) -> str | None:
    """A header's value looked up case-insensitively."""
    if not headers:
        return None
    lname = name.lower()
    for k, v in headers.items():
        if k.lower() == lname:
            return v
    return None


def _is_single_byte(codec: str) -> bool:
    try:
        name = codecs.lookup(codec).name
    except LookupError:
        return False
    return bool(re.match(r"(cp125\d|iso8859-\d+|latin-?1|koi8|mac-|cp866|ascii)", name))


def decode_body(body: bytes, headers: dict[str, str] | None = None) -> tuple[str, str]:
    """The body as text and the codec used: BOM, HTTP charset, `<meta>`, then detection (the fetcher's chain).

    Never the ISO-8859-1 default. A declared charset that cannot decode the bytes is passed over for
    strict UTF-8 and then detection, so a lying header does not produce mojibake.
    """
    from atop_pipeline.sources.http import detect_encoding

    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace"), codec
    declared = detect_encoding(body, header_value(headers, "content-type"))
    order: tuple[str | None, ...] = (declared, "utf-8")
    if declared and _is_single_byte(declared) and not body.isascii():
        # Non-ASCII bytes that are valid UTF-8 are almost never a single-byte Cyrillic page: a header
        # saying windows-1251 over UTF-8 bytes would give «РЈС‚СЂР°С‚РёР»» mojibake (notes §3.7).
        order = ("utf-8", declared)
    for codec in order:
        if not codec:
            continue
        try:
            return body.decode(codec), codec
        except (UnicodeDecodeError, LookupError):
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    if best is not None and best.encoding:
        return str(best), best.encoding
    return body.decode("utf-8", errors="replace"), "utf-8"


def text_sha256(text: str) -> str:
    """sha256 of text with whitespace collapsed (so a re-indented page with the same words hashes the same)."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def dates_json(dates: list[dt.date]) -> str:
    """A sorted, de-duplicated JSON list of ISO dates."""
    return json.dumps(sorted({d.isoformat() for d in dates}))


def host_of(url: str) -> str:
    """The lower-cased host of `url` ("" when it has none)."""
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def read_source(
    url: str, body: bytes, headers: dict[str, str] | None = None, *, snapshot_id: str = ""
) -> SourceReading:
    """Read a stored page with the reader for its host (adilet, UNTC, or generic)."""
    from atop_pipeline.sources.adilet_urls import is_adilet_host
    from atop_pipeline.sources.readers import adilet, generic, untc

    host = host_of(url)
    if is_adilet_host(host):
        return adilet.read_adilet(url, body, headers, snapshot_id=snapshot_id)
    if host in untc.UNTC_HOSTS:
        return untc.read_untc(url, body, headers, snapshot_id=snapshot_id)
    return generic.read_generic(url, body, headers, snapshot_id=snapshot_id)


__all__ = ["SourceReading", "decode_body", "read_source", "reading_row"]
