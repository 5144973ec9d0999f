"""SheetText -> Codesheet: find the 61 questions by aligning the sheet against the blank template.

The robust idea: questions come in ascending order 1..61 and each question line's text resembles
the template's question text. Candidate lines (those starting with a number, and lines whose
words strongly resemble a question's opening) are scored against the template; a weighted
longest-increasing-chain over (line, question) pairs then picks the question lines. Numbered
lists inside answers ("1. Article 5 ...", "2013.") lose to the real question lines because they
neither continue the ascending sequence nor read like the template.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import difflib
import functools
import itertools
import re
from dataclasses import dataclass
from importlib import resources
from typing import NamedTuple

from atop_pipeline.codesheets import fields
from atop_pipeline.codesheets.cow import is_known_ccode
from atop_pipeline.codesheets.model import (
    QUESTION_COUNT,
    AllianceReference,
    Answer,
    AnswerFlag,
    Citation,
    Codesheet,
    DurationTerms,
    Member,
    PartialDate,
    Provision,
    SheetError,
    SheetText,
    TerminationClaim,
)

# 1.1.0: negative/over-a-century durations refused with a warning (LENGTH unknown, not 60), mixed
# UTF-8/legacy files decoded line by line with a warning, reading warnings carried into the sheet.
# Stored sheets parsed by an older version are re-parsed (pipeline.settled_hashes).
# 1.1.1: dated member lists in Q3/Q14 wrapped over lines (a code on the next line, an undated
# continuation of a "date: members" line) keep their dates; members left on an undated line warn.
PARSER_VERSION = "1.1.1"
DEFAULT_CUTOFF = dt.date(2018, 12, 31)  # ATOP 5.1 measures INEFFECT against 2018-12-31

#: Below this many questions found, a text is not treated as a codesheet.
MIN_QUESTIONS = 31


class NotACodesheetError(Exception):
    """The text is not an ATOP codesheet (no ATOP ID, or most questions missing)."""

    def __init__(self, error: SheetError) -> None:
        super().__init__(error.message)
        self.error = error


# --------------------------------------------------------------------------------------------
# The blank template
# --------------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"[^\W_]+")
#: URLs with a scheme the pipeline never fetches (file://, ftp:// ...): recorded as warnings, not citations.
_OTHER_SCHEME_URL_RE = re.compile(
    r"\b(?:file|ftps?|sftp|smb|gopher|ldaps?|dict|jar|tftp)://[^\s<>\"“”‘’'`]*", re.IGNORECASE
)
#: Words too common in question texts to say which question a line is.
_STOPWORDS = frozenset(
    "the of a an to in for and or any does is are was were by if yes no describe treaty this that these "
    "with on as be which what there their it its".split()
)
_ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV", "5": "V"}


@dataclass(frozen=True)
class TemplateQuestion:
    """One question of the blank codesheet."""

    number: int
    section: str
    text: str
    tokens: tuple[str, ...]


@dataclass(frozen=True)
class Template:
    """The blank codesheet (Version 8.0): questions by number, section titles by numeral."""

    questions: dict[int, TemplateQuestion]
    section_titles: dict[str, str]
    #: distinctive word -> questions whose first 8 words contain it (to find unnumbered question lines)
    opening_index: dict[str, frozenset[int]]
    #: the first two words of every question (an unnumbered question line starts with one of them)
    opening_words: frozenset[str] = frozenset()
    #: question -> how many of its opening words are in opening_index
    index_words: dict[int, int] = dataclasses.field(default_factory=dict)


def _tokens(text: str) -> list[str]:
    return [t.lower() for t in _TOKEN_RE.findall(text)]


def parse_template(text: str) -> Template:
    """Questions and section titles from a blank codesheet's text."""
    q_re = re.compile(r"^(\d{1,2})\.\s+(.*)$")
    s_re = re.compile(r"^SECTION\s+([IVX]+):\s*(.*)$")
    questions: dict[int, TemplateQuestion] = {}
    titles: dict[str, str] = {}
    section, number, current = "", 0, []  # type: ignore[var-annotated]

    def flush() -> None:
        if number and current:
            joined = " ".join(current)
            questions[number] = TemplateQuestion(number, section, joined, tuple(_tokens(joined)))

    for raw in text.splitlines():
        line = raw.strip()
        sm, qm = s_re.match(line), q_re.match(line)
        if sm:
            flush()
            number, current = 0, []
            section = sm.group(1)
            titles[section] = sm.group(2).strip()
        elif qm:
            flush()
            number, current = int(qm.group(1)), [qm.group(2).strip()]
        elif not line:
            flush()
            number, current = 0, []
        elif number:
            current.append(line)
    flush()
    index: dict[str, set[int]] = {}
    for q in questions.values():
        for tok in q.tokens[:8]:
            if tok not in _STOPWORDS:
                index.setdefault(tok, set()).add(q.number)
    # Words in many openings ("alliance", "members") say little about which question a line is.
    openings = frozenset(t for q in questions.values() for t in q.tokens[:2])
    kept = {k: frozenset(v) for k, v in index.items() if len(v) <= 4}
    counts = {n: len({t for t in q.tokens[:8] if t in kept}) for n, q in questions.items()}
    return Template(questions, titles, kept, openings, counts)


@functools.cache
def template() -> Template:
    """The bundled Version 8.0 template, parsed once."""
    text = (
        resources.files("atop_pipeline.reference")
        .joinpath("codesheet_template_v8_2000.txt")
        .read_text(encoding="utf-8")
    )
    parsed = parse_template(text)
    if sorted(parsed.questions) != list(range(1, QUESTION_COUNT + 1)):  # pragma: no cover
        raise RuntimeError("bundled codesheet template does not have questions 1..61")
    return parsed


# --------------------------------------------------------------------------------------------
# Token alignment
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def _similar(a: str, b: str) -> bool:
    """Two words are the same word up to a typo (or both are numbers: "#109" for "#19")."""
    if a == b:
        return True
    if a.isdigit() and b.isdigit():
        return True
    if len(a) < 4 or len(b) < 4 or abs(len(a) - len(b)) > 3:
        return False
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.75


def _align(sheet: list[str], tmpl: tuple[str, ...] | list[str]) -> tuple[int, int, bool]:
    """Greedily align sheet words to template words.

    Returns (template words matched, number of sheet words that confidently belong to the
    question, whether the template's end was reached). A word matched alone after a skip at the
    very end is not trusted: "(Yes, No) Yes." must leave the answer's "Yes" alone.
    """
    n_s, n_t = len(sheet), len(tmpl)
    if not n_t or not n_s:
        return 0, 0, False
    # Fast path: the sheet repeats the template word for word (most question lines). Every step of
    # the loop below would take its first branch, leaving (n_t, n_t, True).
    if n_s >= n_t and (tuple(sheet[:n_t]) if isinstance(tmpl, tuple) else sheet[:n_t]) == tmpl:
        return n_t, n_t, True
    # An exact prefix of k words takes the first branch k times: matched = run = confident = k.
    k = 0
    limit = min(n_s, n_t)
    while k < limit and sheet[k] == tmpl[k]:
        k += 1
    s = t = matched = run = confident = k
    misses = 0
    reached_end = k >= n_t
    similar = _similar
    while t < n_t and s < n_s:
        a = sheet[s]
        if a == tmpl[t] or similar(a, tmpl[t]):
            s, t, run = s + 1, t + 1, run + 1
            matched += 1
            misses = 0
        elif t + 1 < n_t and similar(a, tmpl[t + 1]):
            s, t, run = s + 1, t + 2, 1
            matched += 1
            misses = 0
        elif s + 1 < n_s and similar(sheet[s + 1], tmpl[t]):
            s, t, run = s + 2, t + 1, 1
            matched += 1
            misses = 0
        elif t + 2 < n_t and similar(a, tmpl[t + 2]):
            s, t, run = s + 1, t + 3, 1
            matched += 1
            misses = 0
        else:
            s, t, run = s + 1, t + 1, 0
            misses += 1
            if misses >= 2:
                break
            continue
        if run >= 2 or (t >= n_t and run >= 1) or (run >= 1 and matched == t and t <= 2):
            confident = s
        if t >= n_t:
            reached_end = True
    return matched, confident, reached_end


# --------------------------------------------------------------------------------------------
# Lines, section headers, question candidates
# --------------------------------------------------------------------------------------------

_NUMBER_PREFIX_RE = re.compile(
    r"^\s*(?:Q(?:uestion)?\.?\s*)?#?(?P<num>\d{1,3})(?:\s*[.,):;]+|\s*-(?!\d)|(?=\s)|(?=[A-Za-z]))\s*"
)
_SECTION_TITLE_WORDS = {
    "I": ("formation", "members", "duration"),
    "II": ("obligations",),
    "III": ("institutionalization", "institutionalisation"),
    "IV": ("treaty", "context"),
    "V": ("documentation",),
}
_HEADER_RE = re.compile(
    r"^\s*SECTION\s+(?P<num>[IVX]{1,4}|[1-5])\b\s*[:.\-–—]?\s*(?P<title>.*)$", re.IGNORECASE
)
_GLUED_HEADER_RE = re.compile(
    r"\bSECTION\s+(?:[IVX]{1,4}|[1-5])\s*[:.\-–—]\s*(?:FORMATION|OBLIGATIONS|INSTITUTIONALI[SZ]ATION|TREATY\s+CONTEXT|DOCUMENTATION)",
    re.IGNORECASE,
)
_GLUED_QUESTION_RE = re.compile(r"\s(\d{1,2})\s*[.,)]\s+(?=[A-Z])")
_PAGE_LINE_RE = re.compile(
    r"^\s*(?:-\s*)?page\s+\d+(?:\s+of\s+\d+)?(?:\s*-)?\s*$"
    # A running header left in: "ATOP Codesheet 3275 — page 2", "Coding sheet, p. 3".
    r"|^\s*(?:atop\b|coding\s+sheet|codesheet)[^\n]{0,50}\b(?:page|p\.)\s*\d+(?:\s+of\s+\d+)?\s*$",
    re.IGNORECASE,
)


class _Line:
    """A working line: its text, source line number, header numeral; words computed on demand."""

    __slots__ = ("text", "line_no", "header", "numbered", "_words", "_spans", "_after")

    def __init__(self, text: str, line_no: int, header: str | None = None) -> None:
        self.text = text
        self.line_no = line_no
        self.header = header  # section numeral if this line is a section header
        lead = text[:1]
        self.numbered = _NUMBER_PREFIX_RE.match(text) if lead.isspace() or lead.isdigit() or lead in "Qq#" else None
        self._words: list[str] | None = None
        self._spans: list[tuple[int, int]] | None = None
        self._after: tuple[int, list[str]] | None = None

    @property
    def words(self) -> list[str]:
        """Lower-case word tokens of the line."""
        if self._words is None:
            self._words = _TOKEN_RE.findall(self.text.lower())
        return self._words

    @property
    def spans(self) -> list[tuple[int, int]]:
        """(start, end) of each word token."""
        if self._spans is None:
            self._spans = [m.span() for m in _TOKEN_RE.finditer(self.text)]
        return self._spans

    def first_word(self, char: int) -> str | None:
        """The first word at or after `char` (as words_from(char)[0]), or None."""
        if char == 0 and self._words is not None:
            return self._words[0] if self._words else None
        m = _TOKEN_RE.search(self.text[char:].lower())
        return m.group(0) if m else None

    def words_from(self, char: int) -> list[str]:
        """The words starting at or after `char`."""
        if char == 0:
            return self.words
        if self._after is None or self._after[0] != char:
            self._after = (char, _TOKEN_RE.findall(self.text[char:].lower()))
        return self._after[1]


def _section_from_title(title: str) -> str | None:
    words = set(_tokens(title)[:6])
    for numeral, keys in _SECTION_TITLE_WORDS.items():
        if numeral == "IV":
            if {"treaty", "context"} <= words:
                return numeral
        elif words & set(keys):
            return numeral
    return None


def _header_section(text: str) -> str | None:
    """The section numeral if `text` is a section header line, else None."""
    m = _HEADER_RE.match(text)
    if not m:
        return None
    num, title = m.group("num").upper(), m.group("title").strip()
    by_title = _section_from_title(title)
    numeral = _ROMAN.get(num, num)
    if by_title:
        return by_title
    # Without a recognisable title only an all-caps "SECTION <roman>" line counts: answers cite
    # treaty sections ("Section 3 — “...”").
    # Answers cite treaty sections ("SECTION 3 — “EACH OF THE...” in an all-caps sheet): a header
    # without a known title needs a roman numeral and no quotation.
    if (
        text.strip().startswith("SECTION")
        and num in _SECTION_TITLE_WORDS
        and (not title or (title.isupper() and not re.search(r"[“”\"'‘’]", title) and len(title.split()) <= 6))
    ):
        return numeral
    return None


def _prepare_lines(sheet_text: SheetText) -> list[_Line]:
    """Working lines: headers glued to answer lines split off, page-number lines dropped."""
    out: list[_Line] = []
    for text, line_no in zip(sheet_text.lines, sheet_text.line_numbers):
        if ("age" in text or "AGE" in text or "p." in text) and _PAGE_LINE_RE.match(text):
            continue
        if "ection" not in text and "ECTION" not in text:
            # Cheap test first: only a line mentioning a section can be or hold a header.
            out.append(_Line(text, line_no))
            continue
        pieces = [text]
        m = _GLUED_HEADER_RE.search(text)
        if m and m.start() > 0 and text[: m.start()].strip():
            pieces = [text[: m.start()], text[m.start() :]]
        for piece in pieces:
            header = _header_section(piece)
            if header:
                # "SECTION I: FORMATION, MEMBERS, AND DURATION 1. ATOP ID: 6070" (PDF extraction)
                qm = _GLUED_QUESTION_RE.search(piece)
                if qm and int(qm.group(1)) <= QUESTION_COUNT:
                    out.append(_Line(piece[: qm.start()], line_no, header))
                    out.append(_Line(piece[qm.start() + 1 :], line_no))
                    continue
            out.append(_Line(piece, line_no, header))
    return out


class _Candidate(NamedTuple):
    # A NamedTuple, not a frozen dataclass: ~50 are made per sheet and tuple creation is far cheaper.
    line: int  # index into the working lines
    question: int
    weight: float
    numbered: bool
    score: float  # template similarity of the line's opening words


def _line_words(lines: list[_Line], i: int, start: int, limit: int = 12) -> list[str]:
    """Words of line i (from char `start`) continued onto the next non-blank line, up to `limit`."""
    words = lines[i].words_from(start)[:limit]
    j = i + 1
    while len(words) < limit and j < len(lines) and j <= i + 2:
        if lines[j].header or lines[j].numbered:
            break
        words = words + lines[j].words[: limit - len(words)]
        j += 1
    return words


def _opening_score(words: list[str], q: TemplateQuestion) -> float:
    opening = q.tokens[:8]
    if not opening or not words:
        return 0.0
    matched, _, _ = _align(words[: len(opening) + 4], opening)
    return matched / len(opening)


def _candidates(lines: list[_Line], tpl: Template) -> list[_Candidate]:
    out: list[_Candidate] = []
    index = tpl.opening_index
    for i, line in enumerate(lines):
        if line.header:
            continue
        m = line.numbered
        number = int(m.group("num")) if m else None
        if number is not None and 1 <= number <= QUESTION_COUNT:
            words = _line_words(lines, i, m.end())  # type: ignore[union-attr]
            score = _opening_score(words, tpl.questions[number])
            # A number in sequence is evidence on its own; the text makes it near-certain.
            out.append(_Candidate(i, number, 0.3 + score, True, score))
            seen = number
        else:
            start = m.end() if m else 0
            # An unnumbered line can only be a question if it opens like one. Most lines do not:
            # look at the first word before tokenising the whole line.
            first = line.first_word(start)
            if first is None or first not in tpl.opening_words:
                continue
            words = line.words_from(start)
            seen = 0
        if not words:
            continue
        # Text-only matches: a garbled or missing number ("4Members", "Question four: ...").
        # Cheap filter first: a question line opens with (a typo of) the question's first words.
        hits: dict[int, int] = {}
        for w in words[:8]:
            for q in index.get(w, ()):
                hits[q] = hits.get(q, 0) + 1
        first = words[0]
        for q, count in hits.items():
            if q == seen or count < min(2, tpl.index_words[q]):
                continue
            tq = tpl.questions[q]
            if len(tq.tokens) < 3 and tuple(words[: len(tq.tokens)]) != tq.tokens:
                continue  # "Coder:", "Treaty citation:" must be printed as such
            if not (_similar(first, tq.tokens[0]) or (len(tq.tokens) > 1 and _similar(first, tq.tokens[1]))):
                continue
            full = words if len(words) >= 8 else _line_words(lines, i, m.end() if m else 0)
            score = _opening_score(full, tq)
            if score >= 0.75:
                out.append(_Candidate(i, q, score, False, score))
    return out


def _best_chain(cands: list[_Candidate]) -> list[_Candidate]:
    """The heaviest chain of candidates ascending in both line and question number.

    Candidates are taken line by line; best[q] holds the heaviest chain so far ending at
    question q, so each candidate looks back over at most 61 questions, not every candidate.
    """
    cands = sorted(cands, key=lambda c: (c.line, c.question))
    if not cands:
        return []
    size = QUESTION_COUNT + 1
    # Fenwick tree over question numbers holding (heaviest chain ending at <= q, its candidate).
    tree_val = [0.0] * (size + 1)
    tree_idx = [-1] * (size + 1)
    prev = [-1] * len(cands)
    total = [0.0] * len(cands)
    k = 0
    while k < len(cands):
        line = cands[k].line
        group_end = k
        while group_end < len(cands) and cands[group_end].line == line:
            group_end += 1
        # Chains from earlier lines only: query every candidate of the line before updating.
        for j in range(k, group_end):
            c = cands[j]
            q, val, idx = c.question - 1, 0.0, -1  # best over questions 1..question-1
            while q > 0:
                if tree_val[q] > val or (tree_val[q] == val and idx != -1 and tree_idx[q] != -1 and tree_idx[q] < idx):
                    val, idx = tree_val[q], tree_idx[q]
                q -= q & -q
            total[j] = val + c.weight
            prev[j] = idx
        for j in range(k, group_end):
            q = cands[j].question
            while q < size:
                if total[j] > tree_val[q]:
                    tree_val[q], tree_idx[q] = total[j], j
                q += q & -q
        k = group_end
    end = max(range(len(cands)), key=lambda x: (total[x], -x))
    chain: list[_Candidate] = []
    while end != -1:
        chain.append(cands[end])
        end = prev[end]
    return chain[::-1]


# --------------------------------------------------------------------------------------------
# Question text / answer split
# --------------------------------------------------------------------------------------------

_ANSWER_LEAD_RE = re.compile(r"^[\s:?).;,\]—–-]+")


_QUESTION_END_RE = re.compile(r"[^\w\s]*(?:\s*\))?[?:.]?")


def _template_tail(upcoming: list[str], tmpl: tuple[str, ...]) -> int:
    """How many of `upcoming` words are the rest of a question printed in shortened form.

    "33. Does the treaty provide for ..." followed by "(Yes, No) If Yes, describe." on the next
    line: the tail belongs to the question, not the answer. Only a tail that runs to the
    template's end counts.
    """
    if len(upcoming) < 2:
        return 0
    first = upcoming[0]
    for p in range(1, len(tmpl) - 1):
        if not _similar(first, tmpl[p]):
            continue
        rest = tmpl[p:]
        matched, confident, reached = _align(upcoming[: len(rest) + 4], rest)
        if reached and matched >= max(2, int(0.7 * len(rest))) and confident:
            return confident
    return 0


def _split_question(lines: list[_Line], i: int, end_line: int, q: TemplateQuestion) -> tuple[str, int, int]:
    """Where the printed question text ends: (question text, line index, char offset of answer)."""
    m = lines[i].numbered
    start = m.end() if m else 0
    tokens = q.tokens
    if i < end_line and tokens:
        # Fast path: the question line repeats the template word for word (most sheets). The
        # general path below would align all of it (confident = len(tokens)) and end on this line.
        first = lines[i].words_from(start)
        if len(first) >= len(tokens) and tuple(first[: len(tokens)]) == tokens:
            text = lines[i].text
            mt = next(itertools.islice(_TOKEN_RE.finditer(text, start), len(tokens) - 1, None), None)
            char = mt.end() if mt is not None else start
            pm = _QUESTION_END_RE.match(text, char)
            char = pm.end() if pm else char
            return text[start:char].strip(), i, char
    # Sheet words over the question line and the next lines of its block; positions are
    # computed only for the line where the question turns out to end.
    taken: list[tuple[int, int]] = []  # (line index, words used from it)
    words: list[str] = []
    limit = len(q.tokens) + 12
    j = i
    exact = checked = False
    while j < end_line and len(words) < limit:
        line_words = lines[j].words_from(start) if j == i else lines[j].words
        take = line_words[: limit - len(words)]
        words.extend(take)
        taken.append((j, len(take)))
        j += 1
        if not checked and len(words) >= len(tokens):
            # A question wrapped over lines word for word: _align would give (n, n, True) whatever
            # follows, so the lines after it need not be tokenised.
            checked = True
            if tuple(words[: len(tokens)]) == tokens:
                exact = True
                break
    if exact:
        confident, reached = len(tokens), True
    else:
        _, confident, reached = _align(words, q.tokens)
    if confident and not reached:
        confident += _template_tail(words[confident:], q.tokens)
    if confident:
        k = confident - 1
        line_idx = i
        for line_idx, count in taken:
            if k < count:
                break
            k -= count
        offset = start if line_idx == i else 0
        # The end of the line's k-th word from `offset` (islice walks the matches in C).
        mt = next(itertools.islice(_TOKEN_RE.finditer(lines[line_idx].text, offset), k, None), None)
        char = mt.end() if mt is not None else offset
        # Closing punctuation of the question stays with it: "...COW data)", "...(Yes, No)?".
        pm = _QUESTION_END_RE.match(lines[line_idx].text, char)
        char = pm.end() if pm else char
    else:
        # No recognisable template text: split at the first ':' or '?' on the line, else the
        # whole line is the question.
        text = lines[i].text
        cm = re.search(r"[:?]", text[start:])
        line_idx, char = (i, start + cm.end()) if cm else (i, len(text))
    parts = []
    for k in range(i, line_idx + 1):
        a = start if k == i else 0
        b = char if k == line_idx else len(lines[k].text)
        parts.append(lines[k].text[a:b].strip())
    question_text = " ".join([p for p in parts if p])
    return question_text, line_idx, char


_FLAG_RE = re.compile(
    r"^\W*(?:answer\s*[:.\-–—]\s*|a\s*:\s*)?(?P<flag>n\s*/\s*a|n\.a\.|not\s+applicable|yes|no(?:ne)?|unknown|unclear|not\s+known|uncertain)(?![\w/])",
    re.IGNORECASE,
)


_SPACES_RE = re.compile(r"\s+")


def answer_flag(text: str) -> AnswerFlag:
    """yes / no / n/a / unknown / other / empty from an answer's leading word."""
    if not text.strip():
        return "empty"
    m = _FLAG_RE.match(text)
    if not m:
        return "other"
    word = _SPACES_RE.sub(" ", m.group("flag").lower())
    if word == "yes":
        return "yes"
    if word in ("no", "none"):
        return "no"
    if word in ("unknown", "unclear", "not known", "uncertain"):
        return "unknown"
    return "n/a"


@dataclass
class _Located:
    answers: list[Answer]
    warnings: list[str]


def locate_answers(sheet_text: SheetText) -> _Located:
    """Every question found on the sheet with its answer, plus warnings (missing, duplicated...)."""
    tpl = template()
    lines = _prepare_lines(sheet_text)
    chain = _best_chain(_candidates(lines, tpl))
    warnings: list[str] = []
    chosen_lines = {c.line for c in chain}
    chosen_q = {c.question: c.line for c in chain}

    # Duplicated questions: another line that reads as strongly like the same question.
    boundaries = set(chosen_lines)
    for c in _candidates_again(lines, tpl, chosen_q):
        if c.line not in chosen_lines:
            boundaries.add(c.line)
            warnings.append(
                f"question {c.question} appears more than once (source lines "
                f"{lines[chosen_q[c.question]].line_no} and {lines[c.line].line_no}); the first is used"
            )
    header_lines = {i for i, ln in enumerate(lines) if ln.header}
    stops = sorted(boundaries | header_lines)

    answers: list[Answer] = []
    for c in chain:
        pos = bisect.bisect_right(stops, c.line)
        nxt = stops[pos] if pos < len(stops) else len(lines)
        q = tpl.questions[c.question]
        qtext, a_line, a_char = _split_question(lines, c.line, nxt, q)
        body = [_ANSWER_LEAD_RE.sub("", lines[a_line].text[a_char:]).strip()]
        body.extend([lines[k].text.rstrip() for k in range(a_line + 1, nxt)])
        while body and not body[-1].strip():
            body.pop()
        while body and not body[0].strip():
            body.pop(0)
        answer_text = "\n".join(body).strip()
        last = a_line
        for k in range(nxt - 1, a_line, -1):
            if lines[k].text.strip():
                last = k
                break
        answers.append(
            Answer(
                number=c.question,
                section=q.section,
                question_text=qtext,
                answer_text=answer_text,
                flag=answer_flag(answer_text),
                line_start=lines[c.line].line_no,
                line_end=max(lines[last].line_no, lines[c.line].line_no),
            )
        )

    found = {a.number for a in answers}
    missing = [n for n in range(1, QUESTION_COUNT + 1) if n not in found]
    if missing and len(missing) < QUESTION_COUNT:
        warnings.append(f"questions not found: {_ranges(missing)}")
    warnings.extend(_section_warnings(lines, chain, tpl))
    return _Located(answers, warnings)


def _candidates_again(lines: list[_Line], tpl: Template, chosen: dict[int, int]) -> list[_Candidate]:
    """Numbered lines that strongly repeat an already-found question (duplicates)."""
    out = []
    for i, line in enumerate(lines):
        m = line.numbered
        if not m or line.header:
            continue
        n = int(m.group("num"))
        if n not in chosen or chosen[n] == i or i < chosen[n]:
            continue
        tq = tpl.questions[n]
        if len(tq.tokens) < 3:
            continue
        if _opening_score(_line_words(lines, i, m.end()), tq) >= 0.85:
            out.append(_Candidate(i, n, 0, True, 1))
    return out


def _ranges(numbers: list[int]) -> str:
    """Sorted numbers as ranges ("3, 7-12, 40"), all of them."""
    from atop_pipeline.codesheets.encoding import line_ranges

    return line_ranges(numbers, limit=len(numbers))


def _section_warnings(lines: list[_Line], chain: list[_Candidate], tpl: Template) -> list[str]:
    out = []
    for i, ln in enumerate(lines):
        if not ln.header:
            continue
        nxt = next((c for c in chain if c.line > i), None)
        if nxt is None:
            continue
        expected = tpl.questions[nxt.question].section
        if expected != ln.header:
            out.append(
                f"source line {ln.line_no}: header SECTION {ln.header} is followed by question "
                f"{nxt.question}, which the template puts in SECTION {expected}"
            )
    return out


# --------------------------------------------------------------------------------------------
# Typed fields
# --------------------------------------------------------------------------------------------

_ATOPID_RE = re.compile(r"\b(\d{4})\b")
_ATOPID_ANYWHERE_RE = re.compile(r"ATOP\s*ID\s*(?:#|no\.?|number)?\s*[:#]?\s*(\d{4})\b", re.IGNORECASE)


#: Q1's rule (reference question map): four digits, the band telling the formation period.
ATOPID_RULE = (
    "ATOP IDs are 4-digit numbers from 1000 to 7999 in era bands: 1000-1999 = 1815-1913, "
    "2000-2999 = 1914-1944, 3000-3999 = 1945-1989, 4000-7999 = 1990 on"
)
# A number as written, sign and digit-group commas included ("-12", "99999999", "12,345").
_NUMBER_TOKEN_RE = re.compile(r"(?<![\w.])[-−]?\d[\d,]*")
# "ATOP ID: <number>" anywhere, whatever its length or sign (to name a rejected value).
_ATOPID_LABELLED_RE = re.compile(r"ATOP\s*ID\s*(?:#|no\.?|number)?\s*[:#]?\s*([-−]?\d[\d,]*)", re.IGNORECASE)


def _atopid_rejection(value: str) -> str:
    """Why a number written as an ATOP ID is not one (`value` as written, e.g. "-12", "99999999")."""
    digits = value.lstrip("-−").replace(",", "")
    if value[:1] in "-−":
        return "is negative"
    return f"has {len(digits)} digit{'s' if len(digits) != 1 else ''}"


def _shown(value: str, limit: int = 24) -> str:
    return value if len(value) <= limit else value[:limit] + "..."


def _int_answer(text: str) -> int | None:
    m = re.match(r"\W*(\d{1,6})\b", text)
    return int(m.group(1)) if m else None


def _body_after_flag(text: str) -> str:
    """The answer with its leading Yes/No word removed (the clause text)."""
    m = _FLAG_RE.match(text)
    return text[m.end() :] if m else text


def _fill_fields(sheet: Codesheet) -> None:
    ans = {a.number: a for a in sheet.answers}

    def text(n: int) -> str:
        a = ans.get(n)
        return a.answer_text if a else ""

    def flag(n: int) -> AnswerFlag | None:
        a = ans.get(n)
        return a.flag if a else None

    warn = sheet.warnings.append

    # Q2 COW alliance number
    if flag(2) not in (None, "n/a", "no", "empty", "unknown"):
        sheet.cowid = _int_answer(text(2))

    # Q4 members
    mentions = fields.parse_members(text(4))
    seen: dict[int, str] = {}
    for mm in mentions:
        if mm.ccode in seen:
            warn(f"question 4: member {mm.ccode} listed more than once")
            continue
        seen[mm.ccode] = mm.name
        if not is_known_ccode(mm.ccode):
            warn(f"question 4: COW code {mm.ccode} ({mm.name or 'no name'}) is not in the COW state list")
    if 4 in ans and not seen:
        warn("question 4: no members with COW codes found")

    # Q3 signature dates, per member or for all
    member_list = list(seen.items())
    sig = fields.dates_by_member(text(3), member_list, skip=fields.NOT_SIGNATURE_RE)
    for bad in sig.invalid:
        warn(f"question 3: impossible date {bad!r} ignored")
    # Members named in Q3 but missing from Q4 are still members (accession lines).
    for code in sig.by_member:
        if code not in seen:
            seen[code] = sig.new_members.get(code, "")
            member_list.append((code, seen[code]))
            if not is_known_ccode(code):
                warn(f"question 3: COW code {code} is not in the COW state list")
    default_entry = sig.general[0] if sig.general else None
    if sig.by_member:
        # A member named only on an undated line of a per-member list: a wrap that could not be placed.
        for code in sig.undated:
            if code not in sig.by_member:
                warn(f"question 3: member {code} is named on a line without a date; its signature date may be lost")
    all_entries = [d for spells in sig.by_member.values() for d in spells]
    sheet.signature_dates = _dedupe_dates(sig.general + all_entries)
    if 3 in ans and not sheet.signature_dates:
        warn("question 3: no signature date found")
    # A member with several signature dates has several spells (left and rejoined, or phases).
    entries: dict[int, list[PartialDate | None]] = {
        code: sorted(sig.by_member[code], key=fields.date_key) if code in sig.by_member else [default_entry]
        for code, _ in member_list
    }

    # Q14 termination, per member or for all
    term_text = text(14)
    term = fields.dates_by_member(term_text, member_list)
    in_effect = fields.is_in_effect_claim(term_text)
    claim: TerminationClaim | None = None
    urls14 = tuple(fields.find_urls(term_text))
    first_sentence = term_text.strip().split("\n")[0] if term_text.strip() else ""
    general_exit: PartialDate | None = None
    if term_text.strip():
        for bad in term.invalid:
            warn(f"question 14: impossible date {bad!r} ignored")
        if in_effect:
            # "Still in effect as of 7/7/2020": the date is an observation, not an exit.
            as_of = term.general[0] if term.general else None
            source = next((ln.strip() for ln in term_text.splitlines() if fields.is_in_effect_claim(ln)), first_sentence)
            claim = TerminationClaim("in_effect", as_of, source, urls14)
        elif term.by_member or term.general:
            general_exit = term.general[0] if term.general else None
            ends = [d for spells in term.by_member.values() for d in spells] + ([general_exit] if general_exit else [])
            end = max(ends, key=fields.date_key)
            source = next((ln.strip() for ln in term_text.splitlines() if end.text and end.text in ln), first_sentence)
            claim = TerminationClaim("terminated", end, source, urls14)
        else:
            claim = TerminationClaim("unknown", None, first_sentence, urls14)
    sheet.termination = claim
    if term.by_member or term.in_effect:
        # A member named only on an undated line of a per-member list: a wrap that could not be placed.
        for code in term.undated:
            if code not in term.by_member and code not in term.in_effect:
                warn(f"question 14: member {code} is named on a line without a date; its exit date may be lost")

    members: list[Member] = []
    for code, name in member_list:
        spells = entries[code]
        exits: list[PartialDate | None] = [None] * len(spells)
        # Each exit closes the earliest open spell that began on or before it.
        for exit_date in sorted(term.by_member.get(code, []) if term_text.strip() else [], key=fields.date_key):
            for k, entry in enumerate(spells):
                if exits[k] is None and (entry is None or fields.date_key(entry) <= fields.date_key(exit_date)):
                    exits[k] = exit_date
                    break
            else:
                warn(f"question 14: exit date {exit_date.text!r} for member {code} matches no signature date")
        if general_exit is not None:
            exits = [e if e is not None else general_exit for e in exits]
        for entry, exit_date in zip(spells, exits):
            members.append(Member(code, name, entry, exit_date, is_known_ccode(code)))
    sheet.members = members
    for m in sheet.members:
        if m.entry is None and 3 in ans:
            warn(f"question 3: no signature date for member {m.ccode}")

    # Q6 establishment, Q7 publicity
    if flag(6) not in (None, "empty"):
        sheet.estmode = fields.establishment_mode(text(6))
    if flag(7) not in (None, "empty"):
        sheet.pubsecr = fields.publicity(text(7))

    sheet.duration = _duration(ans, warn)

    # Q16 (labels) with Q18's headings as a fallback.
    types_text = text(16) if flag(16) not in (None, "empty", "n/a", "unknown") else ""
    if not types_text.strip():
        types_text = "\n".join(ln for ln in text(18).splitlines() if ln.strip().endswith(":"))
    if types_text.strip():
        sheet.obligations = fields.obligation_types(types_text)
        if not any(sheet.obligations.values()):
            warn("question 16: no obligation type (defense, offense, neutrality, nonaggression, consultation) recognised")

    # Quoted provisions, alliance references, URLs: from every answer.
    for a in sheet.answers:
        answer_text = a.answer_text
        for p in fields.find_provisions(answer_text):
            sheet.provisions.append(Provision(a.number, p.article, p.quote))
        if a.number != 1:
            for atopid, ctx in fields.find_alliance_references(answer_text):
                sheet.references.append(AllianceReference(a.number, atopid, ctx))
        if "://" not in answer_text:
            continue  # both URL patterns need it; most answers have no URL
        for url in fields.find_urls(answer_text):
            sheet.citations.append(Citation(a.number, url))
        for other in _OTHER_SCHEME_URL_RE.findall(answer_text):
            # Only http(s) URLs are citations (and ever fetched); say so rather than drop them silently.
            warn(f"question {a.number}: {other} is not an http(s) URL; not cited and never fetched")

    if flag(47) == "yes" or (flag(47) == "other" and text(47)):
        sheet.io_references = fields.find_organisations(_body_after_flag(text(47)))

    if text(60):
        sheet.revision_date = fields.parse_date(text(60))
        if sheet.revision_date is None:
            warn(f"question 60: no date in {text(60)[:40]!r}")
    if text(61):
        sheet.coders = fields.split_coders(text(61))


def _duration(ans: dict[int, Answer], warn) -> DurationTerms | None:  # type: ignore[no-untyped-def]
    def get(n: int) -> Answer | None:
        return ans.get(n)

    q10, q11, q12, q13 = get(10), get(11), get(12), get(13)
    if not any((q10, q11, q12, q13)):
        return None
    for answer in (q10, q11, q12):
        # "-5 years", "5000 years": refused as values (the helpers skip them), never read silently.
        for bad in fields.rejected_durations(answer.answer_text) if answer is not None else ():
            warn(f"question {answer.number}: {bad.text.strip()!r} is not a possible length of time "
                 f"({bad.reason}); not used")
    speclgth: int | None = None
    length: int | None = None
    if q10 is not None:
        if q10.flag == "no":
            speclgth, length = 0, 0
        elif q10.flag in ("yes", "other"):
            speclgth, length = fields.term_of_treaty(_body_after_flag(q10.answer_text))
            if speclgth is None and q10.flag == "yes":
                warn("question 10: 'Yes' but no term (years/months, indefinite, until ...) recognised")
    renounce: int | None = None
    if q11 is not None:
        if q11.flag == "no":
            # "No; renunciation is explicitly prohibited" is RENOUNCE=4, not 0.
            renounce = 4 if fields.renunciation_code(_body_after_flag(q11.answer_text)) == 4 else 0
        elif q11.flag in ("yes", "other"):
            renounce = fields.renunciation_code(_body_after_flag(q11.answer_text))
    proren: int | None = None
    renewal_months: int | None = None
    notice_months: int | None = None
    if q12 is not None:
        if q12.flag == "no":
            proren, renewal_months = 0, 0
        elif q12.flag in ("yes", "other"):
            proren, renewal_months, notice_months = fields.renewal_terms(_body_after_flag(q12.answer_text))
            if proren is None:
                renewal_months = None
    if notice_months is None and q10 is not None and q10.flag == "yes":
        _, _, notice_months = fields.renewal_terms(q10.answer_text)
    renewals = fields.leading_count(q13.answer_text) if q13 is not None else None
    return DurationTerms(speclgth, length, renounce, proren, renewal_months, notice_months, renewals)


def _dedupe_dates(dates: list[PartialDate]) -> list[PartialDate]:
    seen: dict[tuple[int, int, int], PartialDate] = {}
    for d in dates:
        seen.setdefault(fields.date_key(d), d)
    return sorted(seen.values(), key=fields.date_key)


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def parse_text(sheet_text: SheetText, *, cutoff: dt.date = DEFAULT_CUTOFF) -> Codesheet:
    """The typed Codesheet for a read sheet; raises NotACodesheetError if it is not a codesheet."""
    from atop_pipeline.codesheets.derive import derive_atop

    located = locate_answers(sheet_text)
    answers = located.answers
    by_number = {a.number: a for a in answers}
    atopid: int | None = None
    rejected: str | None = None  # a number written where the ATOP ID belongs that cannot be one
    id_warnings: list[str] = []
    if 1 in by_number:
        q1 = by_number[1].answer_text
        m = _ATOPID_RE.search(q1)
        # The answer text has lost a leading "-" (answer punctuation is stripped): look at the line.
        q1_line = next((t for t, n in zip(sheet_text.lines, sheet_text.line_numbers) if n == by_number[1].line_start), "")
        labelled = _ATOPID_LABELLED_RE.search(q1_line)
        if labelled and labelled.group(1)[:1] in "-−":
            rejected = labelled.group(1)
        elif m and m.start() > 0 and q1[m.start() - 1] in "-−" and not q1[max(0, m.start() - 2) : m.start() - 1].isalnum():
            rejected = q1[m.start() - 1 : m.end()]  # "-1234": a sign, not a range "1233-1234"
        elif m:
            atopid = int(m.group(1))
        else:
            token = _NUMBER_TOKEN_RE.search(q1)
            rejected = token.group(0) if token else None
    if atopid is None:
        # A sheet whose Q1 line is damaged may still carry "ATOP ID: 6070" before question 2.
        head_end = by_number[2].line_start if 2 in by_number else None
        head = "\n".join(
            t for t, n in zip(sheet_text.lines, sheet_text.line_numbers) if head_end is None or n < head_end
        )
        m = _ATOPID_ANYWHERE_RE.search(head[:4000])
        atopid = int(m.group(1)) if m else None
        if atopid is None and rejected is None:
            labelled = _ATOPID_LABELLED_RE.search(head[:4000])
            rejected = labelled.group(1) if labelled else None
        elif atopid is not None and rejected is not None:
            id_warnings.append(
                f"question 1: {_shown(rejected)!r} is not an ATOP ID (it {_atopid_rejection(rejected)}); "
                f"used ATOP ID {atopid} stated before question 2"
            )
    if atopid is None or len(answers) < MIN_QUESTIONS:
        missing = []
        if atopid is None and rejected is not None:
            missing.append(
                f"question 1 gives {_shown(rejected)!r}, which {_atopid_rejection(rejected)} ({ATOPID_RULE})"
            )
        elif atopid is None:
            missing.append("no ATOP ID (question 1)")
        if len(answers) < MIN_QUESTIONS or rejected is None:
            missing.append(f"only {len(answers)} of {QUESTION_COUNT} questions found")
        name = "no_atop_id" if atopid is None else "too_few_questions"
        what = "ATOP ID rejected" if atopid is None and rejected is not None else "not an ATOP codesheet"
        raise NotACodesheetError(
            SheetError(
                source_file=sheet_text.source_file,
                sha256=sheet_text.sha256,
                stage="parse",
                error=name,
                message=f"{sheet_text.source_file}: {what}: {' and '.join(missing)}",
                question=1 if atopid is None else None,
                value=_shown(rejected, 64) if atopid is None and rejected is not None else None,
                atopid=atopid,
            )
        )
    sheet = Codesheet(
        source_file=sheet_text.source_file,
        sha256=sheet_text.sha256,
        size=sheet_text.size,
        encoding=sheet_text.encoding,
        kind=sheet_text.kind,
        atopid=atopid,
        answers=answers,
        warnings=[*sheet_text.warnings, *id_warnings, *located.warnings],
        parser_version=PARSER_VERSION,
    )
    _fill_fields(sheet)
    sheet.cutoff = cutoff
    sheet.atop, sheet.atop_members = derive_atop(sheet, cutoff=cutoff)
    return sheet


def parse_bytes(data: bytes, source_file: str, *, cutoff: dt.date = DEFAULT_CUTOFF) -> Codesheet:
    """Read and parse one file's bytes; raises SheetReadError or NotACodesheetError."""
    from atop_pipeline.codesheets.reading import read_sheet  # lazy: reading pulls in PDF support

    return parse_text(read_sheet(data, source_file), cutoff=cutoff)


# Bytes-level: a non-breaking space is \xa0 in single-byte codes and \xc2\xa0 in UTF-8.
_PEEK_SPACE = rb"(?:\s|\xc2\xa0|\xa0|\xe2\x80\xaf)*"
_PEEK_RE = re.compile(rb"ATOP" + _PEEK_SPACE + rb"ID" + _PEEK_SPACE + rb"[:#]?" + _PEEK_SPACE + rb"(\d{4})\b", re.IGNORECASE)
_PEEK_RE_16 = re.compile(r"ATOP\s*ID\s*[:#]?\s*(\d{4})\b", re.IGNORECASE)


def peek_atopid(data: bytes, source_file: str) -> int | None:
    """The sheet's ATOP ID from a cheap scan of its start, or None; never raises."""
    try:
        head = data[:16384]
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            codec = "utf-16"
            m16 = _PEEK_RE_16.search(head.decode(codec, errors="ignore"))
            return int(m16.group(1)) if m16 else None
        if head.startswith(b"%PDF"):
            from atop_pipeline.codesheets.reading import read_sheet

            m16 = _PEEK_RE_16.search(read_sheet(data, source_file).text[:16384])
            return int(m16.group(1)) if m16 else None
        m = _PEEK_RE.search(head)
        return int(m.group(1)) if m else None
    except Exception:  # noqa: BLE001 - the sensor calls this on every file each tick
        return None
