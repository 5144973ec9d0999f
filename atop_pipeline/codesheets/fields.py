"""Pure helpers that turn answer text into typed values: dates, members, durations, provisions, URLs.

Every function takes text and returns values (plus warnings as strings); none reads files or the
network. The parser decides which question's answer each helper sees.
"""

from __future__ import annotations

import calendar
import functools
import re
from collections import Counter
from dataclasses import dataclass, field

from atop_pipeline.codesheets.cow import aliases_for, find_state_names, lookup_ccode_by_name, normalise_name, state_name
from atop_pipeline.codesheets.model import PartialDate

# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------

_MONTHS: dict[str, int] = {}
for _i, _name in enumerate(calendar.month_name):
    if _name:
        _MONTHS[_name.lower()] = _i
        _MONTHS[_name[:3].lower()] = _i
_MONTHS["sept"] = 9

_MONTH_RE = r"(?:january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"

_DATE_RE = re.compile(
    rf"""
    (?P<iso>\b(?P<iy>\d{{4}})-(?P<im>\d{{1,2}})-(?P<id>\d{{1,2}})\b)
  | (?P<mdy>\b(?P<nm>\d{{1,2}})/(?P<nd>\d{{1,2}})/(?P<ny>\d{{4}})\b)
  | (?P<dmy_dot>\b(?P<ed>\d{{1,2}})\.(?P<em>\d{{1,2}})\.(?P<ey>\d{{4}})\b)
  | (?P<mdy_text>\b(?P<tm>{_MONTH_RE})\.?\s+(?P<td>\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s+(?P<ty>\d{{4}})\b)
  | (?P<dmy_text>\b(?P<dd>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<dm>{_MONTH_RE})\.?\s*,?\s+(?P<dy>\d{{4}})\b)
  | (?P<my_text>\b(?P<mm>{_MONTH_RE})\.?\s*,?\s+(?P<my>\d{{4}})\b)
  | (?P<year>(?<![\d/.\-])\b(?P<yy>1[6-9]\d\d|20\d\d)\b(?![\d/\-]))
    """,
    re.IGNORECASE | re.VERBOSE,
)


@dataclass(frozen=True)
class DateMatch:
    """A date found in text: the value (None if impossible, e.g. February 30), its span and text."""

    value: PartialDate | None
    start: int
    end: int
    text: str
    year_only: bool


def _make_date(year: int, month: int | None, day: int | None, text: str) -> PartialDate | None:
    if month is not None and not 1 <= month <= 12:
        return None
    if day is not None:
        if month is None or not 1 <= day <= calendar.monthrange(year, month)[1]:
            return None
    return PartialDate(year=year, month=month, day=day, text=text)


#: Texts up to this length have their dates/durations memoised (a hostile 20 MB answer is not kept).
MEMO_MAX_CHARS = 20_000


def find_dates(text: str) -> list[DateMatch]:
    """Every date in `text`, in order; impossible dates come back with value None."""
    return list(_find_dates_memo(text) if len(text) <= MEMO_MAX_CHARS else _find_dates(text))


def _find_dates(text: str) -> tuple[DateMatch, ...]:
    found: list[DateMatch] = []
    for m in _DATE_RE.finditer(text):
        raw = m.group(0)
        if m.group("iso"):
            value = _make_date(int(m["iy"]), int(m["im"]), int(m["id"]), raw)
        elif m.group("mdy"):
            # ATOP sheets are written in the US: 7/7/2020, 2/18/1952 are month/day/year.
            value = _make_date(int(m["ny"]), int(m["nm"]), int(m["nd"]), raw)
        elif m.group("dmy_dot"):
            # Dotted dates are European day.month.year ("11.11.2013").
            value = _make_date(int(m["ey"]), int(m["em"]), int(m["ed"]), raw)
        elif m.group("mdy_text"):
            value = _make_date(int(m["ty"]), _MONTHS[m["tm"].lower()], int(m["td"]), raw)
        elif m.group("dmy_text"):
            value = _make_date(int(m["dy"]), _MONTHS[m["dm"].lower()], int(m["dd"]), raw)
        elif m.group("my_text"):
            value = _make_date(int(m["my"]), _MONTHS[m["mm"].lower()], None, raw)
        else:
            value = _make_date(int(m["yy"]), None, None, raw)
        found.append(DateMatch(value, m.start(), m.end(), raw, bool(m.group("year"))))
    return tuple(found)


# The same segment is searched for dates three or four times while a sheet's Q3/Q14 are split and
# assigned; DateMatch is frozen, so the tuples can be shared.
_find_dates_memo = functools.lru_cache(maxsize=512)(_find_dates)


def parse_date(text: str) -> PartialDate | None:
    """The first valid date in `text` (a full date preferred over a bare year), or None."""
    matches = find_dates(text)
    for m in matches:
        if m.value is not None and not m.year_only:
            return m.value
    for m in matches:
        if m.value is not None:
            return m.value
    return None


def date_key(d: PartialDate) -> tuple[int, int, int]:
    """Sort key for partial dates: unknown month/day sort first within their year/month."""
    return (d.year, d.month or 0, d.day or 0)


# --------------------------------------------------------------------------------------------
# Members
# --------------------------------------------------------------------------------------------

_CONNECTOR_RE = re.compile(r"^(?:[\s,;:.\-–—/&]|\band\b|\bthe\b|\bwith\b)+", re.IGNORECASE)
_NAME_TAIL_RE = re.compile(r"[\s,;:.\-–—(]+$")
_PAREN_CODE_RE = re.compile(r"[(\[]\s*(?:ccode|cow(?:\s+code)?|code)?\s*[:#=]?\s*(\d{1,4})\s*[)\]]", re.IGNORECASE)
_CODE_FIRST_RE = re.compile(r"^\s*(\d{1,4})\s*(?:[-–—:.)=]\s*|\s+)([A-Za-z\u00C0-\u024F][^\d()]*?)\s*$")
_NAME_FIRST_RE = re.compile(r"^\s*([A-Za-z\u00C0-\u024F][^\d()]*?)\s*(?:[,\-–—:=]|\s)\s*(\d{1,4})\s*$")
_SPLIT_CHUNKS_RE = re.compile(r"\s*(?:;|,(?!\s*\d)|\band\b)\s*", re.IGNORECASE)
_LEADING_LABEL_RE = re.compile(
    r"^(?:members?|signator(?:y|ies)|original\s+members?|parties|accession\s+of|accessions?|joined|"
    r"acceded|and)\b[\s:,\-–—]*",
    re.IGNORECASE,
)


_LEADING_VERB_RE = re.compile(r"^\s*(?:are|is|were|was|include[sd]?|including|being)\s+(?=[A-Z\u00C0-\u024F])")


@dataclass(frozen=True)
class MemberMention:
    """A member named in an answer: COW code and the name as written ("" if only a code)."""

    ccode: int
    name: str


def _clean_name(raw: str) -> str:
    # In running prose the name is the last clause before the code: "...signed; the Netherlands".
    raw = re.split(r"[;:()\[\]]|,|\.\s+(?=[A-Za-z])|\s[—–-]\s", raw)[-1]
    raw = re.sub(r"^(?:\s*\b[a-z][\w'’]*\b)+\s*(?=[A-Z\u00C0-\u024F])", "", raw.strip())
    name = _CONNECTOR_RE.sub("", raw)
    name = _LEADING_LABEL_RE.sub("", name)
    # "The members are Hesse Grand Ducal": the label came off, its verb must too.
    name = _LEADING_VERB_RE.sub("", name)
    name = _NAME_TAIL_RE.sub("", name).strip()
    # In running prose the name is the last few words before the code.
    words = name.split()
    if len(words) > 6:
        name = " ".join(words[-6:])
    return name


def parse_members(text: str) -> list[MemberMention]:
    """Members as `Name (ccode)`, `ccode Name`, `Name, ccode`, `Name - ccode` or bare names."""
    mentions: list[MemberMention] = []
    for line in _join_split_codes(text.splitlines()):
        if not line.strip():
            continue
        paren = list(_PAREN_CODE_RE.finditer(line))
        if paren:
            prev = 0
            for m in paren:
                mentions.append(MemberMention(int(m.group(1)), _clean_name(line[prev : m.start()])))
                prev = m.end()
            continue
        # Lines of comma-separated chunks: "200 United Kingdom, 220 France" or "France - 220".
        chunks = [line] if _CODE_FIRST_RE.match(line) or _NAME_FIRST_RE.match(line) else re.split(r"[;,]", line)
        for chunk in chunks:
            m = _CODE_FIRST_RE.match(chunk)
            if m:
                mentions.append(MemberMention(int(m.group(1)), _clean_name(m.group(2))))
                continue
            m = _NAME_FIRST_RE.match(chunk)
            if m:
                mentions.append(MemberMention(int(m.group(2)), _clean_name(m.group(1))))
    if mentions and _is_list_numbering(mentions):
        # "1. Kazakhstan / 2. Russia": list numbers, not COW codes; look the names up instead.
        named = [MemberMention(code, m.name) for m in mentions if (code := lookup_ccode_by_name(m.name)) is not None]
        if named:
            return named
    if mentions:
        return mentions
    # Names only: look each up in the COW list ("Kazakhstan and Russia"); whole known names first
    # so "Trinidad and Tobago" is not split at "and".
    seen: set[int] = set()
    for line in text.splitlines():
        for chunk in _SPLIT_CHUNKS_RE.split(line):
            name = _clean_name(chunk)
            code = lookup_ccode_by_name(name) if name else None
            if code is not None and code not in seen:
                seen.add(code)
                mentions.append(MemberMention(code, name))
    found_whole = [(code, name) for code, name in find_state_names(text)]
    if {c for c, _ in found_whole} - seen:
        originals = {normalise_name(m.name): m.name for m in mentions}
        mentions = []
        seen = set()
        for code, key in found_whole:
            if code not in seen:
                seen.add(code)
                mentions.append(MemberMention(code, originals.get(key, _title_name(text, key))))
    return mentions


_LEADING_PAREN_CODE_RE = re.compile(r"^\s*[(\[]\s*(?:ccode|cow(?:\s+code)?|code)?\s*[:#=]?\s*\d{1,4}\s*[)\]]", re.IGNORECASE)
_NAME_THEN_CODE_RE = re.compile(r"^\s*[A-Za-z\u00C0-\u024F][^\d(),;]*[(\[]\s*\d{1,4}\s*[)\]]")


def _join_split_codes(lines: list[str]) -> list[str]:
    """Rejoin "Name (code)" lists wrapped between a name and its code, or inside a name.

    "..., Belgium" + "(211), Luxembourg (212)" and "..., Central African" + "Republic (482), ..."
    are one list: the tail after the last code belongs to the first mention on the next line.
    """
    if len(lines) < 2:
        return lines
    out: list[str] = []
    for line in lines:
        if out and out[-1].strip() and line.strip():
            prev = out[-1]
            last = None
            for last in _PAREN_CODE_RE.finditer(prev):
                pass
            tail = prev[last.end() :] if last else ""
            dangling = last is not None and bool(tail.strip(" ,;&")) and not re.search(r"[.!?]\s*$", tail)
            if _LEADING_PAREN_CODE_RE.match(line) or (dangling and _NAME_THEN_CODE_RE.match(line)):
                out[-1] = f"{prev.rstrip()} {line.strip()}"
                continue
        out.append(line)
    return out


def _title_name(text: str, key: str) -> str:
    """The name as written in `text` for a normalised key (falls back to the key title-cased)."""
    pattern = r"[\W_]+".join(re.escape(w) for w in key.split())
    m = re.search(pattern, text, re.IGNORECASE)
    return m.group(0) if m else key.title()


def _is_list_numbering(mentions: list[MemberMention]) -> bool:
    codes = [m.ccode for m in mentions]
    if codes != list(range(1, len(codes) + 1)) or len(codes) < 2:
        return False
    return all(lookup_ccode_by_name(m.name) not in (None, m.ccode) for m in mentions)


@functools.lru_cache(maxsize=4096)  # pure (static COW names and aliases); called ~6 times per sheet
def member_patterns(ccode: int, name: str) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
    """Regexes finding a member in text: by its code in parentheses, and by its name(s)."""
    names = {normalise_name(name)} if name else set()
    cow = state_name(ccode)
    if cow:
        names.add(normalise_name(cow))
    names.update(aliases_for(ccode))
    names.discard("")
    code_re = re.compile(rf"\(\s*{ccode}\s*\)|(?<![\d/.\-]){ccode}(?=\s+[A-Za-z])")
    alternatives = []
    for n in sorted(names, key=len, reverse=True):
        alternatives.append(r"\b" + r"[\W_]+".join(re.escape(w) for w in n.split()) + r"\b")
    name_re = re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None
    return code_re, name_re


def members_named(
    text: str, patterns: list[tuple[int, tuple[re.Pattern[str], re.Pattern[str] | None]]]
) -> list[tuple[int, int, bool]]:
    """(ccode, position, named by code?) of members referenced in `text`.

    Codes win: if any member's code appears, only codes count. Names may overlap ("Germany"
    inside "West Germany"): the longest non-overlapping match wins.
    """
    by_code = []
    for code, (code_re, _) in patterns:
        m = code_re.search(text)
        if m:
            by_code.append((code, m.start(), True))
    if by_code:
        return by_code
    spans: list[tuple[int, int, int]] = []
    for code, (_, name_re) in patterns:
        if name_re is None:
            continue
        for m in name_re.finditer(text):
            spans.append((m.start(), m.end(), code))
    spans.sort(key=lambda s: (-(s[1] - s[0]), s[0]))
    taken: list[tuple[int, int]] = []
    found: dict[int, int] = {}
    for start, end, code in spans:
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        found.setdefault(code, start)
    return [(code, pos, False) for code, pos in sorted(found.items(), key=lambda kv: kv[1])]


# --------------------------------------------------------------------------------------------
# Per-member dates (signature Q3, termination Q14)
# --------------------------------------------------------------------------------------------

_SEGMENT_SPLIT_RE = re.compile(r"\n|;")


@dataclass
class DatedGroups:
    """Dates assigned to named members, plus dates given for everybody."""

    by_member: dict[int, list[PartialDate]]  # in order of appearance; several = several spells
    general: list[PartialDate]
    in_effect: set[int]  # members a segment says are still in effect (its date is an "as of")
    invalid: list[str]  # texts of impossible dates
    new_members: dict[int, str]  # members named by code here but absent from the member list
    #: members named by code only on lines with no date (after joining wrapped lines): a wrap the
    #: parser could not place, or a note; the caller warns if they end up with no date of their own
    undated: list[int] = field(default_factory=list)


#: Q3 wants signature dates: a clause about ratification or entry into force is something else.
NOT_SIGNATURE_RE = re.compile(
    r"\b(?:ratif\w*|entered\s+into\s+force|entry\s+into\s+force|came\s+into\s+force|in\s+force\s+(?:on|from|since)|"
    r"exchange\s+of\s+ratifications|deposit\w*)\b",
    re.IGNORECASE,
)


def dates_by_member(text: str, members: list[tuple[int, str]], *, skip: re.Pattern[str] | None = None) -> DatedGroups:
    """Assign each date in `text` to the members named beside it; dates naming nobody apply to all.

    Segments (lines, or parts split at ';') matching `skip` are ignored unless they are all there is
    and unless they also say "sign".
    """
    patterns = [(code, member_patterns(code, name)) for code, name in members]
    result = DatedGroups({}, [], set(), [], {})
    known = {code for code, _ in members}
    seen_codes: set[int] = set()
    segments = [seg for seg in _SEGMENT_SPLIT_RE.split(_join_wrapped_lines(text, skip)) if seg.strip()]
    if skip is not None:
        kept = [seg for seg in segments if not skip.search(seg) or _SIGN_WORD_RE.search(seg)]
        if any(find_dates(seg) for seg in kept):
            segments = kept
    for segment in _one_date_each(segments):
        dates = find_dates(segment)
        # A bare year next to a full date is part of prose ("signed in 1955 ... on May 5, 1955").
        full = [d for d in dates if not d.year_only]
        use = full or dates
        result.invalid.extend(d.text for d in use if d.value is None)
        valid = [d.value for d in use if d.value is not None]
        if not valid:
            # "Italy (325): still in effect" is a claim, not a lost date.
            if not use and "(" in segment and not _IN_EFFECT_RE.search(segment):
                for m in _PAREN_CODE_RE.finditer(segment):
                    if int(m.group(1)) not in result.undated:
                        result.undated.append(int(m.group(1)))
            continue
        # A member named by code is what the date is for, wherever it stands ("Iraq (645): March
        # 24, 1959", "8 June 1815: Hanover (240), ..."); a bare name counts only before the date:
        # after it, it is prose ("June 18, 1890 - Germany declined to renew").
        first_date = use[0].start
        blanked = _strip_dates(segment, dates)
        named = [code for code, pos, by_code in members_named(blanked, patterns) if by_code or pos < first_date]
        # "Accession of Turkey (640): 2/18/1952" when Q4 forgot Turkey: a member all the same.
        prev = 0
        for m in _PAREN_CODE_RE.finditer(blanked):
            code = int(m.group(1))
            if code not in known and code not in named:
                named.append(code)
                result.new_members.setdefault(code, _clean_name(blanked[prev : m.start()]))
            prev = m.end()
        if _IN_EFFECT_RE.search(segment):
            # "Still in effect as of 4/26/2020: Czech Republic (316)": not an exit date.
            if named:
                result.in_effect.update(named)
            else:
                result.general.append(valid[0])
            continue
        if named:
            # "(365)" per code in the segment: one scan instead of a pattern compiled per code.
            in_parens = Counter(_PAREN_NUMBER_RE.findall(blanked))
            for code in named:
                spells = result.by_member.setdefault(code, [])
                # The same member twice on one line, or on two lines with the same date, is two
                # spells (parallel bilateral phases); otherwise a repeated date is one spell.
                repeats = in_parens[str(code)]
                if valid[0] not in spells or repeats > 1 or code in seen_codes:
                    spells.extend([valid[0]] * max(1, repeats))
                seen_codes.add(code)
        else:
            result.general.append(valid[0])
    return result


_SIGN_WORD_RE = re.compile(r"\bsign", re.IGNORECASE)
_PAREN_NUMBER_RE = re.compile(r"\(\s*(\d+)\s*\)")
#: A line ending mid-list or mid-pair ("France (220) —" + "4 April 1949") goes on on the next line.
_WRAPPED_LINE_END_RE = re.compile(r"(?:,|&|\band|\(|:|[–—]|\s-)\s*$", re.IGNORECASE)
#: A line that can only continue the one before: it opens with a member's "(code)" or a list joiner.
_CONTINUATION_START_RE = re.compile(
    r"^\s*(?:[(\[]\s*(?:ccode|cow(?:\s+code)?|code)?\s*[:#=]?\s*\d{1,4}\s*[)\]]|[),;&]|and\b)", re.IGNORECASE
)
#: Lines that close a dated list: where it came from, or a link.
_SOURCE_LINE_RE = re.compile(r"^\W*(?:sources?\b|see\b|cf\.|https?://|www\.)", re.IGNORECASE)


def _starts_with_date(line: str, dates: list[DateMatch]) -> bool:
    return bool(dates) and not line[: dates[0].start].strip(" \t-–—•*:.,(")


def _join_wrapped_lines(text: str, skip: re.Pattern[str] | None = None) -> str:
    """Join the lines of one dated member group that extraction wrapped; groups stay one per line.

    A line continues the one before if that one ends mid-list ("..., " / " and" / ":" / " —"), if it opens
    with a member's code ("(211), Luxembourg (212)" after "..., Belgium"), or if it has no date of
    its own while the group before it opened with its date or an "in effect" claim ("19 June 1951:
    United States (2), ..." wrapped anywhere). A blank line, a "Source:" line, a line with its own
    date and (with `skip`) a line about something else (ratification) start afresh. "France (220)
    — date" lines close at their date: an undated line after one is left alone (the caller warns).
    """
    out: list[str] = []
    open_group = False  # the current group's dates come first, so undated lines continue it
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            out.append(line)
            open_group = False
            continue
        dates = find_dates(stripped)
        full = [d for d in dates if not d.year_only] or dates
        prev = out[-1].rstrip() if out and out[-1].strip() else None
        closes = bool(_SOURCE_LINE_RE.match(stripped))
        other_topic = skip is not None and bool(skip.search(stripped)) and not _SIGN_WORD_RE.search(stripped)
        continues = prev is not None and not closes and (
            bool(_WRAPPED_LINE_END_RE.search(prev))
            or bool(_CONTINUATION_START_RE.match(stripped))
            or (open_group and not full and not other_topic and not _IN_EFFECT_RE.search(stripped))
        )
        if continues:
            out[-1] = f"{prev} {stripped}"
            if full or _IN_EFFECT_RE.search(stripped):
                open_group = open_group or _opens_group(out[-1])
            continue
        out.append(line)
        open_group = not closes and _opens_group(stripped)
    return "\n".join(out)


def _opens_group(line: str) -> bool:
    """True if the line leads with its date or "in effect" claim, so its member list may wrap on."""
    dates = find_dates(line)
    full = [d for d in dates if not d.year_only] or dates
    if full and _starts_with_date(line, full):
        return True
    claim = _IN_EFFECT_RE.search(line)
    if claim is None:
        return False
    code = _PAREN_CODE_RE.search(line)
    return code is None or claim.start() < code.start()


def _one_date_each(segments: list[str]) -> list[str]:
    """Split segments holding several full dates so each holds one, keeping names beside theirs.

    "Kazakhstan signed November 11, 2013, Russia signed November 12, 2013" splits after each
    date (names first); "3 January 1815: UK (200), 13 January 1815: Bavaria (245)" splits before
    each date (dates first).
    """
    out: list[str] = []
    for segment in segments:
        full = [d for d in find_dates(segment) if not d.year_only]
        if len(full) < 2:
            out.append(segment)
            continue
        if not segment[: full[0].start].strip(" \t-–—•*:.,"):
            cuts = [d.start for d in full[1:]]
        else:
            cuts = [d.end for d in full[:-1]]
        start = 0
        for cut in cuts:
            out.append(segment[start:cut])
            start = cut
        out.append(segment[start:])
    return out


def _strip_dates(segment: str, dates: list[DateMatch]) -> str:
    # Blank out the dates so "2/18/1952" can never look like a COW code.
    out = segment
    for d in reversed(dates):
        out = out[: d.start] + " " * (d.end - d.start) + out[d.end :]
    return out


_IN_EFFECT_RE = re.compile(
    r"\b(?:still\s+in\s+(?:effect|force)|remains?\s+in\s+(?:effect|force)|(?:is|was)\s+in\s+(?:effect|force)|"
    r"in\s+(?:effect|force)\s+as\s+of|has\s+not\s+(?:yet\s+)?(?:been\s+)?terminated|not\s+(?:yet\s+)?terminated|"
    r"ongoing|no\s+termination|currently\s+in\s+(?:effect|force)|still\s+(?:valid|active)|^\W*in\s+(?:effect|force)\b)\b",
    re.IGNORECASE,
)
_UNKNOWN_RE = re.compile(r"^\W*(?:unknown|unclear|not\s+known|n/?a)\b", re.IGNORECASE)


def is_in_effect_claim(text: str) -> bool:
    """True if `text` says the alliance is still in effect ("Still in effect as of 7/7/2020")."""
    return bool(_IN_EFFECT_RE.search(text))


def is_unknown(text: str) -> bool:
    """True if `text` begins by saying the value is unknown."""
    return bool(_UNKNOWN_RE.match(text))


# --------------------------------------------------------------------------------------------
# Durations
# --------------------------------------------------------------------------------------------

_UNITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
          "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_NUMBER_WORDS: dict[str, int] = {w: i for i, w in enumerate(_UNITS)}
_NUMBER_WORDS.update(_TENS)
_NUMBER_WORDS.update({"a": 1, "an": 1})
_NUM_RE = (
    r"(?P<num>\d+|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine)\b)?"
    r"|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|an?)"
)


def number_from_words(text: str) -> int | None:
    """An integer written in digits or English words up to 99 ("twenty-two", "ten", "5")."""
    t = text.lower().strip()
    if t.isdigit():
        return int(t)
    parts = re.split(r"[\s-]+", t)
    if len(parts) == 2 and parts[0] in _TENS and parts[1] in _NUMBER_WORDS:
        return _TENS[parts[0]] + _NUMBER_WORDS[parts[1]]
    return _NUMBER_WORDS.get(t)


# A minus sign written against the number ("-5 years", "−5 years") makes it negative; a hyphen after
# a word, a digit or a bracket is a range or a compound ("2-3 years", "five-year") and does not.
_DURATION_RE = re.compile(
    rf"(?:(?<![\w.,)\]\-−])(?P<sign>[-−])(?=\d))?"
    rf"\b{_NUM_RE}\s*(?:\(\s*\d{{1,3}}\s*\)\s*)?[\s-]*(?P<unit>years?|months?|weeks?|days?)\b",
    re.IGNORECASE,
)
_UNIT_MONTHS = {"year": 12, "month": 1}
#: The longest term a sheet can plausibly state: ATOP's LENGTH and RENEWLGT run 0-1200 months (100 years).
MAX_PLAUSIBLE_MONTHS = 1200


@dataclass(frozen=True)
class DurationMatch:
    """A length of time in text ("5 years", "six months"), in months, with its span."""

    months: int
    start: int
    end: int


@dataclass(frozen=True)
class RejectedDuration:
    """A length of time that cannot be a treaty term ("-5 years", "5000 years"): text, reason, span."""

    text: str
    reason: str  # "negative" or "longer than 100 years: 60,000 months"
    start: int
    end: int


def _scan_durations(text: str) -> tuple[tuple[DurationMatch, ...], tuple[RejectedDuration, ...]]:
    """Plausible lengths of time in months (weeks/days rounded down), and the rejected ones."""
    return _scan_durations_memo(text) if len(text) <= MEMO_MAX_CHARS else _scan_durations_uncached(text)


def _scan_durations_uncached(text: str) -> tuple[tuple[DurationMatch, ...], tuple[RejectedDuration, ...]]:
    out: list[DurationMatch] = []
    rejected: list[RejectedDuration] = []
    for m in _DURATION_RE.finditer(text):
        n = number_from_words(m.group("num")) or 0
        unit = m.group("unit").lower().rstrip("s")
        if unit in _UNIT_MONTHS:
            months = n * _UNIT_MONTHS[unit]
        elif unit == "week":
            months = n * 7 // 30
        else:
            months = n // 30
        if m.group("sign"):
            rejected.append(RejectedDuration(m.group(0), "negative", m.start(), m.end()))
        elif months > MAX_PLAUSIBLE_MONTHS:
            reason = f"longer than {MAX_PLAUSIBLE_MONTHS // 12} years: {months:,} months"
            rejected.append(RejectedDuration(m.group(0), reason, m.start(), m.end()))
        else:
            out.append(DurationMatch(months, m.start(), m.end()))
    # "8 years and 10 months" is one duration of 106 months.
    merged: list[DurationMatch] = []
    for d in out:
        if merged and re.fullmatch(r"\s*(?:and|,)?\s*", text[merged[-1].end : d.start]) and merged[-1].months % 12 == 0 and d.months < 12:
            merged[-1] = DurationMatch(merged[-1].months + d.months, merged[-1].start, d.end)
        else:
            merged.append(d)
    return tuple(merged), tuple(rejected)


# Q10 and Q12 answers are scanned three or four times each (terms, renewal, notice, rejected values).
_scan_durations_memo = functools.lru_cache(maxsize=256)(_scan_durations_uncached)


def find_durations(text: str) -> list[DurationMatch]:
    """Every plausible length of time in `text` in months (weeks/days rounded down, min 0).

    Negative ("-5 years") and absurd (over 100 years) lengths are left out: see rejected_durations.
    """
    return list(_scan_durations(text)[0])


def rejected_durations(text: str) -> list[RejectedDuration]:
    """Lengths of time in `text` that cannot be a term: negative, or longer than 100 years."""
    return list(_scan_durations(text)[1])


_INDEFINITE_RE = re.compile(
    r"\b(?:indefinite(?:ly)?|unlimited|unspecified\s+(?:period|duration)|perpetu(?:al|ity|ally)|permanent(?:ly)?|"
    r"without\s+(?:a\s+)?(?:time\s+)?limit|no\s+(?:time\s+)?limit|until\s+(?:it\s+is\s+)?denounced|until\s+(?:one\s+of\s+the\s+|a\s+|either\s+|any\s+)?"
    r"(?:contracting\s+)?part(?:y|ies)\s+(?:withdraws?|denounces?|gives?\s+notice))\b",
    re.IGNORECASE,
)
_CONDITION_RE = re.compile(
    r"\b(?:for\s+the\s+duration\s+of|until\s+the\s+(?:end|conclusion|termination|cessation)\s+of|"
    r"until\s+(?:peace|the\s+war|the\s+conclusion)|end\s+of\s+(?:the\s+)?(?:current\s+|present\s+)?(?:war|hostilities|conflict)|"
    r"duration\s+of\s+the\s+(?:war|hostilities|conflict)|until\s+(?:such\s+time|the\s+achievement|the\s+signing))",
    re.IGNORECASE,
)
_RENEWAL_CONTEXT_RE = re.compile(
    r"(?:subsequent|successive|further|additional|another|renew\w*|extend\w*|extension|prolong\w*|each)\W+(?:\w+\W+){0,4}$",
    re.IGNORECASE,
)


def term_of_treaty(text: str) -> tuple[int | None, int | None]:
    """(SPECLGTH, LENGTH in months) from a length-of-time clause (Q10 answer after Yes/No).

    A term stated first but rejected ("-5 years", "5000 years") is a fixed term of unknown length
    (LENGTH None), never the next plausible number in the text; the caller warns about it.
    """
    found, refused = _scan_durations(text)
    durations = [d for d in found if not _is_notice(text, d) and d.months > 0]
    rejected = [r for r in refused if not _is_notice(text, r)]
    # The initial term is the one stated first: "until the end of the present war. It shall in
    # any case remain in force for 5 years" is a condition (SPECLGTH=2).
    options: list[tuple[int, int, int]] = []
    # ATOP records a stated term in LENGTH even when the treaty also runs "until the end of the
    # war" or indefinitely (e.g. ATOP 2440: SPECLGTH=2, LENGTH=60).
    length: int | None = durations[0].months if durations else 0
    if rejected and (not durations or rejected[0].start < durations[0].start):
        length = None
        options.append((rejected[0].start, 1, 0))
    elif durations:
        options.append((durations[0].start, 1, 0))
    indefinite = _INDEFINITE_RE.search(text)
    if indefinite:
        options.append((indefinite.start(), 3, 0))
    condition = _CONDITION_RE.search(text)
    if condition:
        options.append((condition.start(), 2, 0))
    if not options:
        return None, None
    _, code, _ = min(options)
    return code, length


def _is_notice(text: str, d: DurationMatch | RejectedDuration) -> bool:
    before = text[max(0, d.start - 30) : d.start].lower()
    after = text[d.end : d.end + 40].lower()
    if re.search(r"(?:less\s+than|least|later\s+than|within)\s*$", before):
        return True
    return bool(re.match(r"\W*(?:'s|’s|')?\s*(?:notice|notif|prior|before|in\s+advance|after\s+(?:the\s+)?(?:receipt|notif|notice|denunc))", after))


def renewal_terms(text: str) -> tuple[int | None, int | None, int | None]:
    """(PROREN, renewal months, notice months) from a renewal clause (Q12 answer)."""
    low = text.lower()
    automatic = re.search(
        r"automatic\w*|tacit\w*|shall\s+(?:then\s+)?(?:be\s+)?(?:extended|prolonged|renewed)|"
        r"will\s+(?:then\s+)?(?:be\s+)?(?:extended|prolonged|renewed)|remain\s+in\s+force\s+for\s+(?:successive|subsequent|further)|"
        r"unless\s+(?:one|either|any|a|neither|none)\b|if\s+(?:none|neither)\s+of",
        low,
    )
    active = re.search(r"may\s+be\s+(?:renewed|extended|prolonged)|by\s+(?:mutual\s+)?(?:agreement|consent)|renew", low)
    if automatic:
        proren: int | None = 2
    elif active:
        proren = 1
    else:
        proren = None
    renewal_months: int | None = 0
    renewal_found = False
    notice_months: int | None = None
    found, rejected = _scan_durations(text)
    # A rejected length ("-5 years") takes its place in the text but gives no value: that term is unknown.
    ordered: list[DurationMatch | RejectedDuration] = sorted([*found, *rejected], key=lambda d: d.start)
    for d in ordered:
        months = d.months if isinstance(d, DurationMatch) else None
        if _is_notice(text, d):
            if notice_months is None and months is not None:
                notice_months = months
            continue
        if renewal_found:
            continue
        before = text[max(0, d.start - 60) : d.start]
        periods_after = re.match(r"\s*periods?\b", text[d.end : d.end + 12], re.IGNORECASE)
        if _RENEWAL_CONTEXT_RE.search(before) or (
            periods_after and re.search(r"subsequent|successive|further|additional|other|each", before, re.IGNORECASE)
        ):
            renewal_months = months
            renewal_found = True
    if renewal_months == 0 and proren and re.search(r"from\s+year\s+to\s+year|year[\s-]by[\s-]year|annually", low):
        renewal_months = 12
    if not renewal_found and proren and _RENEWAL_LENGTH_UNKNOWN_RE.search(low):
        # The coder could not tell the renewal term: missing, not "0 = none specified".
        renewal_months = None
    return proren, renewal_months, notice_months


_RENEWAL_LENGTH_UNKNOWN_RE = re.compile(
    r"(?:length|term|period|duration)\s+of\s+(?:the\s+)?renewal(?:\s+(?:term|period))?\s+(?:is\s+)?(?:unknown|not\s+known|unclear)|"
    r"renewal\s+(?:term|period|length)\s+(?:is\s+)?(?:unknown|not\s+known|unclear)"
)


def renunciation_code(text: str) -> int | None:
    """RENOUNCE code from a renunciation clause (Q11 answer after Yes): 1-4, or None if unclear."""
    low = text.lower()
    if re.search(r"prohibit|may\s+not\s+(?:be\s+)?(?:renounce|denounce|withdraw)|cannot\s+(?:be\s+)?(?:renounce|denounce)|not\s+permitted", low):
        return 4
    if re.search(r"aggress|attack|violat|breach|hostile\s+act", low):
        return 2
    if re.search(
        r"after\s+(?:a\s+period\s+of\s+|the\s+(?:first|initial)\s+|the\s+expiry\s+of\s+)?\w+[\s-]+(?:years?|months?)|"
        r"after\s+the\s+(?:expir|end)|not\s+before|after\s+(?:it\s+has\s+been|being)\s+in\s+force",
        low,
    ):
        return 3
    if re.search(r"notice|notif|at\s+any\s+time|denounc|withdraw|renounc", low):
        return 1
    return None


# --------------------------------------------------------------------------------------------
# Obligations, establishment, secrecy, source
# --------------------------------------------------------------------------------------------

OBLIGATION_PATTERNS: dict[str, re.Pattern[str]] = {
    "defense": re.compile(r"\bdefen[cs]e|\bdefensive|mutual\s+(?:defen|assistance)", re.IGNORECASE),
    "offense": re.compile(r"\boffen[cs]e|\boffensive", re.IGNORECASE),
    "neutral": re.compile(r"\bneutral", re.IGNORECASE),
    "nonagg": re.compile(r"\bnon[\s\-–]?aggress?ion|\bnonagg", re.IGNORECASE),
    "consul": re.compile(r"\bconsult", re.IGNORECASE),
}


def obligation_types(text: str) -> dict[str, int]:
    """Obligation dummies (defense/offense/neutral/nonagg/consul) from alliance-type labels."""
    return {name: int(bool(pat.search(text))) for name, pat in OBLIGATION_PATTERNS.items()}


def establishment_mode(text: str) -> int | None:
    """ESTMODE: 1 treaty requiring ratification, 0 an instrument that does not, None if unclear."""
    low = text.lower()
    if not low.strip() or is_unknown(low):
        return None
    if re.search(r"(?:not|no|without)\s+(?:\w+\s+){0,3}(?:requir\w*\s+)?ratif", low):
        return 0
    if re.search(r"\btreaty\b|\bconvention\b|\bpact\b|requir\w*\s+ratif|\bratified\b|subject\s+to\s+ratif", low):
        return 1
    if re.search(
        r"executive|diplomatic\s+notes?|exchange\s+of\s+(?:notes|letters)|\bletters?\b|\bnotes?\b|protocol|declaration|"
        r"memorandum|joint\s+statement|communiqu|verbal|oral|agreement|accord|understanding|arrangement",
        low,
    ):
        return 0
    return None


def publicity(text: str) -> int | None:
    """PUBSECR: 0 public, 1 public with secret articles, 2 entirely secret, None if unclear."""
    low = re.sub(r"\b(?:no|not|without|none\s+of\s+the)\s+(?:\w+\s+)?secret\w*(?:\s+articles?|\s+protocols?)?", " ", text.lower())
    secret_parts = re.search(
        r"secret\s+(?:\w+\s+)?(?:articles?|protocols?|annex\w*|clauses?|provisions?|addend\w*|notes?|letters?)|"
        r"public\s+but|part(?:ly|ially)\s+secret|some\s+secret",
        low,
    )
    if secret_parts:
        return 1
    if re.search(r"\bsecret\b", low):
        return 2
    if re.search(r"\bpublic\b", low):
        return 0
    return None


def source_code(text: str) -> int | None:
    """SOURCE: 1 coded from the treaty text, 2 from secondary sources only, None if unclear."""
    low = text.lower()
    if re.search(r"secondary\s+sources?\s+only|only\s+secondary|secondary\s+sources?(?!.*\b(?:treaty|text|primary|original)\b)", low):
        if not re.search(r"\btreaty\b|\btext\b|primary|original", low):
            return 2
    if re.search(r"\btreaty\b|\btext\b|primary|original|agreement|translation|unts|\bcts\b|http", low):
        return 1
    return None


# --------------------------------------------------------------------------------------------
# Provisions, references, URLs, people
# --------------------------------------------------------------------------------------------

_PROVISION_RE = re.compile(
    r"(?P<label>\b(?:Section|Sec\.|Article|Art\.|Arts?\.|Articles|Paragraph|Para\.|Clause|Protocol|Annex|Point|Chapter)"
    r"\s*(?:[0-9]+[A-Za-z]?|[IVXLC]+\b)(?:\s*\(\s*[0-9a-z]+\s*\))*(?:\s*(?:,|and|&)\s*(?:[0-9]+|[IVXLC]+\b))*"
    r"|\bPreamble\b)"
    r"(?P<sep>\s*(?:[—–:]|-{1,2}|,)\s*)",
)
_OPEN_QUOTES = {"“": "”", '"': '"', "'": "'", "‘": "’", "«": "»", "„": "“"}


@dataclass(frozen=True)
class QuotedProvision:
    """A provision quoted or summarised in an answer: (label, quote)."""

    article: str
    quote: str


def find_provisions(text: str) -> list[QuotedProvision]:
    """`Section 30 — “…”`, `Article 5: "…"`, `Art. 2 - '…'`, `Preamble — …` pairs in an answer."""
    out: list[QuotedProvision] = []
    for m in _PROVISION_RE.finditer(text):
        label = " ".join(m.group("label").split())
        pos = m.end()
        bracket = ""
        bm = re.match(r"\[[^\]\n]{1,80}\]\s*", text[pos:])
        if bm:
            bracket = bm.group(0).strip()
            pos += bm.end()
        opener = text[pos : pos + 1]
        if opener in _OPEN_QUOTES:
            closer = _OPEN_QUOTES[opener]
            end = text.find(closer, pos + 1)
            if opener == "'" or opener == "‘":
                # Apostrophes inside the quote: the closing quote is followed by space/punct/end.
                cm = re.compile(re.escape(closer) + r"(?=[\s.,;)]|$)").search(text, pos + 1)
                end = cm.start() if cm else -1
            if end == -1:
                # Unclosed: the quote runs to the end of its paragraph.
                para_end = text.find("\n\n", pos)
                end = len(text) if para_end == -1 else para_end
            quote = text[pos + 1 : end]
        else:
            if m.group("sep").strip() == ",":
                continue  # "Article 5, which ..." is prose, not a quoted provision
            # Unquoted summary: runs to the end of its paragraph or the next labelled line.
            end = pos
            while True:
                line_end = text.find("\n", end)
                if line_end == -1:
                    end = len(text)
                    break
                following = text[line_end + 1 : text.find("\n", line_end + 1) if text.find("\n", line_end + 1) != -1 else len(text)]
                if not following.strip() or _PROVISION_RE.match(following.strip()) or re.match(r"\s*[A-Z][\w ]{0,40}:\s*$", following):
                    end = line_end
                    break
                end = line_end + 1
            quote = text[pos:end]
        quote = " ".join(quote.split())
        if bracket:
            quote = f"{bracket} {quote}"
        if quote:
            out.append(QuotedProvision(label, quote))
    return out


_ATOP_REF_RE = re.compile(r"\bATOP\s*(?:ID|No\.?|number|#)?\s*[#:]?\s*(\d{4})\b", re.IGNORECASE)


def find_alliance_references(text: str) -> list[tuple[int, str]]:
    """(atopid, context line) for each `ATOP # 3740`, `ATOP# 4235`, `(ATOP ID 4220)` in `text`."""
    if _ATOP_REF_RE.search(text) is None:
        return []  # most answers: one scan instead of one per line
    out: list[tuple[int, str]] = []
    for line in text.splitlines():
        for m in _ATOP_REF_RE.finditer(line):
            out.append((int(m.group(1)), line.strip()))
    return out


_URL_RE = re.compile(r"https?://[^\s<>\"“”‘’'`]+", re.IGNORECASE)
_URL_TRAIL = ".,;:!?"


def find_urls(text: str) -> list[str]:
    """Every http(s) URL in `text`, trailing punctuation and unbalanced brackets removed, deduped."""
    seen: dict[str, None] = {}
    for m in _URL_RE.finditer(text):
        url = m.group(0)
        while url:
            last = url[-1]
            if last in _URL_TRAIL:
                url = url[:-1]
            elif last in ")]}":
                opener = {")": "(", "]": "[", "}": "{"}[last]
                if url.count(opener) < url.count(last):
                    url = url[:-1]
                else:
                    break
            else:
                break
        if len(url) > len("https://"):
            seen.setdefault(url, None)
    return list(seen)


_IO_KEYWORDS = re.compile(
    r"\b(?:Organi[sz]ation|Nations|Union|League|Community|Conference|Council|Commonwealth|Agency|Bank|Fund|"
    r"Court|Assembly|Secretariat|Cooperation|Co-operation)\b"
)
_CAP_RUN_RE = re.compile(
    r"\b[A-Z][\w’'\-]*(?:\s+(?:(?:of|for|and|on|in|de|du|des)\s+)?[A-Z][\w’'\-]*)*"
)
_ACRONYM_RE = re.compile(r"\b(?:UN|UNO|OSCE|CSCE|CIS|CSTO|SCO|EU|EEC|OAS|OAU|AU|ASEAN|NATO|ECOWAS|SADC|CICA|EurAsEC|EAEU|GCC|WTO|IAEA)\b")


def find_organisations(text: str) -> list[str]:
    """Names of international organisations in `text` (Q47), deduplicated in order."""
    seen: dict[str, None] = {}
    for m in _CAP_RUN_RE.finditer(text):
        phrase = " ".join(m.group(0).split())
        if _IO_KEYWORDS.search(phrase) and len(phrase.split()) >= 2:
            phrase = re.sub(r"^(?:The|In|Yes|No)\s+", "", phrase)
            seen.setdefault(phrase, None)
    for m in _ACRONYM_RE.finditer(text):
        seen.setdefault(m.group(0), None)
    return list(seen)


def split_coders(text: str) -> list[str]:
    """Coder names from Q61 ("Nicholas Coulombe and Ashley Leeds")."""
    parts = re.split(r"\s*(?:,|;|&|\band\b|/|\n)\s*", text.strip())
    return [p.strip(" .") for p in parts if p.strip(" .")]


def leading_count(text: str) -> int | None:
    """A count from the start of an answer ("Zero.", "None", "2 (1960, 1970)", "Once"), or None."""
    m = re.match(r"\W*(\d{1,3}|zero|none|no|never|once|twice|one|two|three|four|five|six|seven|eight|nine|ten)\b", text, re.IGNORECASE)
    if not m:
        return None
    word = m.group(1).lower()
    if word.isdigit():
        return int(word)
    return {"zero": 0, "none": 0, "no": 0, "never": 0, "once": 1, "twice": 2}.get(word, number_from_words(word))
