"""Render one ATOP codesheet, in the real sheet's style, from an alliance's published rows.

The published ATOP 5.1 rows are the truth; every answer is written so that a careful coder reading
it would code the same value (codebook v5.1): dates per member, termination per member, duration and
renewal clauses, obligation types, yes/no answers for the coded variables. Surface variation comes
from the `SurfaceStyle`; all choices come from the caller's seeded `random.Random`.
"""

from __future__ import annotations

import csv
import random
import re
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from atop_pipeline.synth.quirks import SurfaceStyle

#: Where the bundled ATOP 5.1 CSVs live in a checkout.
DEFAULT_REFERENCE_DIR = Path(__file__).resolve().parents[2] / "data" / "reference"

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_WORDS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty",
)  # fmt: skip

# ATOP codes entities outside the COW list with codes of its own; the sheet still names them.
_EXTRA_NAMES = {8152: "Non-COW entity"}

_CODERS = (
    "Brett Ashley Leeds", "Jeffrey M. Ritter", "Sara McLaughlin Mitchell", "Andrew G. Long",
    "Nicholas Coulombe", "Ashley Leeds", "Michaela Mattes", "Jaroslav Tir", "Burcu Savun",
)  # fmt: skip


@dataclass(frozen=True)
class AllianceRecord:
    """An alliance's published row and its member rows (one per member and phase), as CSV strings."""

    atopid: int
    row: dict[str, str]
    members: tuple[dict[str, str], ...]


@dataclass(frozen=True)
class Spell:
    """One member's membership spell: entry (Q3) and exit (Q14; None = still in effect)."""

    ccode: int
    entry: tuple[int, int | None, int | None]
    exit: tuple[int, int | None, int | None] | None


def load_alliances(reference_dir: Path | str | None = None) -> list[AllianceRecord]:
    """Every alliance in atop5_1a.csv with its member rows from atop5_1m.csv, in file order."""
    ref = Path(reference_dir) if reference_dir is not None else DEFAULT_REFERENCE_DIR
    by_id: dict[str, list[dict[str, str]]] = {}
    with open(ref / "atop5_1m.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            by_id.setdefault(row["atopid"], []).append(row)
    out = []
    with open(ref / "atop5_1a.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out.append(AllianceRecord(int(row["atopid"]), row, tuple(by_id.get(row["atopid"], ()))))
    return out


@lru_cache(maxsize=1)
def state_names() -> dict[int, str]:
    """COW code -> state name from the bundled COW list (first spelling per code)."""
    names: dict[int, str] = dict(_EXTRA_NAMES)
    text = resources.files("atop_pipeline.reference").joinpath("cow_states.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(text.splitlines()):
        names.setdefault(int(row["CCode"]), row["StateNme"].strip())
    return names


@dataclass(frozen=True)
class Template:
    """The v8.0 template: header block lines, section headers and the 61 question texts."""

    header_block: tuple[str, ...]
    sections: dict[int, str]  # first question number of a section -> header line
    questions: dict[int, str]  # number -> question text (wrapped lines joined with a space)


@lru_cache(maxsize=1)
def template() -> Template:
    """The bundled blank codesheet, parsed into question texts and section headers."""
    text = resources.files("atop_pipeline.reference").joinpath("codesheet_template_v8_2000.txt").read_text(
        encoding="utf-8"
    )
    header: list[str] = []
    sections: dict[int, str] = {}
    questions: dict[int, list[str]] = {}
    pending_section: str | None = None
    current: int | None = None
    for raw in text.splitlines():
        line = raw.strip()
        m = re.match(r"^(\d+)\.\s+(.*)$", line)
        if line.startswith("SECTION "):
            pending_section, current = line, None
        elif m:
            current = int(m.group(1))
            questions[current] = [m.group(2)]
            if pending_section:
                sections[current] = pending_section
                pending_section = None
        elif not line:
            current = None
        elif current is not None:
            questions[current].append(line)
        elif not sections and not line.startswith("APPENDIX"):
            header.append(line)
    return Template(tuple(header), sections, {n: " ".join(parts) for n, parts in questions.items()})


# ---------------------------------------------------------------------------------------------
# small value helpers


def _int(value: str) -> int | None:
    """A CSV cell as int; "" is missing."""
    return int(value) if value.strip() != "" else None


def _num_words(n: int, digits: bool) -> str:
    """A count in words ("ten") or digits ("10")."""
    if digits or n > 59:
        return str(n)
    if n <= 20:
        return _WORDS[n]
    tens, unit = divmod(n, 10)
    word = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty"}[tens]
    return word if unit == 0 else f"{word}-{_WORDS[unit]}"


def duration_text(months: int, rng: random.Random) -> str:
    """A term of `months` as a treaty states it: "ten years", "6 years and 4 months", "three months"."""
    digits = rng.random() < 0.3
    years, rest = divmod(months, 12)
    parts = []
    if years:
        parts.append(f"{_num_words(years, digits)} year{'s' if years != 1 else ''}")
    if rest:
        parts.append(f"{_num_words(rest, digits)} month{'s' if rest != 1 else ''}")
    return " and ".join(parts)


def _period_text(months: int, rng: random.Random) -> str:
    """A renewal period: "five-year periods", "successive periods of one year"."""
    if months % 12 == 0 and rng.random() < 0.5:
        return f"subsequent {_num_words(months // 12, False)}-year periods"
    return f"successive periods of {duration_text(months, rng)}"


def format_date(d: tuple[int, int | None, int | None], form: str) -> str:
    """A (year, month, day) date in the file's form; no day -> "November 1913"."""
    y, m, dd = d
    if m is None:
        return str(y)
    if dd is None:
        return f"{_MONTHS[m - 1]} {y}"
    if form == "dmy":
        return f"{dd} {_MONTHS[m - 1]} {y}"
    if form == "numeric":
        return f"{m}/{dd}/{y}"
    return f"{_MONTHS[m - 1]} {dd}, {y}"


def member_label(ccode: int, form: str = "paren") -> str:
    """A member as a sheet writes it: `Name (ccode)`, `ccode Name` or `Name, ccode`."""
    name = state_names().get(ccode, f"State {ccode}")
    if form == "ccode_first":
        return f"{ccode} {name}"
    if form == "comma":
        return f"{name}, {ccode}"
    return f"{name} ({ccode})"


def spells(record: AllianceRecord) -> list[Spell]:
    """The member spells of an alliance, one per member row (phases give a member several)."""
    out = []
    for r in record.members:
        entry = (int(r["yrent"]), _int(r["moent"]), _int(r["dayent"]))
        yrexit = _int(r["yrexit"])
        exit_ = None if not yrexit else (yrexit, _int(r["moexit"]), _int(r["dayexit"]))
        out.append(Spell(int(r["member"]), entry, exit_))
    # Distinct spells only: ATOP repeats a member's row per phase even when the spell is the same.
    seen: dict[tuple, Spell] = {}
    for s in out:
        seen.setdefault((s.ccode, s.entry, s.exit), s)
    return list(seen.values())


# ---------------------------------------------------------------------------------------------
# answers


def _art(rng: random.Random) -> str:
    """An article label for a quoted provision."""
    n = rng.randint(1, 14)
    return rng.choice((f"Article {n}", f"Article {n}", f"Art. {n}", f"Section {n}"))


def _quote(rng: random.Random, text: str) -> str:
    """`Article 5 — “…”` or `Article 5: "…"`."""
    if rng.random() < 0.75:
        return f"{_art(rng)} \u2014 \u201c{text}\u201d"
    return f'{_art(rng)}: "{text}"'


def _unknown(rng: random.Random) -> str:
    """The answer for a variable ATOP codes missing: the text was never found."""
    return rng.choice(("Unknown.", "Unknown \u2014 original text not located.", "Unknown; treaty text unavailable."))


_DUMMY_TEXTS: dict[str, dict[int, str]] = {
    "proadd": {
        1: "The treaty is open to accession by other states.",
        2: "Other states may join with the unanimous consent of the parties.",
        3: "Accession follows the procedure set out in the treaty (deposit of an instrument with the depositary).",
    },
    "futmem": {
        1: "The treaty names specific states invited to accede.",
        2: "States sharing the stated characteristics (e.g., of the region) may join.",
        3: "Any state may join.",
    },
    "conditio": {1: "Obligations apply only in the event of an attack on a party by a third state."},
    "notaiden": {
        1: "Each party undertakes not to aid the enemies of the other.",
        2: "Parties will not assist any outside state that attacks the other party.",
        3: "Parties will not allow non-state groups hostile to the other to operate from their territory.",
        4: "Parties will not aid outside states or non-state groups hostile to the other party.",
    },
    "seppeace": {
        1: "The parties undertake not to conclude a separate peace or armistice.",
        2: "No party will conclude peace without the approval of its allies.",
        3: "The parties will consult one another on the terms of peace.",
    },
    "thirdcom": {1: "The parties will consult before entering into commitments with third states."},
    "noothall": {1: "The parties will not participate in any alliance directed against the other party."},
    "conwtin": {
        1: "The parties will settle disputes between them by peaceful means.",
        2: "The treaty refers to a specific issue in dispute between the parties.",
        3: "Disputes concerning interpretation of the treaty will be settled through consultation.",
    },
    "medarb": {1: "Disputes among the parties will be submitted to arbitration."},
    "milcon": {
        1: "The general staffs will consult in the event of hostilities.",
        2: "The general staffs will hold regular consultations in peacetime.",
        3: "The parties will pursue a common defence policy.",
    },
    "milaid": {
        1: "The parties will assist each other in strengthening their armed forces.",
        2: "Military aid through grants and loans.",
        3: "Military training and transfer of technology.",
        4: "Grants, loans, training and transfer of military technology.",
    },
    "intcom": {1: "A joint command of the allied forces is established in peacetime as well as wartime."},
    "subord": {
        1: "In war the forces of the parties are placed under the command of one party.",
        2: "Forces may be placed under a single command if the parties so agree.",
    },
    "base": {
        1: "Joint bases are established on the territory of a third state.",
        2: "Each party may station troops on the territory of the other.",
        3: "One party may station troops on the territory of the other.",
    },
    "contrib": {1: "The treaty specifies the number of troops each party will provide."},
    "armred": {1: "The parties agree on limits to armaments.", 2: "The parties will coordinate increases of armaments."},
    "acqterr": {1: "Acquisition of territory is permitted.", 2: "Acquisition of territory is prohibited."},
    "divgains": {1: "The treaty provides for the division of gains after the war."},
    "demwith": {1: "Forces will be withdrawn at the end of hostilities."},
    "compag": {
        1: "A companion military agreement.",
        2: "A companion economic agreement.",
        3: "A companion agreement on dispute settlement.",
        4: "A companion peace treaty.",
        5: "A companion agreement on other matters.",
        6: "Several companion agreements.",
    },
    "nomicoop": {1: "The parties will cooperate in economic, cultural and scientific matters."},
    "agprois": {
        1: "The parties will conclude an agreement on their border.",
        2: "The parties will conclude a trade agreement.",
        3: "The parties will conclude a military agreement.",
        4: "The parties will conclude a further specific agreement.",
        5: "The parties will conclude several further agreements.",
    },
    "conmen": {1: "The treaty mentions an unresolved dispute between the parties."},
    "ecaid": {
        1: "The parties will extend economic assistance to each other.",
        2: "Assistance with post-war recovery.",
        3: "Trade concessions (most-favoured-nation treatment).",
    },
    "interv": {
        1: "The parties undertake not to interfere in each other's internal affairs.",
        2: "The parties may intervene jointly in each other's internal affairs.",
        3: "One party may intervene in the internal affairs of the other.",
        4: "One party undertakes not to interfere in the internal affairs of the other.",
    },
}


def _coded(row: dict[str, str], var: str, rng: random.Random, *, quote: bool = True) -> str:
    """Yes/No answer for a coded variable: 0 -> No, missing -> Unknown, k -> Yes + a description."""
    value = _int(row.get(var, ""))
    if value is None:
        return _unknown(rng)
    if value == 0:
        return rng.choice(("No.", "No.", "No"))
    text = _DUMMY_TEXTS.get(var, {}).get(value, "See the treaty text.")
    if quote and rng.random() < 0.5:
        return f"Yes.\n{_art(rng)} \u2014 {text}"
    return f"Yes. {text}"


def _length_answer(row: dict[str, str], rng: random.Random) -> tuple[str, str | None]:
    """Q10 answer and, when length and automatic renewal share one clause, that clause for Q12."""
    speclgth, length = _int(row["speclgth"]), _int(row["length"])
    proren, renewlgt = _int(row["proren"]), _int(row["renewlgt"])
    if speclgth is None:
        return _unknown(rng), None
    if speclgth == 0:
        return rng.choice(("No.", "No. The treaty does not specify its duration.")), None
    if speclgth == 1:
        dur = duration_text(length or 0, rng)
        if proren == 2 and renewlgt and rng.random() < 0.5:
            clause = _quote(
                rng,
                f"This Agreement is concluded for a period of {dur}. Its validity will be automatically extended "
                f"for {_period_text(renewlgt, rng)} if none of the Contracting Parties informs the other in writing "
                "of its intention to terminate it no less than six months before the expiration of the initial or "
                "any subsequent period.",
            )
            return f"Yes.\n\n{clause}", clause
        body = rng.choice(
            (
                f"This Treaty shall remain in force for {dur}.",
                f"The present Treaty is concluded for a period of {dur} from the day of its signature.",
                f"This Agreement shall be valid for {dur}.",
            )
        )
        return f"Yes. {_quote(rng, body)}", None
    extra = f" It shall in any case remain in force for {duration_text(length, rng)}." if length else ""
    if speclgth == 2:
        body = rng.choice(
            (
                "This Agreement shall remain in force until the conclusion of peace.",
                "The obligations of this Treaty shall continue until the end of the present war.",
            )
        )
        return f"Yes. {_quote(rng, body + extra)}", None
    body = rng.choice(
        (
            "This Treaty is concluded for an indefinite period.",
            "This Treaty shall remain in force indefinitely.",
            "The present Agreement shall remain in force until one of the Parties gives notice of its withdrawal.",
        )
    )
    return f"Yes. {_quote(rng, body + extra)}", None


def _renounce_answer(row: dict[str, str], rng: random.Random) -> str:
    """Q11: renunciation during the term (non-renewal at the end of a term is not renunciation)."""
    value = _int(row["renounce"])
    if value is None:
        return _unknown(rng)
    if value == 0:
        return "No."
    notice = rng.choice(("one year's", "six months'", "twelve months'"))
    body = {
        1: f"Either Party may denounce this Treaty at any time by giving {notice} notice in writing to the other.",
        2: "Should one of the Parties commit an act of aggression against a third State, the other Party may "
        "denounce this Treaty without notice.",
        3: f"After the expiry of {_num_words(rng.randint(2, 5), False)} years, either Party may withdraw "
        f"from this Treaty upon {notice} notice.",
        4: "No Party may withdraw from this Treaty while it remains in force.",
    }[value]
    lead = "No; renunciation is explicitly prohibited." if value == 4 else "Yes."
    return f"{lead} {_quote(rng, body)}"


def _renewal_answer(row: dict[str, str], rng: random.Random, shared_clause: str | None) -> str:
    """Q12: renewal provisions, with the renewal term spelled out when ATOP codes one."""
    proren, renewlgt = _int(row["proren"]), _int(row["renewlgt"])
    if proren is None:
        return _unknown(rng)
    if proren == 0:
        return "No."
    if shared_clause is not None:
        return f"Yes.\n\n{shared_clause}"
    if renewlgt is None:
        # ATOP knows renewal is provided for but not for how long (RENEWLGT missing)
        how = "renewed automatically unless notice is given" if proren == 2 else "renewable by agreement of the Parties"
        return f"Yes. Secondary sources report that the treaty is {how}; the length of the renewal term is unknown."
    if proren == 1:
        if renewlgt:
            body = f"This Treaty may be renewed for a further period of {duration_text(renewlgt, rng)} by agreement of the Parties."
        else:
            body = "The Parties may agree to renew this Treaty before its expiry."
        return f"Yes. {_quote(rng, body)}"
    if renewlgt:
        body = (
            f"This Treaty shall be automatically extended for {_period_text(renewlgt, rng)} unless either Party "
            "notifies the other of its intention to terminate it six months before the expiration of the term."
        )
    else:
        body = (
            "Thereafter the Treaty shall remain in force unless either Party gives notice of termination, "
            "the Treaty ceasing to have effect one year after such notice."
        )
    return f"Yes. {_quote(rng, body)}"


_TYPE_LABELS = {
    "defense": ("Defense Pact", "Defense pact", "Defense"),
    "offense": ("Offense Pact", "Offense pact", "Offense"),
    "neutral": ("Neutrality", "Neutrality Pact", "Neutrality pact"),
    "nonagg": ("Nonaggression Pact", "Nonaggression", "Non-aggression Pact"),
    "consul": ("Consultation Pact", "Consultation", "Consultation pact"),
}
_OBLIGATION_QUOTES = {
    "defense": (
        "In the event of an armed attack against one of the Parties, the other Party shall immediately "
        "render it all military and other assistance at its disposal."
    ),
    "offense": "The Parties shall jointly undertake military action to recover the territories named in the annex.",
    "neutral": (
        "Should one of the Parties become involved in hostilities with a third state, the other Party shall "
        "observe neutrality throughout the conflict."
    ),
    "nonagg": "The Parties undertake to refrain from any act of aggression or use of force against each other.",
    "consul": (
        "In the event of a threat to the peace or security of either Party, the Parties shall consult "
        "with each other without delay."
    ),
}
_TYPE_HEADINGS = {"defense": "Defense", "offense": "Offense", "neutral": "Neutrality", "nonagg": "Nonaggression", "consul": "Consultation"}


def _types(row: dict[str, str]) -> list[str]:
    """The obligation types ATOP codes for the alliance (any member)."""
    return [t for t in _TYPE_LABELS if _int(row[t]) == 1]


def _member_list(ccodes: list[int], form: str, rng: random.Random) -> list[str]:
    """Q4 lines: one member per line in the file's form, or one sentence of running prose."""
    if form == "prose":
        labels = [member_label(c) for c in ccodes]
        if len(labels) == 1:
            return [f"The member is {labels[0]}."]
        joined = ", ".join(labels[:-1]) + " and " + labels[-1]
        return [rng.choice(("The members are ", "Members: ", "")) + joined + "."]
    return [member_label(c, form) for c in ccodes]


def _date_lines(spell_dates: list[tuple[int, tuple]], form: str, rng: random.Random, *, kind: str, as_of: str) -> list[str]:
    """Per-member or per-group lines "Name (ccode) — date" / "date — Name (ccode), …" for Q3/Q14."""
    group = rng.random() < 0.5
    lines: list[str] = []

    def text(d: tuple | None) -> str:
        if d is None:
            return f"still in effect as of {as_of}"
        return format_date(d, form)

    if group:
        order: dict[tuple | None, list[int]] = {}
        for ccode, d in spell_dates:
            order.setdefault(d, []).append(ccode)
        keys = sorted(order, key=lambda d: (1, 0, 0, 0) if d is None else (0, d[0], d[1] or 0, d[2] or 0))
        seen: set[int] = set()
        for i, d in enumerate(keys):
            names = ", ".join(member_label(c) for c in order[d])
            label = text(d)
            if d is None:
                label = label[0].upper() + label[1:]
            newcomers = not seen.intersection(order[d])
            seen.update(order[d])
            # Only a group of first-time members is an accession; a returning group is a renewal (phase).
            prefix = "Accession, " if kind == "entry" and i > 0 and newcomers and rng.random() < 0.4 else ""
            lines.append(f"{prefix}{label}: {names}")
    else:
        first_seen: set[int] = set()
        for ccode, d in spell_dates:
            later = d != spell_dates[0][1] and ccode not in first_seen
            first_seen.add(ccode)
            suffix = " (accession)" if kind == "entry" and later and rng.random() < 0.15 else ""
            lines.append(f"{member_label(ccode)} \u2014 {text(d)}{suffix}")
    return lines


def _as_of(rng: random.Random, form: str) -> str:
    """An "as of" date between 2019 and 2020, when the sheet was last checked."""
    y = rng.choice((2019, 2020))
    return format_date((y, rng.randint(1, 12), rng.randint(1, 28)), form)


def _citation_url(atopid: int, rng: random.Random) -> str:
    """A plausible treaty citation URL."""
    return rng.choice(
        (
            f"https://treaties.un.org/Pages/showDetails.aspx?objid=08000002800{atopid:04d}{rng.randint(10, 99)}",
            f"https://avalon.law.yale.edu/{rng.randint(1850, 2005)}/atop{atopid}.asp",
            f"http://adilet.zan.kz/rus/docs/Z{rng.randint(1000000, 1999999)}{atopid % 1000:03d}",
            f"https://www.atopdata.org/sources/{atopid}.pdf",
        )
    )


def _termination_answer(record: AllianceRecord, sp: list[Spell], form: str, rng: random.Random, url: str) -> list[str]:
    """Q14: one claim for all members, or per-member/per-group lines when exits differ."""
    row = record.row
    as_of = _as_of(rng, rng.choice((form, "numeric")))
    exits = {s.exit for s in sp}
    source = rng.choice(("Kazakh Legislature", "the UN Treaty Collection", "the depositary", "the treaty database"))
    if len(exits) == 1:
        (only,) = exits
        if only is None:
            line = f"Still in effect as of {as_of} as per {source}: {url}"
            return [line, "", "", "", url] if rng.random() < 0.3 else [line]
        lead = rng.choice(("", "Terminated ", "Terminated on "))
        return [f"{lead}{format_date(only, form)}", f"Source: {url}" if rng.random() < 0.5 else "Source: see Q59."]
    lines = _date_lines([(s.ccode, s.exit) for s in sp], form, rng, kind="exit", as_of=as_of)
    if _int(row["ineffect"]) == 1:
        lines.append(f"Source: {url}")
    return lines


def render_sheet(
    record: AllianceRecord,
    style: SurfaceStyle,
    rng: random.Random,
    *,
    atopid: int | None = None,
    other_ids: tuple[int, ...] = (),
    cyrillic: bool = False,
) -> list[str]:
    """The sheet's logical lines (no page artefacts yet) for `record` in `style`."""
    tpl = template()
    row = record.row
    atopid = atopid if atopid is not None else record.atopid
    sp = spells(record)
    ccodes = list(dict.fromkeys(s.ccode for s in sp))
    if rng.random() < 0.5:
        rng.shuffle(ccodes)  # sheets list members in the coder's order, not ccode order
    url = _citation_url(atopid, rng)
    answers: dict[int, str] = {}

    answers[1] = str(atopid)
    answers[2] = row["cowid"] if row["cowid"] else "N/A"
    entries = {s.entry for s in sp}
    if len(entries) == 1 and len(sp) == len(ccodes):
        answers[3] = format_date(next(iter(entries)), style.date_form)
    else:
        answers[3] = "\n".join(_date_lines([(s.ccode, s.entry) for s in sp], style.date_form, rng, kind="entry", as_of=""))
    answers[4] = "\n".join(_member_list(ccodes, style.member_form, rng))
    wartime = _int(row["wartime"])
    if wartime == 1:
        at_war = [int(r["member"]) for r in record.members if _int(r["cowwar"])] or ccodes[:1]
        war_id = next((r["cowwar"] for r in record.members if _int(r["cowwar"])), "")
        answers[5] = f"Yes. Signed during COW war #{war_id}; {member_label(at_war[0])} was at war." if war_id else "Yes."
    else:
        answers[5] = "No."
    estmode = _int(row["estmode"])
    answers[6] = {1: "Treaty", 0: rng.choice(("Executive agreement", "Exchange of notes")), None: "Unknown"}[estmode]
    pubsecr = _int(row["pubsecr"])
    answers[7] = {
        0: rng.choice(("Public.", "Public")),
        1: "Public but with secret articles. The secret articles concern "
        + rng.choice(("the division of territory.", "the target of the alliance.", "military arrangements.")),
        2: "Secret.",
        None: _unknown(rng),
    }[pubsecr]
    answers[8] = _coded(row, "proadd", rng)
    answers[9] = _coded(row, "futmem", rng)
    answers[10], shared = _length_answer(row, rng)
    answers[11] = _renounce_answer(row, rng)
    answers[12] = _renewal_answer(row, rng, shared)
    answers[13] = rng.choice(("Zero.", "None.", "Zero"))
    answers[14] = "\n".join(_termination_answer(record, sp, style.date_form, rng, url))
    term = _int(row["term"])
    answers[15] = {
        0: "N/A.",
        1: "The alliance expired at the end of its term; its obligations were fulfilled.",
        2: "One member violated the terms of the alliance.",
        3: "The alliance was renegotiated and replaced by a new agreement.",
    }.get(term, "N/A") if term is not None else "Unknown."
    types = _types(row)
    answers[16] = "\n\n".join(rng.choice(_TYPE_LABELS[t]) for t in types) if types else "None."
    answers[17] = "N/A" if not row["cowid"] else rng.choice(("Defense Pact", "Entente", "Neutrality/Nonaggression"))
    obligations = []
    for t in types:
        quote = _OBLIGATION_QUOTES[t]
        if len(ccodes) > 2:  # a multilateral treaty speaks of "the other Parties"
            quote = quote.replace("the other Party", "the other Parties")
        obligations.append(f"{_TYPE_HEADINGS[t]}:\n{_quote(rng, quote)}")
    answers[18] = "\n\n".join(obligations) if obligations else "None."
    answers[19] = _coded(row, "conditio", rng, quote=False)
    answers[20] = "N/A" if _int(row["conditio"]) != 1 else "Obligations apply only if a party is attacked."
    answers[21] = _coded(row, "notaiden", rng)
    answers[22] = "No."
    specthrt = _int(row["specthrt"])
    if specthrt is None:
        answers[23] = _unknown(rng)
    elif specthrt == 0:
        answers[23] = "No."
    else:
        target = _int(row["statthr1"])
        named = member_label(target) if target else "a third party"
        answers[23] = f"Yes. The treaty names {named} as the threat."
    asymm = _int(row["asymm"])
    if asymm == 1:
        lead = member_label(ccodes[0])
        answers[24] = f"No. {lead} undertakes obligations the other members do not."
    elif asymm == 0:
        answers[24] = "Yes."
    else:
        answers[24] = _unknown(rng)
    answers[25] = _coded(row, "seppeace", rng)
    answers[26] = _coded(row, "thirdcom", rng)
    answers[27] = _coded(row, "noothall", rng)
    answers[28] = ""
    for q, var in ((29, "conwtin"), (30, "medarb"), (31, "milcon"), (32, "milaid"), (33, "intcom"), (34, "subord")):
        answers[q] = _coded(row, var, rng)
    organ1 = _int(row["organ1"])
    if organ1 is None:
        answers[35] = _unknown(rng)
    elif organ1 == 0:
        answers[35] = "No."
    else:
        answers[35] = "Yes. " + {
            1: "The parties will hold regular meetings of their foreign ministers.",
            2: "A council of the parties is established and meets regularly.",
            3: "A permanent secretariat is established.",
        }.get(organ1, "An organization is established.")
    for q, var in ((36, "base"), (37, "contrib"), (38, "armred"), (39, "acqterr"), (40, "divgains"), (41, "demwith")):
        answers[q] = _coded(row, var, rng)
    answers[42] = "No."
    answers[43] = ""
    answers[44] = answers[45] = answers[46] = "No."
    reflnun, refothio = _int(row["reflnun"]), _int(row["refothio"])
    if reflnun is None:
        answers[47] = _unknown(rng)
    elif not reflnun and not refothio:
        answers[47] = "No."
    else:
        refs = []
        if reflnun == 1:
            refs.append("The treaty refers to the Covenant of the League of Nations.")
        elif reflnun == 2:
            refs.append("The Preamble reaffirms the principles of the Charter of the United Nations.")
        if refothio:
            refs.append(rng.choice(("The treaty refers to the Organization of American States.", "The treaty refers to the League of Arab States.", "The treaty refers to the Organization for Security and Cooperation in Europe.")))
        answers[47] = "Yes. " + " ".join(refs)
    natrefal = _int(row["natrefal"])
    if natrefal is None:
        answers[48] = _unknown(rng)
    elif natrefal == 0 or not other_ids:
        answers[48] = "No."
    else:
        ref = rng.choice(other_ids)
        spacer = rng.choice(("ATOP # ", "ATOP# ", "ATOP #"))
        answers[48] = f"Yes.\nEarlier agreement ({spacer}{ref}) \u2014 The treaty states that it conforms with this alliance."
    answers[49] = _coded(row, "compag", rng)
    answers[50] = _coded(row, "nomicoop", rng)
    conres = _int(row["conres"])
    answers[51] = "Yes. The treaty settles a dispute between the parties." if conres == 1 else ("No." if conres is not None else _unknown(rng))
    answers[52] = "Yes. The treaty settles a conflict involving a third party." if conres == 2 else ("No." if conres is not None else _unknown(rng))
    for q, var in ((53, "agprois"), (54, "conmen"), (55, "ecaid"), (56, "interv")):
        answers[q] = _coded(row, var, rng)
    if cyrillic:
        answers[57] = "Coded from the Russian text: \u00ab\u0414\u043e\u0433\u043e\u0432\u043e\u0440 \u043e \u0434\u0440\u0443\u0436\u0431\u0435 \u0438 \u0441\u043e\u0442\u0440\u0443\u0434\u043d\u0438\u0447\u0435\u0441\u0442\u0432\u0435\u00bb"
    else:
        answers[57] = rng.choice(("", "Coded from the English translation of the treaty text.", ""))
    source = _int(row["source"])
    answers[58] = {1: rng.choice(("Treaty", "Treaty", "Treaty and secondary sources")), 2: "Secondary sources only"}.get(source, "Unknown")
    answers[59] = url
    answers[60] = format_date((rng.randint(2003, 2021), rng.randint(1, 12), rng.randint(1, 28)), "numeric")
    coders = rng.sample(_CODERS, rng.choice((1, 2, 2, 3)))
    answers[61] = " and ".join(coders) if len(coders) <= 2 else ", ".join(coders[:-1]) + ", and " + coders[-1]
    return _layout(answers, tpl, style, rng)


_INLINE_ALWAYS = {1, 2, 17, 57, 58, 59, 60, 61}  # as on the real sheet: short inline fields
_STRUCTURED = {3, 4, 14}  # lines the parser reads item by item: never wrapped, never inlined
_NUMBERISH = re.compile(r"^\W*\d+\W*$|^\d{1,2}[.,)]\s")


def wrap_prose(text: str, width: int | None) -> list[str]:
    """Wrap prose at `width` without leaving a lone number (page-number look-alike) or a numbered-looking line."""
    if width is None or len(text) <= width:
        return [text]
    lines = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)
    out: list[str] = []
    for line in lines:
        if out and _NUMBERISH.search(line):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return out


def _question_text(n: int, tpl: Template, style: SurfaceStyle, rng: random.Random) -> str:
    """The template's question text, with the file's typos."""
    text = tpl.questions[n]
    if style.typo:
        if n == 20:
            text = text.replace("#19", "#109")
        elif n == 22 and rng.random() < 0.5:
            text = text.replace("listed in #19", "listed in # 19")
        elif n in (47, 50) and rng.random() < 0.5:
            text = text.replace("Does the treaty", "Does the the treaty")
    return text


def _layout(answers: dict[int, str], tpl: Template, style: SurfaceStyle, rng: random.Random) -> list[str]:
    """Question/answer layout: numbering, wrapping, answer placement, blank lines, section headers."""
    lines: list[str] = []
    if style.header_block:
        lines.extend(tpl.header_block)
        lines.append("")
    for n in range(1, 62):
        if n in tpl.sections:
            # The previous question left one blank line unless its empty answer runs straight into
            # this header (the real sheet's Q28/Q43); the template itself has two blank lines.
            if lines and lines[-1] == "" and n > 1:
                lines.append("")
            lines.append(tpl.sections[n])
            lines.append("")
        punct = style.numbering if (style.numbering != "." and rng.random() < 0.25) else "."
        qtext = _question_text(n, tpl, style, rng)
        qlines = wrap_prose(f"{n}{punct} {qtext}", style.wrap_width)
        answer = answers.get(n, "")
        ans_lines = answer.split("\n") if answer else []
        single = len(ans_lines) == 1 and len(ans_lines[0]) < 60
        inline = n in _INLINE_ALWAYS or (style.answers_inline and single and n not in _STRUCTURED)
        if inline and ans_lines:
            qlines[-1] = f"{qlines[-1]} {ans_lines[0]}"
            ans_lines = []
        lines.extend(qlines)
        for al in ans_lines:
            if n in _STRUCTURED or not al:
                lines.append(al)
            else:
                lines.extend(wrap_prose(al, style.wrap_width))
        nxt_is_section = (n + 1) in tpl.sections
        if not (nxt_is_section and not answer.strip() and style.empty_then_section) and n < 61:
            lines.append("")
    return lines
