"""Round-trip measure: parse a generated corpus and compare with the published ATOP rows per variable.

Only the variables the parser derives (derive.ALLIANCE_VARIABLES / MEMBER_VARIABLES) are compared;
a published "" is None. Member rows are matched by COW code and, for a member with several spells
(alliance phases), by entry date order. 100% is expected: a mismatch is a parser or generator bug.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from atop_pipeline.synth.corpus import MANIFEST_NAME, GeneratedSheet, read_manifest
from atop_pipeline.synth.render import DEFAULT_REFERENCE_DIR

#: Member-level variables that identify a spell; rows equal on all of them are one spell.
_SPELL_KEY = ("member", "yrent", "moent", "dayent", "yrexit", "moexit", "dayexit")


@dataclass(frozen=True)
class Mismatch:
    """One variable where the parsed sheet and the published row disagree."""

    atopid: int
    variable: str  # alliance variable, or "member[<ccode>].<var>" for member rows
    parsed: int | None
    published: int | None
    file: str
    source_atopid: int | None = None  # the published alliance, when the sheet carries a remapped ID


@dataclass
class RoundTripReport:
    """Per-variable agreement between parsed sheets and published rows."""

    agree: dict[str, int] = field(default_factory=dict)  # variable -> sheets/rows agreeing
    total: dict[str, int] = field(default_factory=dict)  # variable -> sheets/rows compared
    mismatches: list[Mismatch] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (file, message) that failed to parse
    files: int = 0
    # Comparisons left out because the published value contradicts the codebook and the parser gave
    # the codebook's value (reference/published_errata.csv); listed, never silently dropped.
    errata: list[Mismatch] = field(default_factory=list)

    def agreement(self, variable: str) -> float:
        """Share (0-1) of comparisons agreeing on `variable`."""
        t = self.total.get(variable, 0)
        return self.agree.get(variable, 0) / t if t else 1.0

    @property
    def overall(self) -> float:
        """Share (0-1) of all comparisons that agree."""
        t = sum(self.total.values())
        return sum(self.agree.values()) / t if t else 1.0

    def _count(self, variable: str, ok: bool) -> None:
        self.total[variable] = self.total.get(variable, 0) + 1
        if ok:
            self.agree[variable] = self.agree.get(variable, 0) + 1

    def table(self) -> str:
        """A plain-text table: variable, agreeing/compared, agreement."""
        width = max((len(v) for v in self.total), default=8)
        rows = [f"{'variable':<{width}}  {'agree':>7}  {'of':>7}  {'share':>7}"]
        for v in self.total:
            rows.append(f"{v:<{width}}  {self.agree.get(v, 0):>7}  {self.total[v]:>7}  {self.agreement(v):>7.2%}")
        rows.append(f"{'overall':<{width}}  {sum(self.agree.values()):>7}  {sum(self.total.values()):>7}  {self.overall:>7.2%}")
        rows.append(f"files: {self.files}, parse failures: {len(self.errors)}, mismatches: {len(self.mismatches)}")
        if self.errata:
            shown = ", ".join(sorted({f"{m.source_atopid or m.atopid} {m.variable}" for m in self.errata}))
            rows.append(f"left out as documented errors in the published data (parsed = codebook value): "
                        f"{len(self.errata)} comparisons ({shown}); see reference/published_errata.csv")
        return "\n".join(rows)

    @property
    def overall_including_errata(self) -> float:
        """Share of all comparisons agreeing when the errata count as disagreements (the raw figure)."""
        t = sum(self.total.values()) + len(self.errata)
        return sum(self.agree.values()) / t if t else 1.0


def _cell(value: str) -> int | None:
    """A published CSV cell as an int; "" is None."""
    value = value.strip()
    if value == "":
        return None
    return int(float(value))


def _load_published(reference_dir: Path) -> tuple[dict[int, dict[str, str]], dict[int, list[dict[str, str]]]]:
    """Published alliance rows by atopid, and member rows by atopid."""
    with open(reference_dir / "atop5_1a.csv", newline="", encoding="utf-8") as fh:
        alliances = {int(r["atopid"]): r for r in csv.DictReader(fh)}
    members: dict[int, list[dict[str, str]]] = {}
    with open(reference_dir / "atop5_1m.csv", newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            members.setdefault(int(r["atopid"]), []).append(r)
    return alliances, members


def _sheets(corpus_dir: Path) -> list[GeneratedSheet]:
    """The manifest's sheets, or every .txt/.pdf under the folder when there is no manifest."""
    listed = read_manifest(corpus_dir)
    if listed:
        return listed
    out = []
    for path in sorted(corpus_dir.rglob("*")):
        if path.is_file() and path.suffix.lower() in (".txt", ".pdf") and path.name != MANIFEST_NAME:
            out.append(GeneratedSheet(path.relative_to(corpus_dir).as_posix(), 0, 0, 0, path.suffix[1:], "", (), ""))
    return out


def _spell_key(row: dict[str, int | None]) -> tuple:
    """Sort key of a member row: ccode, entry date, then exit date (None sorts first).

    The exit breaks ties between spells that start together (successor-state phases: Indonesia
    enters phase 2 with the Czech Republic and phase 3 with Slovakia on the same day).
    """
    return tuple(-1 if row.get(k) is None else row[k] for k in _SPELL_KEY)


def compare_sheet(
    report: RoundTripReport,
    *,
    file: str,
    atop: dict[str, int | None],
    atop_members: Iterable[dict[str, int | None]],
    published: dict[str, str],
    published_members: list[dict[str, str]],
    sheet_atopid: int,
    alliance_variables: Iterable[str],
    member_variables: Iterable[str],
    source_atopid: int | None = None,
    errata: dict[tuple[int, str], int] | None = None,
) -> None:
    """Add one sheet's comparisons (alliance variables, then member rows) to `report`.

    `errata` maps (published ATOP ID, variable) to the codebook's value where the published value
    contradicts the codebook; a parsed value equal to it is listed in `report.errata`, not compared.
    """
    source = source_atopid if source_atopid not in (None, sheet_atopid) else None
    alliance_variables = [v for v in alliance_variables if v in published]
    for var in alliance_variables:
        expected = sheet_atopid if var == "atopid" else _cell(published[var])
        got = atop.get(var)
        erratum = (errata or {}).get((source_atopid or sheet_atopid, var))
        if erratum is not None and got != expected and got == erratum:
            report.errata.append(Mismatch(sheet_atopid, var, got, expected, file, source))
            continue
        report._count(var, got == expected)
        if got != expected:
            report.mismatches.append(Mismatch(sheet_atopid, var, got, expected, file, source))
    member_variables = [v for v in member_variables if published_members and v in published_members[0]]
    # ATOP repeats a member row per phase; identical spells are one spell on the sheet.
    seen: dict[tuple, dict[str, int | None]] = {}
    for r in published_members:
        typed = {v: _cell(r[v]) for v in set(member_variables) | set(_SPELL_KEY) if v in r}
        if "atopid" in typed:
            typed["atopid"] = sheet_atopid  # a --distinct-ids copy carries its own ID
        seen.setdefault(tuple(typed.get(k) for k in _SPELL_KEY), typed)
    expected_rows = sorted(seen.values(), key=_spell_key)
    parsed_rows = sorted(({k: v for k, v in r.items()} for r in atop_members), key=_spell_key)
    by_member_exp: dict[int | None, list[dict]] = {}
    for r in expected_rows:
        by_member_exp.setdefault(r.get("member"), []).append(r)
    by_member_got: dict[int | None, list[dict]] = {}
    for r in parsed_rows:
        by_member_got.setdefault(r.get("member"), []).append(r)
    for ccode in list(by_member_exp) + [c for c in by_member_got if c not in by_member_exp]:
        exp_list, got_list = by_member_exp.get(ccode, []), by_member_got.get(ccode, [])
        for i in range(max(len(exp_list), len(got_list))):
            exp = exp_list[i] if i < len(exp_list) else {}
            got = got_list[i] if i < len(got_list) else {}
            for var in member_variables:
                e, g = exp.get(var), got.get(var)
                name = f"member.{var}"
                report._count(name, e == g)
                if e != g:
                    report.mismatches.append(Mismatch(sheet_atopid, f"member[{ccode}].{var}", g, e, file, source))


def roundtrip(corpus_dir: Path | str, reference_dir: Path | str | None = None) -> RoundTripReport:
    """Parse every generated sheet in `corpus_dir` and compare with the published rows per variable."""
    try:
        from atop_pipeline.codesheets import derive
        from atop_pipeline.codesheets.parser import parse_bytes
    except ImportError as exc:
        raise RuntimeError(f"the round-trip needs the codesheet parser and derive module: {exc}") from exc
    corpus = Path(corpus_dir)
    alliances, members = _load_published(Path(reference_dir) if reference_dir is not None else DEFAULT_REFERENCE_DIR)
    alliance_vars = list(derive.ALLIANCE_VARIABLES)
    member_vars = list(derive.MEMBER_VARIABLES)
    report = RoundTripReport()
    errata = load_errata()
    for sheet in _sheets(corpus):
        report.files += 1
        data = (corpus / sheet.file).read_bytes()
        try:
            parsed = parse_bytes(data, sheet.file)
            atop, atop_members = parsed.atop, parsed.atop_members
            sheet_id = sheet.atopid or (parsed.atopid or 0)
        except Exception as exc:  # a failed sheet is a value here: count it and go on
            report.errors.append((sheet.file, f"{type(exc).__name__}: {exc}"))
            atop, atop_members, sheet_id = {}, [], sheet.atopid
        source_id = sheet.source_atopid or sheet_id
        if source_id not in alliances:
            report.errors.append((sheet.file, f"no published alliance {source_id}"))
            continue
        compare_sheet(
            report,
            file=sheet.file,
            atop=atop,
            atop_members=atop_members,
            published=alliances[source_id],
            published_members=members.get(source_id, []),
            sheet_atopid=sheet_id,
            alliance_variables=alliance_vars,
            member_variables=member_vars,
            source_atopid=source_id,
            errata=errata,
        )
    return report


#: Published values that contradict the codebook, with the codebook's value and why.
ERRATA_FILE = Path(__file__).resolve().parents[1] / "reference" / "published_errata.csv"


def load_errata(path: Path = ERRATA_FILE) -> dict[tuple[int, str], int]:
    """(ATOP ID, variable) -> the value the codebook gives, for the documented errata."""
    with open(path, newline="", encoding="utf-8") as f:
        return {(int(r["atopid"]), r["variable"]): int(r["codebook_value"]) for r in csv.DictReader(f)}
