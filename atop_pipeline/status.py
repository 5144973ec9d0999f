"""In-force reasoning: the sheet's claim, the treaty's own clauses and the sources, combined into a verdict.

`assess` answers, for one alliance as of a date: what the sheet claims (and how old that claim is), what
the duration/renewal/notice clauses imply (the current term's end and the next notice deadline, or
expiry), what the cited sources show, and a verdict with its evidence, disagreements and warnings.

Decisions worth knowing:
- Terms are counted from the earliest signature date, because that is what the sheet records; the
  treaty itself may count from entry into force. The assumption is stated in `clause_basis`, and when a
  source gives the entry-into-force date the alternative count is reported too.
- `next_notice_deadline` is the deadline for the *current* term (term_end minus the notice period),
  even when it has already passed; a warning then says notice for this term is closed and names the
  next open deadline. Reporting the current term's deadline keeps the field tied to `term_end`.
- A Kazakh ratification law's adilet status is a proxy for the treaty, not proof (notes §0.4): a
  repealed law is a disagreement with "in effect" on the sheet, but a law still in force does not
  contradict a sheet that says the treaty ended (the law often stays "Новый" after denunciation).
- An unreachable source is a warning, never a conflict and never "not in force".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from dateutil.relativedelta import relativedelta

from atop_pipeline.codesheets.model import Codesheet, DurationTerms
from atop_pipeline.sources.readers import SourceReading

Verdict = Literal["in_force", "terminated", "expired", "unknown", "conflicting"]
ClauseKind = Literal[
    "no_expiry", "in_term", "expired", "expired_unless_renewed", "until_condition", "not_started", "unknown"
]

#: Fetch outcomes that delivered a page (a 304 re-uses the stored body).
_REACHED = frozenset({"ok", "not_modified"})


@dataclass(frozen=True)
class InForceVerdict:
    """The in-force verdict for one alliance as of a date; field names are `in_force_status` columns."""

    atopid: int | None
    as_of: dt.date
    verdict: str  # "in_force" | "terminated" | "expired" | "unknown" | "conflicting"
    sheet_claim: str  # "terminated" | "in_effect" | "unknown"
    sheet_claim_date: dt.date | None
    claim_age_days: int | None
    term_end: dt.date | None  # end of the current term as of `as_of`
    next_notice_deadline: dt.date | None  # last day to give notice for the current term
    clause_basis: str  # the reasoning and its assumptions, as a sentence
    source_status: str  # e.g. "in_force (ratifying act, adilet status_new)" or "unreachable"
    evidence_json: str  # JSON list of {kind, detail, url?}
    disagreements_json: str  # JSON list of {kind, detail}
    warnings_json: str  # JSON list of {kind, detail}
    computed_at: dt.datetime

    @property
    def evidence(self) -> list[dict[str, str]]:
        """The evidence items as dicts."""
        return json.loads(self.evidence_json)

    @property
    def disagreements(self) -> list[dict[str, str]]:
        """The disagreements as dicts."""
        return json.loads(self.disagreements_json)

    @property
    def warnings(self) -> list[dict[str, str]]:
        """The warnings as dicts."""
        return json.loads(self.warnings_json)


@dataclass(frozen=True)
class ClauseFinding:
    """What the duration, renewal and notice clauses imply as of a date."""

    kind: str  # a ClauseKind
    term_start: dt.date | None = None
    term_end: dt.date | None = None
    next_notice_deadline: dt.date | None = None
    lapse_date: dt.date | None = None  # when the term lapsed (expired / expired_unless_renewed)
    basis: str = ""
    notes: tuple[dict[str, str], ...] = ()  # warnings arising from the clauses


@dataclass
class _Findings:
    evidence: list[dict[str, str]] = field(default_factory=list)
    disagreements: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)

    def add(self, bucket: list[dict[str, str]], kind: str, detail: str, url: str | None = None) -> None:
        item = {"kind": kind, "detail": detail}
        if url:
            item["url"] = url
        if item not in bucket:
            bucket.append(item)


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus a number of calendar months (month-end clipped: 31 Jan + 1 month = 28/29 Feb)."""
    return day + relativedelta(months=months)


# ------------------------------------------------------------------------------------------------
# (1) The sheet's claim


@dataclass(frozen=True)
class SheetClaim:
    """The sheet's termination claim reduced to a kind and a date, with how it was found."""

    kind: str  # "terminated" | "in_effect" | "unknown"
    date: dt.date | None
    text: str
    note: str = ""


def sheet_claim(sheet: Codesheet) -> SheetClaim:
    """The sheet's claim (Q14): terminated on a date, in effect as of a date, or unknown."""
    term = sheet.termination
    if term is not None and term.kind in ("terminated", "in_effect"):
        if term.date is not None:
            # An in-effect claim holds from the start of its stated period; a termination ends at the
            # latest day its (possibly partial) date allows.
            fill = "start" if term.kind == "in_effect" else "end"
            return SheetClaim(term.kind, term.date.as_date(fill=fill), term.source_text)
        if term.kind == "in_effect" and sheet.revision_date is not None:
            return SheetClaim(
                "in_effect", sheet.revision_date.as_date(fill="start"), term.source_text,
                note="the claim is undated; the sheet's last revision date (Q60) is used as its date",
            )
        return SheetClaim(term.kind, None, term.source_text)
    exits = [m.exit for m in sheet.members]
    if sheet.members and all(e is not None for e in exits):
        last = max(e.as_date(fill="end") for e in exits if e is not None)
        return SheetClaim("terminated", last, term.source_text if term else "",
                          note="every member has an exit date (Q14)")
    return SheetClaim("unknown", None, term.source_text if term else "")


# ------------------------------------------------------------------------------------------------
# (2) The clauses


def term_start(sheet: Codesheet) -> tuple[dt.date | None, str]:
    """The date terms are counted from (the earliest signature) and a note on its precision."""
    dates = list(sheet.signature_dates) or [m.entry for m in sheet.members if m.entry is not None]
    if not dates:
        return None, "no signature date on the sheet"
    first = min(dates, key=lambda d: d.as_date(fill="start"))
    note = "" if first.day is not None else f" (signature date known only as {first.iso()}; its first day used)"
    return first.as_date(fill="start"), note


_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "eighteen": 18, "twenty-four": 24,
}
_NOTICE = re.compile(
    r"\b(\d{1,3}|" + "|".join(_NUMBER_WORDS) + r")\s*(?:\(\d{1,3}\)\s*)?(months?|years?)['’]?s?\s+"
    r"(?:written\s+)?(?:notice|notification|before|prior|in\s+advance|after\s+(?:the\s+)?(?:receipt|notification))",
    re.IGNORECASE,
)


def notice_months_from_text(text: str) -> tuple[int | None, str]:
    """The notice period in months written in a clause ("no less than six months before ..."), and the words."""
    m = _NOTICE.search(text)
    if not m:
        return None, ""
    raw = m.group(1).lower()
    count = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
    months = count * 12 if m.group(2).lower().startswith("year") else count
    return months, m.group(0)


def duration_for(sheet: Codesheet) -> tuple[DurationTerms | None, str]:
    """The sheet's duration terms, with the notice period read from Q10-Q12 when the parser left it empty."""
    duration = sheet.duration
    if duration is None or duration.notice_months is not None:
        return duration, ""
    for number in (12, 10, 11):
        answer = sheet.answer(number)
        if answer is None:
            continue
        months, words = notice_months_from_text(answer.answer_text.replace("\n", " "))
        if months is not None:
            return (dataclasses.replace(duration, notice_months=months),
                    f" (notice period read from the Q{number} text: «{words}»)")
    return duration, ""


def clause_terms(duration: DurationTerms | None, start: dt.date | None, as_of: dt.date, *,
                 start_label: str = "signature") -> ClauseFinding:
    """What the duration/renewal/notice clauses imply as of `as_of`, counting terms from `start`."""
    if duration is None:
        return ClauseFinding("unknown", basis="no duration terms were parsed from the sheet (Q10-Q13)")
    if duration.speclgth in (0, 3):
        why = "no provision on duration" if duration.speclgth == 0 else "explicitly indefinite duration"
        basis = f"{why} (speclgth {duration.speclgth}): the clauses imply no expiry"
        if duration.notice_months:
            basis += f"; a party may withdraw on {duration.notice_months} months' notice"
        return ClauseFinding("no_expiry", basis=basis)
    if duration.speclgth == 2:
        return ClauseFinding("until_condition", basis="the treaty lasts until a condition is met (speclgth 2): "
                             "the clauses cannot date its end")
    if duration.speclgth != 1 or not duration.length_months:
        return ClauseFinding("unknown", basis=f"duration clause not usable (speclgth {duration.speclgth}, "
                             f"length {duration.length_months} months)")
    if start is None:
        return ClauseFinding("unknown", basis=f"fixed term of {duration.length_months} months, but no start date")
    if as_of < start:
        return ClauseFinding("not_started", basis=f"as of {as_of} the treaty was not yet signed ({start})")

    length = duration.length_months
    initial_end = add_months(start, length)
    basis = f"initial term {length} months from {start_label} {start.isoformat()}"
    if start_label == "signature":
        basis += " (assumed: the sheet gives only the signature date; the treaty may count from entry into force)"
    notes: list[dict[str, str]] = []

    if as_of < initial_end:
        deadline, deadline_text = None, ""
        if duration.proren == 2:
            # Notice only matters where silence renews the treaty; a term that simply ends needs none.
            deadline, deadline_text = _notice(duration, initial_end, as_of, notes,
                                              renewal=duration.renewal_months or length, start=start,
                                              length=length, k=1)
            basis += _renewal_text(duration, length)
        basis += f"; current (initial) term {start.isoformat()} to {initial_end.isoformat()}{deadline_text}"
        return ClauseFinding("in_term", start, initial_end, deadline, None, basis, tuple(notes))

    if duration.proren == 2:
        renewal = duration.renewal_months or length
        basis += _renewal_text(duration, length)
        # Count each end from the start date (not iteratively) so month-end clipping cannot drift.
        ends = [initial_end]
        k = 1
        while ends[-1] <= as_of:
            ends.append(add_months(start, length + k * renewal))
            k += 1
        term_end = ends[-1]
        current_start = ends[-2]
        listed = ", ".join(e.isoformat() for e in ends[-6:])
        deadline, deadline_text = _notice(duration, term_end, as_of, notes, renewal=renewal, start=start,
                                          length=length, k=k)
        basis += (f"; terms end {'…, ' if len(ends) > 6 else ''}{listed}; current term "
                  f"{current_start.isoformat()} to {term_end.isoformat()}{deadline_text}")
        return ClauseFinding("in_term", current_start, term_end, deadline, None, basis, tuple(notes))

    if duration.proren == 1:
        basis += "; renewal requires an active decision by the parties"
        renewals = duration.renewals
        if renewals and duration.renewal_months:
            end = add_months(initial_end, renewals * duration.renewal_months)
            basis += f"; renewed {renewals} time(s) for {duration.renewal_months} months each (Q13)"
            if as_of < end:
                basis += f"; current term ends {end.isoformat()}"
                return ClauseFinding("in_term", None, end, None, None, basis, tuple(notes))
            basis += f"; the last recorded term lapsed on {end.isoformat()}: expired unless renewed again"
            return ClauseFinding("expired_unless_renewed", None, end, None, end, basis, tuple(notes))
        if renewals:
            basis += f"; renewed {renewals} time(s) (Q13) for an unstated term: the current term cannot be dated"
            return ClauseFinding("unknown", None, None, None, None, basis, tuple(notes))
        recorded = "no renewal is recorded (Q13: 0)" if renewals == 0 else "renewals are not recorded"
        basis += f"; {recorded}; the initial term lapsed on {initial_end.isoformat()}: expired unless renewed"
        return ClauseFinding("expired_unless_renewed", start, initial_end, None, initial_end, basis, tuple(notes))

    if duration.proren is None:
        basis += (f"; renewal provisions unknown; the fixed term lapsed on {initial_end.isoformat()}: "
                  "expired unless renewed")
        return ClauseFinding("expired_unless_renewed", start, initial_end, None, initial_end, basis, tuple(notes))
    basis += f"; no renewal clause; the fixed term lapsed on {initial_end.isoformat()}: the clauses imply expiry"
    return ClauseFinding("expired", start, initial_end, None, initial_end, basis, tuple(notes))


def _renewal_text(duration: DurationTerms, length: int) -> str:
    renewal = duration.renewal_months or length
    assumed = "" if duration.renewal_months else " (renewal term not stated; assumed equal to the initial term)"
    notice = (f" unless notice >= {duration.notice_months} months before expiry" if duration.notice_months
              else " unless notice is given (no notice period stated)")
    return f"; renewed automatically for {renewal}-month terms{notice}{assumed}"


def _notice(duration: DurationTerms, term_end: dt.date, as_of: dt.date, notes: list[dict[str, str]], *,
            renewal: int | None = None, start: dt.date | None = None, length: int | None = None,
            k: int | None = None) -> tuple[dt.date | None, str]:
    """The current term's notice deadline, and a warning when it has already passed."""
    if not duration.notice_months:
        return None, ""
    deadline = add_months(term_end, -duration.notice_months)
    text = f"; notice deadline for this term {deadline.isoformat()}"
    if deadline < as_of:
        following = None
        if renewal and start is not None and length is not None and k is not None:
            following = add_months(add_months(start, length + k * renewal), -duration.notice_months)
        more = f"; the next open deadline is {following.isoformat()}" if following else ""
        notes.append({"kind": "notice_window_closed",
                      "detail": f"notice for the term ending {term_end.isoformat()} closed on {deadline.isoformat()}"
                                f" ({duration.notice_months} months before expiry){more}"})
        text += " (already passed: notice for this term is closed)"
    return deadline, text


# ------------------------------------------------------------------------------------------------
# (3) The sources


def _describe(r: SourceReading) -> str:
    subject = {"ratifying_act": "ratifying act", "treaty": "treaty"}.get(r.subject, "cited act")
    badge = f"{r.reader} {r.status_class}" if r.status_class else r.reader
    if r.denunciation:
        return f"denunciation signs ({subject}, {badge})"
    if r.status_norm == "not_in_force":
        when = f" {r.repeal_date.isoformat()}" if r.repeal_date else ""
        eff = f", effective {r.repeal_effective_date.isoformat()}" if r.repeal_effective_date else ""
        return f"not_in_force ({subject} repealed{when}{eff}, {badge})"
    if r.status_norm == "in_force":
        return f"in_force ({subject}, {badge})"
    return f"unknown ({badge}: no usable status)"


def _status_as_of(reading: SourceReading, as_of: dt.date) -> str:
    """The reading's status on `as_of`: a repeal that takes effect later leaves the act in force then."""
    if reading.status_norm == "not_in_force":
        takes_effect = reading.repeal_effective_date or reading.repeal_date
        if takes_effect is not None and takes_effect > as_of:
            return "in_force"
    return reading.status_norm


def assess(
    sheet: Codesheet,
    readings: list[SourceReading],
    outcomes: list[Any] | None,
    as_of: dt.date,
    *,
    stale_after_years: int = 5,
    now: dt.datetime | None = None,
) -> InForceVerdict:
    """The in-force verdict for `sheet` as of `as_of`, from its claim, its clauses and the source readings.

    `readings` are the readings of the sheet's cited sources; `outcomes` the fetch outcomes behind them
    (None when nothing was fetched, e.g. offline). Warnings never change the verdict; disagreements
    make it "conflicting".
    """
    f = _Findings()
    claim = sheet_claim(sheet)
    age = (as_of - claim.date).days if claim.date else None
    terminated_later = _weigh_claim(f, claim, age, as_of, stale_after_years)
    clauses, basis = _weigh_clauses(f, sheet, readings, as_of)
    sources = _weigh_sources(f, sheet, readings, outcomes, as_of)
    _find_disagreements(f, claim, clauses, sources, terminated_later)
    verdict = _decide(f, claim, clauses, sources, terminated_later)
    return InForceVerdict(
        atopid=sheet.atopid,
        as_of=as_of,
        verdict=verdict,
        sheet_claim=claim.kind,
        sheet_claim_date=claim.date,
        claim_age_days=age,
        term_end=clauses.term_end,
        next_notice_deadline=clauses.next_notice_deadline,
        clause_basis=basis,
        source_status=sources.status,
        evidence_json=json.dumps(f.evidence, ensure_ascii=False),
        disagreements_json=json.dumps(f.disagreements, ensure_ascii=False),
        warnings_json=json.dumps(f.warnings, ensure_ascii=False),
        computed_at=now or dt.datetime.now(dt.timezone.utc),
    )


def _weigh_claim(f: _Findings, claim: SheetClaim, age: int | None, as_of: dt.date, stale_after_years: int) -> bool:
    """Record the sheet's claim and its staleness; True when the sheet dates a termination after `as_of`."""
    if claim.kind == "unknown":
        f.add(f.evidence, "sheet_claim", "the sheet makes no usable claim about termination (Q14)")
    else:
        when = f" {'on' if claim.kind == 'terminated' else 'as of'} {claim.date.isoformat()}" if claim.date else ""
        detail = f"the sheet says {claim.kind.replace('_', ' ')}{when}"
        if claim.text:
            detail += f": «{claim.text}»"
        if claim.note:
            detail += f" ({claim.note})"
        f.add(f.evidence, "sheet_claim", detail)
    if claim.kind == "in_effect" and claim.date is not None and age is not None and age > stale_after_years * 365.25:
        f.add(f.warnings, "stale_claim",
              f"the sheet's claim (in effect as of {claim.date.isoformat()}) is {age / 365.25:.1f} years old "
              f"(more than {stale_after_years})")
    if claim.kind == "in_effect" and claim.date is None:
        f.add(f.warnings, "undated_claim", "the sheet says in effect but gives no date")
    terminated_later = claim.kind == "terminated" and claim.date is not None and claim.date > as_of
    if terminated_later and claim.date is not None:
        f.add(f.evidence, "sheet_claim",
              f"the sheet's termination date {claim.date.isoformat()} is after {as_of.isoformat()}: in force then")
    return terminated_later


def _weigh_clauses(f: _Findings, sheet: Codesheet, readings: list[SourceReading],
                   as_of: dt.date) -> tuple[ClauseFinding, str]:
    """What the clauses imply (counted from signature), and the basis sentence with its assumptions.

    When a source gives the treaty's entry into force, the count from that date is reported beside it,
    with a warning if the two counts lead to different conclusions.
    """
    start, start_note = term_start(sheet)
    duration, notice_note = duration_for(sheet)
    clauses = clause_terms(duration, start, as_of)
    basis = clauses.basis + start_note + notice_note
    eif = next((r.entry_into_force_date for r in readings if r.entry_into_force_date), None)
    alt: ClauseFinding | None = None
    if eif is not None and start is not None and eif != start and duration is not None:
        alt = clause_terms(duration, eif, as_of, start_label="entry into force")
        alt_end = f"current term would end {alt.term_end.isoformat()}" if alt.term_end else f"clauses: {alt.kind}"
        basis += f"; if counted from entry into force {eif.isoformat()} (per the source): {alt_end}"
    f.add(f.evidence, "clauses", basis)
    if alt is not None and eif is not None:
        f.add(f.evidence, "clauses_from_entry_into_force", f"counted from entry into force {eif.isoformat()}: {alt.basis}")
        if alt.kind != clauses.kind:
            f.add(f.warnings, "term_start_ambiguous",
                  f"counting from signature gives '{clauses.kind}' but from entry into force gives '{alt.kind}'")
    for note in clauses.notes:
        f.add(f.warnings, note["kind"], note["detail"])
    return clauses, basis


@dataclass
class _SourceSignals:
    """The readings sorted by what they say about the treaty as of the date."""

    status: str
    denounced: list[SourceReading] = field(default_factory=list)
    treaty_in: list[SourceReading] = field(default_factory=list)  # the treaty itself shown in force
    treaty_out: list[SourceReading] = field(default_factory=list)
    proxy_in: list[SourceReading] = field(default_factory=list)  # the cited act (e.g. ratification law)
    proxy_out: list[SourceReading] = field(default_factory=list)


def _weigh_sources(f: _Findings, sheet: Codesheet, readings: list[SourceReading], outcomes: list[Any] | None,
                   as_of: dt.date) -> _SourceSignals:
    """Record fetch failures and readings as evidence; sort the readings into signals; warn when blind."""
    reached = any(getattr(o, "outcome", None) in _REACHED for o in (outcomes or []))
    for o in outcomes or []:
        if getattr(o, "outcome", None) not in _REACHED:
            msg = getattr(o, "error_message", "") or ""
            f.add(f.evidence, "fetch", f"{o.outcome}{': ' + msg if msg else ''}", getattr(o, "url", None))
    for r in readings:
        f.add(f.evidence, "source", f"{_describe(r)}: {r.evidence_text}".strip(), r.url)
    status_at = {id(r): _status_as_of(r, as_of) for r in readings}
    for r in readings:
        if status_at[id(r)] != r.status_norm:
            f.add(f.evidence, "source_as_of",
                  f"the repeal takes effect after {as_of.isoformat()}, so the act was still in force then", r.url)

    readable = [r for r in readings if r.status_norm != "unknown" or r.denunciation]
    cited = list(dict.fromkeys(sheet.urls + list(sheet.termination.source_urls if sheet.termination else ())))
    if readings:
        # A shell or badge-less page next to a readable one adds nothing to the summary.
        status = "; ".join(dict.fromkeys(_describe(r) for r in (readable or readings)))
        if not readable:
            f.add(f.warnings, "no_source_status", "the sources were read but none shows a usable status")
    elif cited or outcomes:
        status = "unreachable"
        failed = sorted({str(getattr(o, "outcome", "?")) for o in outcomes or []})
        if not failed or failed == ["offline"]:
            how = "nothing was fetched (offline run)"
        else:
            how = "every fetch failed (" + ", ".join(failed) + ")"
        if not reached:
            f.add(f.warnings, "no_source_reached", f"no source could be reached: {how} ({len(cited)} cited URL(s))")
    else:
        status = "no source cited"
        f.add(f.warnings, "no_source_cited", "the sheet cites no source for its claim")

    signals = _SourceSignals(status=status)
    for r in readings:
        now_status = status_at[id(r)]
        if r.denunciation:
            signals.denounced.append(r)
        elif r.subject == "treaty":
            {"in_force": signals.treaty_in, "not_in_force": signals.treaty_out}.get(now_status, []).append(r)
        else:
            {"in_force": signals.proxy_in, "not_in_force": signals.proxy_out}.get(now_status, []).append(r)
    if signals.proxy_in or signals.proxy_out:
        f.add(f.warnings, "proxy_source",
              "the source's status is that of the act cited (for a treaty, usually the ratification law), which is "
              "evidence about the treaty, not proof: a treaty can end while the law stays in force")
    return signals


def _find_disagreements(f: _Findings, claim: SheetClaim, clauses: ClauseFinding, src: _SourceSignals,
                        terminated_later: bool) -> None:
    """Record each disagreement between the sheet, the clauses and the sources."""
    claim_date = claim.date.isoformat() if claim.date else "?"
    lapse = clauses.lapse_date.isoformat() if clauses.lapse_date else "?"
    if claim.kind == "in_effect":
        for r in src.proxy_out:
            when = r.repeal_effective_date or r.repeal_date
            f.add(f.disagreements, "sheet_in_effect_but_law_repealed",
                  f"the sheet says in effect as of {claim_date} but the cited act is repealed"
                  f"{' (' + when.isoformat() + ')' if when else ''}: {r.url}")
        for r in src.treaty_out:
            f.add(f.disagreements, "sheet_in_effect_but_source_not_in_force",
                  f"the sheet says in effect but the source shows the treaty not in force: {r.url}")
        for r in src.denounced:
            f.add(f.disagreements, "sheet_in_effect_but_denounced",
                  f"the sheet says in effect but the source shows signs of denunciation or termination: {r.url}")
        # A claim dated before the lapse is not contradicted by it (the verdict still says expired).
        if clauses.kind == "expired" and claim.date and clauses.lapse_date and clauses.lapse_date <= claim.date:
            f.add(f.disagreements, "sheet_in_effect_but_term_lapsed",
                  f"the sheet says in effect as of {claim_date} but the fixed term lapsed on {lapse} "
                  "with no renewal clause")
    if claim.kind == "terminated" and not terminated_later:
        for r in src.treaty_in:
            f.add(f.disagreements, "sheet_terminated_but_source_in_force",
                  f"the sheet says terminated on {claim_date} but the source shows the treaty in force: {r.url}")
        if src.proxy_in:
            # Not a conflict: the ratification law often keeps «Новый» after the treaty ends (notes §0.4).
            f.add(f.warnings, "law_in_force_after_termination",
                  "the sheet says terminated while the cited act is still in force; a ratification law often "
                  "stays in force after the treaty ends, so this is not a conflict")
    if clauses.kind == "expired":
        for r in src.treaty_in:
            f.add(f.disagreements, "source_in_force_but_term_lapsed",
                  f"the source shows the treaty in force but its fixed term lapsed on {lapse} with no renewal "
                  f"clause: {r.url}")


def _decide(f: _Findings, claim: SheetClaim, clauses: ClauseFinding, src: _SourceSignals,
            terminated_later: bool) -> str:
    """The verdict from the weighed evidence (strongest signal first); may add the warning it rests on."""
    if f.disagreements:
        return "conflicting"
    if clauses.kind == "not_started":
        return "unknown"
    if claim.kind == "terminated" and not terminated_later:
        return "terminated"
    if src.denounced or src.treaty_out:
        return "terminated"
    if clauses.kind == "expired" and not terminated_later:
        return "expired"
    says_in_effect = claim.kind == "in_effect" or terminated_later
    if clauses.kind == "expired_unless_renewed":
        renewed = bool(src.treaty_in) or (
            says_in_effect and claim.date is not None and clauses.lapse_date is not None
            and claim.date >= clauses.lapse_date
        )
        if not renewed:
            f.add(f.warnings, "renewal_unknown",
                  "the term lapsed and needed an active renewal that the sheet does not record; taken as expired "
                  "unless renewed")
            return "expired"
    if src.proxy_out:
        f.add(f.warnings, "proxy_only_ended",
              "only the ratification act's repeal suggests the treaty ended; that is a proxy, not proof")
        return "unknown"
    if says_in_effect or src.treaty_in or src.proxy_in:
        return "in_force"
    return "unknown"


def verdict_row(verdict: InForceVerdict) -> dict[str, Any]:
    """The verdict as an `in_force_status` row: a dict of JSON-safe values (dates as ISO text)."""
    return {k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v)
            for k, v in dataclasses.asdict(verdict).items()}


def verdict_summary(verdict: InForceVerdict) -> dict[str, Any]:
    """The verdict as one `status --json` object: the row with the JSON lists expanded."""
    row = verdict_row(verdict)
    for name in ("evidence", "disagreements", "warnings"):
        row[name] = json.loads(row.pop(f"{name}_json"))
    return row


def assess_all(
    sheets: list[Codesheet],
    documents: list[tuple[Any, SourceReading | None]] | None,
    as_of: dt.date,
    *,
    stale_after_years: int = 5,
) -> list[InForceVerdict]:
    """A verdict per sheet, each from the fetched documents of the URLs that sheet cites.

    `documents` is `fetch_source_documents` output; None means nothing was fetched (offline), so every
    cited source is recorded as unreachable.
    """
    from atop_pipeline.sources.documents import DocumentIndex

    # Each document keyed once: re-keying every document for every sheet was quadratic.
    index = DocumentIndex(documents) if documents is not None else None
    verdicts: list[InForceVerdict] = []
    for sheet in sheets:
        urls = list(dict.fromkeys(sheet.urls + list(sheet.termination.source_urls if sheet.termination else ())))
        if index is None:
            outcomes, readings = [], []
        else:
            outcomes, readings = index.documents_for(urls)
        verdicts.append(assess(sheet, readings, outcomes, as_of, stale_after_years=stale_after_years))
    return verdicts
