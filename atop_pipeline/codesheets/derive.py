"""Codesheet -> ATOP 5.1 alliance- and member-level variables, by the codebook's rules.

Only variables the sheet determines are derived; anything the sheet leaves open is None (the
published CSVs' empty field), never a guess.
"""

from __future__ import annotations

import datetime as dt

from atop_pipeline.codesheets.fields import date_key
from atop_pipeline.codesheets.model import AnswerFlag, Codesheet, Member, PartialDate

#: Alliance-level variables the parser derives (plus mem1..memN, one per member).
ALLIANCE_VARIABLES: tuple[str, ...] = (
    "atopid", "cowid", "begyr", "begmo", "begday", "endyr", "endmo", "endday", "ineffect", "bilat",
    "estmode", "pubsecr", "speclgth", "length", "renounce", "proren", "renewlgt",
    "defense", "offense", "neutral", "nonagg", "consul", "asymm", "intcom", "source",
)  # fmt: skip

#: Member-level variables the parser derives, one row per member.
MEMBER_VARIABLES: tuple[str, ...] = (
    "atopid", "member", "yrent", "moent", "dayent", "yrexit", "moexit", "dayexit", "ineffect",
)  # fmt: skip

Row = dict[str, int | None]


def _ymd(d: PartialDate | None) -> tuple[int | None, int | None, int | None]:
    if d is None:
        return None, None, None
    return d.year, d.month, d.day


def _yes_no(flag: AnswerFlag | None, *, yes: int, no: int) -> int | None:
    if flag == "yes":
        return yes
    if flag == "no":
        return no
    return None


def _exited_by(exit_date: PartialDate | None, cutoff: dt.date) -> bool:
    """True if the member had left on or before the cut-off."""
    # A date known only to the month/year counts as on its earliest day: "1918" ended by 1918-12-31.
    return exit_date is not None and exit_date.as_date(fill="start") <= cutoff


def _begin_date(members: list[Member]) -> PartialDate | None:
    """The date the alliance came into being: when the SECOND member signed (codebook BEGYR)."""
    first: dict[int, PartialDate] = {}
    for m in members:
        if m.entry is not None and (m.ccode not in first or date_key(m.entry) < date_key(first[m.ccode])):
            first[m.ccode] = m.entry
    dates = sorted(first.values(), key=date_key)
    if not dates:
        return None
    return dates[1] if len(dates) >= 2 else dates[0]


#: Successor states that continue a predecessor's bilateral alliances as parallel bilateral
#: phases. Codebook footnote 10: after Czechoslovakia split on 1/1/93, "we code the continuation
#: of two bilateral alliances ... as phases 2 and 3 of the alliance. BILAT is coded 1 for all
#: phases".
_SUCCESSORS: dict[int, frozenset[int]] = {315: frozenset({316, 317})}


def max_concurrent_members(members: list[Member], cutoff: dt.date) -> int:
    """Most distinct members in the alliance at once in its last phase (for BILAT).

    The alliance-level file codes BILAT for the last phase (checked against every multi-phase
    alliance in ATOP 5.1). A sheet has no phases, but a member signing again marks one: the last
    phase starts at the latest such re-signature; without one the whole lifetime counts.
    """
    if any(m.entry is None for m in members):
        return len({m.ccode for m in members})
    by_code: dict[int, list[Member]] = {}
    for m in members:
        by_code.setdefault(m.ccode, []).append(m)
    restarts = [
        date_key(m.entry) for spells in by_code.values() if len(spells) > 1
        for m in sorted(spells, key=lambda x: date_key(x.entry))[1:] if m.entry is not None
    ]  # fmt: skip
    phase_start = max(restarts) if restarts else None
    codes = {m.ccode for m in members}
    # Successors of a member count as one slot ("Czech Republic" and "Slovakia" for Czechoslovakia).
    slot = {c: p for p, succ in _SUCCESSORS.items() if p in codes for c in succ}
    events: list[tuple[tuple[int, int, int], int, int]] = []
    for m in members:
        assert m.entry is not None
        exited = m.exit is not None and _exited_by(m.exit, cutoff)
        if phase_start is not None and exited and m.exit is not None and date_key(m.exit) <= phase_start:
            # Ended when (or before) the last phase began: it belongs to an earlier phase.
            continue
        start = date_key(m.entry) if phase_start is None else max(date_key(m.entry), phase_start)
        events.append((start, 1, slot.get(m.ccode, m.ccode)))
        if exited and m.exit is not None:
            events.append((date_key(m.exit), -1, slot.get(m.ccode, m.ccode)))
    # Leaving and joining on the same day: leaving first, as the codebook counts members "at any point".
    events.sort(key=lambda e: (e[0], e[1]))
    active: dict[int, int] = {}
    peak = 0
    for _, delta, code in events:
        active[code] = active.get(code, 0) + delta
        if active[code] <= 0:
            del active[code]
        peak = max(peak, len(active))
    return peak


def derive_atop(sheet: Codesheet, *, cutoff: dt.date) -> tuple[Row, list[Row]]:
    """(alliance row, member rows) of ATOP variables; None where the sheet does not determine one."""
    members = sheet.members
    claim = sheet.termination
    begin = _begin_date(members)

    # Per member: entry is its own signature, but never before the alliance exists
    # ("If the initial two members ... sign on different days, the date of entry is recorded as
    # the second signature date").
    member_rows: list[Row] = []
    member_effect: list[int | None] = []
    exits: list[PartialDate] = []
    for m in sorted(members, key=lambda m: (m.ccode, date_key(m.entry) if m.entry else (0, 0, 0))):
        entry = m.entry
        if entry is not None and begin is not None and date_key(entry) < date_key(begin):
            entry = begin
        yrent, moent, dayent = _ymd(entry)
        ineffect: int | None
        yrexit: int | None
        moexit: int | None
        dayexit: int | None
        if _exited_by(m.exit, cutoff):
            ineffect = 0
            yrexit, moexit, dayexit = _ymd(m.exit)
            assert m.exit is not None
            exits.append(m.exit)
        elif m.exit is not None or (claim is not None and claim.kind == "in_effect"):
            # In effect on the cut-off (no exit, or an exit after it): INEFFECT=1, exit 0/0/0.
            ineffect, yrexit, moexit, dayexit = 1, 0, 0, 0
        else:
            # Q14 missing, "Unknown", or silent about this member: not determined by the sheet.
            ineffect = yrexit = moexit = dayexit = None
        member_effect.append(ineffect)
        member_rows.append(
            {
                "atopid": sheet.atopid,
                "member": m.ccode,
                "yrent": yrent,
                "moent": moent,
                "dayent": dayent,
                "yrexit": yrexit,
                "moexit": moexit,
                "dayexit": dayexit,
                "ineffect": ineffect,
            }
        )

    # Alliance end: "For multilateral alliances, this is the final termination date"; the
    # alliance is in effect while any member is.
    a_ineffect: int | None
    if not member_effect:
        # No members found: the termination claim alone still says whether it ended.
        kind = claim.kind if claim else None
        if kind == "in_effect":
            a_ineffect = 1
        elif kind == "terminated" and claim is not None and claim.date is not None:
            a_ineffect = 0 if _exited_by(claim.date, cutoff) else 1
            if a_ineffect == 0:
                exits.append(claim.date)
        else:
            a_ineffect = None
    elif 1 in member_effect:
        a_ineffect = 1
    elif all(e == 0 for e in member_effect):
        a_ineffect = 0
    else:
        a_ineffect = None
    endyr: int | None
    endmo: int | None
    endday: int | None
    if a_ineffect == 1:
        endyr, endmo, endday = 0, 0, 0
    elif a_ineffect == 0:
        endyr, endmo, endday = _ymd(max(exits, key=date_key))
    else:
        endyr = endmo = endday = None

    duration = sheet.duration
    ob = sheet.obligations
    by_number = {a.number: a for a in sheet.answers}

    def flag(n: int) -> AnswerFlag | None:
        a = by_number.get(n)
        return a.flag if a else None

    source = None
    if 58 in by_number:
        from atop_pipeline.codesheets.fields import source_code

        source = source_code(by_number[58].answer_text)

    bilat = None
    if members:
        bilat = 1 if max_concurrent_members(members, cutoff) <= 2 else 0

    begyr, begmo, begday = _ymd(begin)
    row: Row = {
        "atopid": sheet.atopid,
        "cowid": sheet.cowid,
        "begyr": begyr,
        "begmo": begmo,
        "begday": begday,
        "endyr": endyr,
        "endmo": endmo,
        "endday": endday,
        "ineffect": a_ineffect,
        "bilat": bilat,
        "estmode": sheet.estmode,
        "pubsecr": sheet.pubsecr,
        "speclgth": duration.speclgth if duration else None,
        "length": duration.length_months if duration else None,
        "renounce": duration.renounce if duration else None,
        "proren": duration.proren if duration else None,
        # RENEWLGT is 0 when there is no renewal provision (codebook).
        "renewlgt": (0 if duration.proren == 0 else duration.renewal_months) if duration and duration.proren is not None else None,
        "defense": ob.get("defense"),
        "offense": ob.get("offense"),
        "neutral": ob.get("neutral"),
        "nonagg": ob.get("nonagg"),
        "consul": ob.get("consul"),
        # Q24 asks "Are the obligations symmetric?": Yes means ASYMM=0.
        "asymm": _yes_no(flag(24), yes=0, no=1),
        "intcom": _yes_no(flag(33), yes=1, no=0),
        "source": source,
    }
    for k, code in enumerate(sorted({m.ccode for m in members}), start=1):
        row[f"mem{k}"] = code
    return row, member_rows
