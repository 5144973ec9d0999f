"""The Correlates of War state list: COW country codes and the names sheets use for them."""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from importlib import resources

#: Codes ATOP uses although the COW list lacks them. The codebook (dyad-year notes, footnote 18):
#: "ATOPID 1320 is an alliance between France and Annam. Annam is a member of the state-system
#: according to Gleditsch and Ward, but not according to COW, and thus has no 3 digit COW
#: country code" -- the member file codes it 8152.
ATOP_EXTRA_STATES: dict[int, str] = {8152: "Annam"}

#: Names sheets commonly use that differ from the COW list's StateNme.
_ALIASES: dict[str, int] = {
    "usa": 2,
    "us": 2,
    "u s": 2,
    "u s a": 2,
    "united states": 2,
    "america": 2,
    "uk": 200,
    "u k": 200,
    "britain": 200,
    "great britain": 200,
    "england": 200,
    "united kingdom of great britain and northern ireland": 200,
    "russian federation": 365,
    "ussr": 365,
    "soviet union": 365,
    "russia ussr": 365,
    "west germany": 260,
    "frg": 260,
    "federal republic of germany": 260,
    "east germany": 265,
    "gdr": 265,
    "prussia": 255,
    "austria hungary": 300,
    "turkey ottoman empire": 640,
    "ottoman empire": 640,
    "turkiye": 640,
    "persia": 630,
    "siam": 800,
    "burma": 775,
    "zaire": 490,
    "drc": 490,
    "dr congo": 490,
    "republic of korea": 732,
    "rok": 732,
    "dprk": 731,
    "democratic people s republic of korea": 731,
    "cote d ivoire": 437,
    "north macedonia": 343,
    "czechia": 316,
    "slovak republic": 317,
    "kyrgyz republic": 703,
    "eswatini": 572,
    "timor leste": 860,
    "peoples republic of china": 710,
    "people s republic of china": 710,
    "prc": 710,
    "republic of china": 713,
    "south vietnam": 817,
    "north vietnam": 816,
    "annam": 8152,
}


def normalise_name(name: str) -> str:
    """Lower-case ASCII words of a state name, for lookups ("Côte d'Ivoire" -> "cote d ivoire")."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    folded = folded.replace("&", " and ")
    return " ".join(re.findall(r"[a-z0-9]+", folded.lower()))


@functools.cache
def cow_states() -> dict[int, str]:
    """COW country code -> state name, deduplicated (the list has one row per membership spell)."""
    text = resources.files("atop_pipeline.reference").joinpath("cow_states.csv").read_text(encoding="utf-8")
    states: dict[int, str] = {}
    for row in csv.DictReader(io.StringIO(text)):
        code = row.get("CCode", "").strip()
        if code.isdigit():
            states.setdefault(int(code), row.get("StateNme", "").strip())
    return states


@functools.cache
def cow_abbreviations() -> dict[str, int]:
    """COW state abbreviation ("RUS", "UKG") -> COW code."""
    text = resources.files("atop_pipeline.reference").joinpath("cow_states.csv").read_text(encoding="utf-8")
    out: dict[str, int] = {}
    for row in csv.DictReader(io.StringIO(text)):
        code, abb = row.get("CCode", "").strip(), row.get("StateAbb", "").strip()
        if code.isdigit() and abb:
            out.setdefault(abb.upper(), int(code))
    return out


def is_known_ccode(ccode: int) -> bool:
    """True if `ccode` is in the COW list or one of ATOP's documented extra codes (8152 Annam)."""
    return ccode in cow_states() or ccode in ATOP_EXTRA_STATES


def state_name(ccode: int) -> str | None:
    """The COW (or ATOP-extra) name for `ccode`, or None."""
    return cow_states().get(ccode) or ATOP_EXTRA_STATES.get(ccode)


@functools.cache
def _names_index() -> dict[str, int]:
    index: dict[str, int] = {}
    for code, name in cow_states().items():
        index.setdefault(normalise_name(name), code)
    for code, name in ATOP_EXTRA_STATES.items():
        index.setdefault(normalise_name(name), code)
    # Aliases win over list names only where the list has no such name.
    for alias, code in _ALIASES.items():
        index.setdefault(alias, code)
    return index


def lookup_ccode_by_name(name: str) -> int | None:
    """The COW code for a state name as sheets write it ("Russia", "USA", "Britain"), or None."""
    key = normalise_name(name)
    if not key:
        return None
    if name.strip().isupper() and name.strip() in cow_abbreviations():
        return cow_abbreviations()[name.strip()]
    index = _names_index()
    if key in index:
        return index[key]
    # "the United Kingdom", "Republic of Kazakhstan": drop a leading article / "republic of".
    for prefix in ("the ", "republic of ", "the republic of ", "kingdom of ", "the kingdom of ", "state of "):
        if key.startswith(prefix) and key[len(prefix) :] in index:
            return index[key[len(prefix) :]]
    return None


@functools.cache
def aliases_for(ccode: int) -> tuple[str, ...]:
    """Normalised alternative names sheets use for `ccode` ("west germany" for 260)."""
    return tuple(alias for alias, code in _ALIASES.items() if code == ccode and len(alias) >= 3)


@functools.cache
def _names_regex() -> re.Pattern[str]:
    # Longest names first so "Trinidad and Tobago" wins over a split at "and".
    names = sorted(_names_index(), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names if len(n) >= 3) + r")\b")


def find_state_names(text: str) -> list[tuple[int, str]]:
    """(ccode, name as matched) for every state name in running text, in order, longest match first."""
    out: list[tuple[int, str]] = []
    index = _names_index()
    for line in text.splitlines():
        key = normalise_name(line)
        for m in _names_regex().finditer(key):
            out.append((index[m.group(0)], m.group(0)))
    return out
