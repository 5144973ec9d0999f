"""Several sheets for one alliance in one batch: copies that agree load once, copies that disagree wait.

Real batches hold the same codesheet more than once: a PDF and its text extraction, two scans, a
re-export with other line breaks. Their bytes differ, so they are different versions, but when they
say the same thing about the alliance (every derived ATOP variable, every member row, every cited
source) nothing is in doubt: one is loaded as the alliance's current version and the others are
kept as non-current versions that name it (`codesheets.duplicate_of`). When they disagree, the batch
cannot know which is right: none is loaded and each gets one `ingest_errors` row that names the
other files and what differs, so a person can decide.

This is decided before pandera sees the batch: validating ten copies of one alliance together would
report each table's uniqueness failure for every row of every copy (hundreds of rows that say only
"duplicate"), and grows with the square of the copies.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from atop_pipeline.codesheets.model import Codesheet
from atop_pipeline.warehouse.frames import _alliance_row, _member_rows
from atop_pipeline.warehouse.quarantine import ErrorRecord

#: The error of a sheet whose batch holds another, different sheet for the same ATOP ID.
CONFLICT_ERROR = "one_current_version_per_alliance"
#: The error of a copy whose agreeing twin (the one chosen to load) failed validation.
COPY_OF_QUARANTINED_ERROR = "copy_of_quarantined_sheet"
#: Columns that describe the file or the wording rather than the alliance (a member's name as
#: written varies between extractions; its COW code is what the data says).
_NOT_CONTENT = frozenset({"sha256", "member_name"})


@dataclass
class VersionPlan:
    """Which sheets of a batch to load as current, which to keep as copies, which to quarantine."""

    current: list[Codesheet] = field(default_factory=list)  # at most one per ATOP ID
    copies: dict[str, str] = field(default_factory=dict)  # copy sha256 -> sha256 of the sheet it agrees with
    copy_sheets: list[Codesheet] = field(default_factory=list)
    conflicts: list[ErrorRecord] = field(default_factory=list)  # one per sheet of a disagreeing group
    conflicted: set[str] = field(default_factory=set)  # sha256 of those sheets


def content(sheet: Codesheet) -> dict[str, object]:
    """What a sheet says about its alliance, in the warehouse's terms, independent of its bytes."""
    members = _member_rows(sheet)
    alliance = _alliance_row(sheet, members)
    return {
        "alliance": {k: v for k, v in alliance.items() if k not in _NOT_CONTENT},
        "members": [{k: v for k, v in m.items() if k not in _NOT_CONTENT} for m in members],
        "citations": sorted({(c.question, c.url) for c in sheet.citations}),
    }


def differences(a: Mapping[str, object], b: Mapping[str, object]) -> list[str]:
    """Names of what two `content` records disagree on: alliance variables, then members/citations."""
    out = [k for k in a["alliance"] if _norm(a["alliance"].get(k)) != _norm(b["alliance"].get(k))]  # type: ignore[attr-defined]
    for part in ("members", "citations"):
        if _norm(a[part]) != _norm(b[part]):
            out.append(part)
    return out


def _norm(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _preference(sheet: Codesheet, current_sha: str | None) -> tuple:
    """Sort key of the copy to load: the warehouse's current one, then text over PDF (its text is
    kept), then the fewest parser warnings, the most answers, and the file name for determinism."""
    return (sheet.sha256 != current_sha, sheet.kind != "txt", len(sheet.warnings),
            -len({a.number for a in sheet.answers}), sheet.source_file, sheet.sha256)


def plan_versions(sheets: Iterable[Codesheet], current: Mapping[int, str]) -> VersionPlan:
    """Group the batch's sheets by ATOP ID and decide each group (sheets with distinct bytes).

    `current` maps an ATOP ID to the sha256 of its current version in the warehouse, which wins a
    tie between agreeing copies so that a re-run changes nothing.
    """
    groups: dict[int | None, list[Codesheet]] = {}
    for sheet in sheets:
        groups.setdefault(sheet.atopid, []).append(sheet)
    plan = VersionPlan()
    for atopid, group in groups.items():
        if atopid is None or len(group) == 1:
            plan.current.extend(group)  # validation reports a missing ID; one sheet is no conflict
            continue
        group.sort(key=lambda s: _preference(s, current.get(atopid)))
        said = [content(s) for s in group]
        diffs = {s.sha256: differences(said[0], c) for s, c in zip(group[1:], said[1:])}
        if not any(diffs.values()):
            chosen = group[0]
            plan.current.append(chosen)
            for copy in group[1:]:
                plan.copies[copy.sha256] = chosen.sha256
                plan.copy_sheets.append(copy)
            continue
        for sheet in group:
            plan.conflicts.append(_conflict(sheet, group, diffs))
            plan.conflicted.add(sheet.sha256)
    return plan


def _conflict(sheet: Codesheet, group: list[Codesheet], diffs: Mapping[str, list[str]]) -> ErrorRecord:
    others = [s for s in group if s.sha256 != sheet.sha256]
    differing = sorted({d for ds in diffs.values() for d in ds})
    shown = ", ".join(differing[:12]) + (f" and {len(differing) - 12} more" if len(differing) > 12 else "")
    names = ", ".join(s.source_file for s in others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
    message = (
        f"{sheet.source_file}: ATOP ID {sheet.atopid} is also claimed in this batch by {names}, which "
        f"{'says' if len(others) == 1 else 'say'} something different ({shown}); none of them is loaded "
        "until one is fixed or removed; the sheet is quarantined."
    )
    return ErrorRecord(
        source_file=sheet.source_file, sha256=sheet.sha256, atopid=sheet.atopid, stage="validate",
        error=CONFLICT_ERROR, message=message, table_name="codesheets", column_name="atopid", question=1,
        value=f"atopid={sheet.atopid}",
    )


def copy_of_quarantined(copy: Codesheet, chosen_file: str) -> ErrorRecord:
    """The record of a copy left out because the copy it agrees with failed validation."""
    return ErrorRecord(
        source_file=copy.source_file, sha256=copy.sha256, atopid=copy.atopid, stage="validate",
        error=COPY_OF_QUARANTINED_ERROR, table_name="codesheets", column_name="duplicate_of", question=1,
        value=chosen_file,
        message=(f"{copy.source_file}: says the same as {chosen_file} (ATOP ID {copy.atopid}), which failed "
                 "validation (see its rows); the sheet is quarantined with it."),
    )
