"""Codesheet objects -> one pandas DataFrame per warehouse table (columns named as in the DDL)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Iterable, Mapping

import pandas as pd

from atop_pipeline.codesheets import derive
from atop_pipeline.codesheets.model import Codesheet
from atop_pipeline.warehouse.columns import ALLIANCE_COLUMNS, MEMBER_COLUMNS

#: Tables filled from codesheets, in load order. Each holds the current version of an alliance,
#: except `codesheets`, which keeps every version.
SHEET_TABLES: tuple[str, ...] = (
    "codesheets",
    "answers",
    "alliances",
    "members",
    "provisions",
    "alliance_references",
    "citations",
)

#: Tables replaced per alliance when a new version of its sheet becomes current.
CHILD_TABLES: tuple[str, ...] = SHEET_TABLES[1:]

_COLUMNS: dict[str, tuple[str, ...]] = {
    "codesheets": (
        "sha256", "atopid", "source_file", "size", "encoding", "kind", "ingested_at", "parser_version",
        "raw_text", "answer_count", "member_count", "warnings_json", "is_current", "duplicate_of",
    ),
    "answers": (
        "atopid", "number", "section", "question_text", "answer_text", "flag", "line_start", "line_end", "sha256",
    ),
    "alliances": (*ALLIANCE_COLUMNS, "sha256", "member_count", "max_concurrent_members"),
    "members": (*MEMBER_COLUMNS, "member_name", "ordinal", "sha256"),
    "provisions": ("atopid", "ordinal", "question", "article", "quote", "sha256"),
    "alliance_references": ("atopid", "ordinal", "question", "referenced_atopid", "context", "sha256"),
    "citations": ("atopid", "question", "url", "sha256"),
}


def table_columns(table: str) -> tuple[str, ...]:
    """The columns of a sheet table, in DDL order."""
    return _COLUMNS[table]


def sheet_frames(
    sheets: Iterable[Codesheet], *, raw_texts: Mapping[str, str | None], ingested_at: dt.datetime
) -> dict[str, pd.DataFrame]:
    """One DataFrame per sheet table for these sheets (is_current provisionally True)."""
    records: dict[str, list[dict[str, object]]] = {t: [] for t in SHEET_TABLES}
    for sheet in sheets:
        member_rows = _member_rows(sheet)
        records["codesheets"].append(
            {
                "sha256": sheet.sha256,
                "atopid": sheet.atopid,
                "source_file": sheet.source_file,
                "size": sheet.size,
                "encoding": sheet.encoding,
                "kind": sheet.kind,
                "ingested_at": ingested_at,
                "parser_version": sheet.parser_version,
                "raw_text": raw_texts.get(sheet.sha256),
                "answer_count": len({a.number for a in sheet.answers}),
                "member_count": len({m.ccode for m in sheet.members}),
                "warnings_json": json.dumps(list(sheet.warnings), ensure_ascii=False),
                "is_current": True,
                "duplicate_of": None,
            }
        )
        records["answers"].extend(
            {
                "atopid": sheet.atopid,
                "number": a.number,
                "section": a.section,
                "question_text": a.question_text,
                "answer_text": a.answer_text,
                "flag": a.flag,
                "line_start": a.line_start,
                "line_end": a.line_end,
                "sha256": sheet.sha256,
            }
            for a in sheet.answers
        )
        records["alliances"].append(_alliance_row(sheet, member_rows))
        records["members"].extend(member_rows)
        records["provisions"].extend(
            {
                "atopid": sheet.atopid,
                "ordinal": i,
                "question": p.question,
                "article": p.article,
                "quote": p.quote,
                "sha256": sheet.sha256,
            }
            for i, p in enumerate(sheet.provisions)
        )
        records["alliance_references"].extend(
            {
                "atopid": sheet.atopid,
                "ordinal": i,
                "question": r.question,
                "referenced_atopid": r.atopid,
                "context": r.context,
                "sha256": sheet.sha256,
            }
            for i, r in enumerate(sheet.references)
        )
        seen: set[tuple[int, str]] = set()
        for c in sheet.citations:
            if (c.question, c.url) in seen:  # the model promises dedup per question; keep the key unique anyway
                continue
            seen.add((c.question, c.url))
            records["citations"].append(
                {"atopid": sheet.atopid, "question": c.question, "url": c.url, "sha256": sheet.sha256}
            )
    return {t: _frame(records[t], _COLUMNS[t]) for t in SHEET_TABLES}


#: ATOP measures INEFFECT (and so membership at the end) against 2018-12-31.
DEFAULT_CUTOFF = dt.date(2018, 12, 31)


def _frame(rows: list[dict[str, object]], columns: tuple[str, ...]) -> pd.DataFrame:
    """A DataFrame with exactly `columns`, None for anything a row lacks, RangeIndex."""
    return pd.DataFrame([[r.get(c) for c in columns] for r in rows], columns=list(columns), dtype=object)


def _alliance_row(sheet: Codesheet, member_rows: list[dict[str, object]]) -> dict[str, object]:
    row: dict[str, object] = {c: sheet.atop.get(c) for c in ALLIANCE_COLUMNS}
    row["atopid"] = sheet.atopid  # Q1 is authoritative for the key
    row["sha256"] = sheet.sha256
    row["member_count"] = len({m.ccode for m in sheet.members}) or len({r["member"] for r in member_rows})
    if sheet.members and all(m.entry is not None for m in sheet.members):
        # The same count the parser's BILAT came from (phases inferred from re-signatures), so the
        # bilat check tests the sheet's consistency, not a second, stricter reading of it.
        row["max_concurrent_members"] = derive.max_concurrent_members(sheet.members, _cutoff(sheet))
    else:
        row["max_concurrent_members"] = max_concurrent_members(member_rows) if member_rows else None
    return row


def _cutoff(sheet: Codesheet) -> dt.date:
    """The cut-off the sheet's ATOP variables were derived against (ATOP: 2018-12-31)."""
    return sheet.cutoff or DEFAULT_CUTOFF


def _member_rows(sheet: Codesheet) -> list[dict[str, object]]:
    """Member-level rows: the derived ones when present, else the parsed members' codes and dates."""
    names: dict[int, str] = {}
    for m in sheet.members:
        names.setdefault(m.ccode, m.name)
    rows: list[dict[str, object]] = []
    if sheet.atop_members:
        for i, derived in enumerate(sheet.atop_members):
            row: dict[str, object] = {c: derived.get(c) for c in MEMBER_COLUMNS}
            row["atopid"] = sheet.atopid
            code = derived.get("member")
            row["member_name"] = names.get(code) if code is not None else None  # type: ignore[arg-type]
            row["ordinal"] = i
            row["sha256"] = sheet.sha256
            rows.append(row)
        return rows
    for i, m in enumerate(sheet.members):
        row = {c: None for c in MEMBER_COLUMNS}
        row.update(atopid=sheet.atopid, member=m.ccode, member_name=m.name, ordinal=i, sha256=sheet.sha256)
        if m.entry is not None:
            row.update(yrent=m.entry.year, moent=m.entry.month, dayent=m.entry.day)
        if m.exit is not None:
            row.update(yrexit=m.exit.year, moexit=m.exit.month, dayexit=m.exit.day)
        rows.append(row)
    return rows


def max_concurrent_members(member_rows: list[dict[str, object]]) -> int:
    """Most member rows in force at the same moment in the alliance's final phase.

    BILAT is "1 if never more than 2 members"; with phases, ATOP's alliance-level row follows the final
    phase (3260: eight members in phase 1, a US-Thailand phase 2, coded bilat = 1).
    """
    phases = [int(r.get("phase") or 0) for r in member_rows]  # type: ignore[call-overload]
    final = max(phases, default=0)
    events: list[tuple[tuple[int, int, int], int]] = []
    for r, phase in zip(member_rows, phases):
        if phase != final:
            continue
        start = _point(r.get("yrent"), r.get("moent"), r.get("dayent"), end=False) or (0, 0, 0)
        stop = _point(r.get("yrexit"), r.get("moexit"), r.get("dayexit"), end=True) or (9999, 12, 31)
        # An exit sorts before an entry on the same day: 3470's 260 leaves as 255 joins (1990-10-03).
        events += [(start, 1), (stop, -1)]
    best = current = 0
    for _, delta in sorted(events):
        current += delta
        best = max(best, current)
    return best


def _point(year: object, month: object, day: object, *, end: bool) -> tuple[int, int, int] | None:
    """A sortable (y, m, d); None when the year is missing or 0 (open)."""
    if year is None or pd.isna(year) or int(year) == 0:  # type: ignore[call-overload, arg-type]
        return None
    m = int(month) if month is not None and not pd.isna(month) else (12 if end else 1)  # type: ignore[call-overload, arg-type]
    d = int(day) if day is not None and not pd.isna(day) else (31 if end else 1)  # type: ignore[call-overload, arg-type]
    return int(year), m, d  # type: ignore[call-overload]
