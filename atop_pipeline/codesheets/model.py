"""Records that cross module boundaries: a read sheet, a parsed codesheet and its parts.

This module is the contract between reading, parsing, the warehouse, the in-force reasoning and
the Dagster layer. It holds data only: no parsing, no I/O.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

#: Normalised flag for an answer's leading word(s).
AnswerFlag = Literal["yes", "no", "n/a", "unknown", "other", "empty"]

#: What the sheet's termination answer (Q14) claims.
ClaimKind = Literal["terminated", "in_effect", "unknown"]

SECTIONS: tuple[str, ...] = ("I", "II", "III", "IV", "V")
QUESTION_COUNT = 61


@dataclass(frozen=True)
class PartialDate:
    """A date as a sheet states it: the day (and even the month) may be unknown."""

    year: int
    month: int | None = None
    day: int | None = None
    text: str = ""

    def as_date(self, *, fill: Literal["start", "end"] = "start") -> dt.date:
        """The concrete date, filling an unknown month/day with the period's first or last day."""
        import calendar

        month = self.month or (1 if fill == "start" else 12)
        if self.day is not None:
            day = self.day
        else:
            day = 1 if fill == "start" else calendar.monthrange(self.year, month)[1]
        return dt.date(self.year, month, day)

    def iso(self) -> str:
        """ISO-like text: YYYY, YYYY-MM or YYYY-MM-DD depending on precision."""
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"


@dataclass(frozen=True)
class SheetText:
    """A sheet's bytes decoded and normalised, with a map back to the source's line numbers."""

    source_file: str  # path as given (relative to the batch root when read from a folder/zip)
    sha256: str  # of the raw bytes as received
    size: int  # raw byte count
    kind: Literal["txt", "pdf"]
    encoding: str  # codec used to decode ("utf-8", "utf-8-sig", "utf-16", "cp1252", "cp1251", "pdf")
    lines: tuple[str, ...]  # normalised lines (page artefacts removed)
    line_numbers: tuple[int, ...]  # 1-based line number in the extracted/decoded source, per line
    notes: tuple[str, ...] = ()  # what normalisation did ("removed 3 page-number lines", ...)
    # What reading found wrong that the parsed sheet must carry into Codesheet.warnings (mixed
    # encodings, bytes no code page defines); `notes` keeps the line-by-line detail.
    warnings: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The normalised text joined with newlines."""
        return "\n".join(self.lines)


@dataclass(frozen=True)
class Answer:
    """One numbered question as printed on the sheet, with its answer and provenance."""

    number: int  # 1..61
    section: str  # "I".."V"
    question_text: str  # as printed (wrapped lines joined with a space)
    answer_text: str  # as printed, lines joined with "\n", stripped
    flag: AnswerFlag
    line_start: int  # source line number of the question's first line
    line_end: int  # source line number of the answer's last line (>= line_start)


@dataclass(frozen=True)
class Member:
    """One member state: COW code, name as written, and its own entry/exit dates."""

    ccode: int
    name: str  # as written on the sheet (may be "" if the sheet gave only a code)
    entry: PartialDate | None  # signature date for this member (Q3)
    exit: PartialDate | None  # termination date for this member (Q14); None = not terminated/unknown
    known_to_cow: bool = True  # ccode present in the COW list


@dataclass(frozen=True)
class Provision:
    """A quoted treaty provision: `Article 5: "..."` or `Section 30 — “...”`."""

    question: int
    article: str  # label as written, e.g. "Section 30", "Article 5", "Preamble"
    quote: str


@dataclass(frozen=True)
class AllianceReference:
    """A reference to another ATOP alliance (`ATOP # 3740`)."""

    question: int
    atopid: int
    context: str  # the sentence or line it came from


@dataclass(frozen=True)
class Citation:
    """A URL cited on the sheet, with the question it appears in."""

    question: int
    url: str


@dataclass(frozen=True)
class TerminationClaim:
    """What Q14 says: terminated on a date, in effect as of a date, or unknown."""

    kind: ClaimKind
    date: PartialDate | None  # termination date, or the "as of" date of an in-effect claim
    source_text: str  # the sentence the claim came from
    source_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class DurationTerms:
    """The duration and renewal clauses (Q10-Q13) in machine-usable form."""

    speclgth: int | None  # 0 none, 1 fixed term, 2 until condition, 3 explicitly indefinite
    length_months: int | None  # initial term in months (0 if not a fixed term)
    renounce: int | None  # codebook RENOUNCE code
    proren: int | None  # 0 none, 1 active renewal, 2 automatic unless notice
    renewal_months: int | None  # renewal term in months (0 if none/unspecified)
    notice_months: int | None  # notice required before expiry/renunciation, in months
    renewals: int | None  # Q13: number of (non-automatic) renewals


@dataclass
class Codesheet:
    """A parsed codesheet: every answer, typed fields traceable to questions, derived ATOP rows."""

    source_file: str
    sha256: str
    size: int
    encoding: str
    kind: str
    atopid: int | None
    answers: list[Answer] = field(default_factory=list)
    cowid: int | None = None
    members: list[Member] = field(default_factory=list)
    signature_dates: list[PartialDate] = field(default_factory=list)
    termination: TerminationClaim | None = None
    estmode: int | None = None
    pubsecr: int | None = None
    duration: DurationTerms | None = None
    obligations: dict[str, int] = field(default_factory=dict)  # defense/offense/neutral/nonagg/consul
    provisions: list[Provision] = field(default_factory=list)
    references: list[AllianceReference] = field(default_factory=list)
    io_references: list[str] = field(default_factory=list)  # international organisations named (Q47)
    citations: list[Citation] = field(default_factory=list)  # every URL with its question, deduped per question
    revision_date: PartialDate | None = None  # Q60
    coders: list[str] = field(default_factory=list)  # Q61
    warnings: list[str] = field(default_factory=list)
    atop: dict[str, int | None] = field(default_factory=dict)  # alliance-level ATOP variables
    atop_members: list[dict[str, int | None]] = field(default_factory=list)  # member-level rows
    parser_version: str = ""
    cutoff: dt.date | None = None  # the date `ineffect` and the zero end dates were measured against

    @property
    def urls(self) -> list[str]:
        """Every URL on the sheet, deduplicated, in order of first appearance."""
        seen: dict[str, None] = {}
        for c in self.citations:
            seen.setdefault(c.url, None)
        return list(seen)

    def answer(self, number: int) -> Answer | None:
        """The answer to question `number`, or None if the sheet lacks it."""
        for a in self.answers:
            if a.number == number:
                return a
        return None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (the `atop-pipeline parse --json` object)."""
        d = asdict(self)
        d["urls"] = self.urls
        d["references"] = [r["atopid"] for r in d["references"]]
        d["reference_details"] = [asdict(r) for r in self.references]
        return d


@dataclass(frozen=True)
class SheetError:
    """A file or sheet that failed at some stage: a value, so the batch can go on."""

    source_file: str
    sha256: str | None
    stage: Literal["read", "parse", "validate", "load", "fetch"]
    error: str  # short machine name: "not_a_codesheet", "encrypted_pdf", "unknown_ccode", ...
    message: str  # a sentence a person can act on, naming the file and what was wrong
    question: int | None = None
    column: str | None = None
    value: str | None = None
    atopid: int | None = None
