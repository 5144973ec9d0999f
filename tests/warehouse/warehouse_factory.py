"""Realistic Codesheet objects for warehouse tests, built from the published 6070 row (no parser needed).

Importable from a subprocess too (tests that kill an ingest run it in a child process).
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from atop_pipeline.codesheets.model import (
    AllianceReference,
    Answer,
    Citation,
    Codesheet,
    Member,
    PartialDate,
    Provision,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "warehouse"
#: The small reference set: the full COW list and a few published ATOP alliances.
REFERENCE_DIR = FIXTURES / "reference"
GROUNDTRUTH = json.loads((FIXTURES / "atop_6070_groundtruth.json").read_text(encoding="utf-8"))


def _typed(value: str) -> int | str | None:
    if value == "":
        return None
    return value if "." in value else int(value)


#: The published 6070 alliance-level row, typed (version stays "5.1").
ALLIANCE_6070: dict[str, Any] = {k: _typed(v) for k, v in GROUNDTRUTH["alliance_level"].items()}
#: The published 6070 member-level rows, typed.
MEMBERS_6070: list[dict[str, Any]] = [{k: _typed(v) for k, v in row.items()} for row in GROUNDTRUTH["member_level"]]

_SECTIONS = [(15, "I"), (28, "II"), (43, "III"), (56, "IV"), (61, "V")]


def section_of(number: int) -> str:
    """Template section of a question number."""
    return next(s for last, s in _SECTIONS if number <= last)


@dataclass(frozen=True)
class Raw:
    """Stand-in for reading.RawInput: a file's name and bytes."""

    source_file: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def make_sheet(
    atopid: int = 6070,
    *,
    source_file: str | None = None,
    variant: str = "",
    atop: dict[str, Any] | None = None,
    members: list[tuple[int, str]] | None = None,
    member_rows: list[dict[str, Any]] | None = None,
    answers: int = 61,
    references: list[int] = (),  # type: ignore[assignment]
    parser_version: str = "test-1",
) -> tuple[Codesheet, Raw]:
    """A parsed sheet modelled on 6070 (Russia 365, Kazakhstan 705, signed 2013-11-11) and its bytes.

    `atop` / `member_rows` override the derived variables; `variant` changes the bytes (a new version).
    """
    members = members if members is not None else [(705, "Kazakhstan"), (365, "Russia")]
    facts = json.dumps({"atop": atop, "members": members, "rows": member_rows, "refs": list(references)}, sort_keys=True)
    text = (
        f"1. ATOP ID: {atopid}\nvariant: {variant}\nfacts: {facts}\n"
        + "\n".join(f"{n}. question {n}" for n in range(2, answers + 1))
    )
    data = text.encode("utf-8")
    sha = hashlib.sha256(data).hexdigest()
    alliance = dict(ALLIANCE_6070, atopid=atopid)
    alliance.update(atop or {})
    if member_rows is None:
        template = MEMBERS_6070[0]
        member_rows = []
        for code, _ in sorted(members):
            row = dict(template, atopid=atopid, member=code)
            member_rows.append(row)
    else:
        member_rows = [dict(r, atopid=atopid) for r in member_rows]
    signed = PartialDate(2013, 11, 11, "November 11, 2013")
    sheet = Codesheet(
        source_file=source_file or f"codesheet_{atopid}{variant and '_' + variant}.txt",
        sha256=sha,
        size=len(data),
        encoding="utf-8",
        kind="txt",
        atopid=atopid,
        answers=[
            Answer(number=n, section=section_of(n), question_text=f"question {n}", answer_text="No.",
                   flag="no", line_start=n, line_end=n)
            for n in range(1, answers + 1)
        ],
        members=[_member(c, name, member_rows, signed) for c, name in members],
        signature_dates=[signed],
        provisions=[Provision(question=10, article="Section 30", quote="This Agreement is concluded for a period of 5 years.")],
        references=[AllianceReference(question=48, atopid=r, context=f"see ATOP # {r}") for r in references],
        citations=[Citation(question=14, url="http://adilet.zan.kz/rus/docs/Z1400000246")],
        warnings=[],
        atop=alliance,
        atop_members=copy.deepcopy(member_rows),
        parser_version=parser_version,
    )
    return sheet, Raw(sheet.source_file, data)


def _member(code: int, name: str, rows: list[dict[str, Any]], signed: PartialDate) -> Member:
    """The parsed member, with the entry/exit dates its member row gives (as the parser would)."""
    row = next((r for r in rows if r.get("member") == code), None)
    if row is None:
        return Member(ccode=code, name=name, entry=signed, exit=None)
    entry = PartialDate(row["yrent"], row.get("moent"), row.get("dayent")) if row.get("yrent") else signed
    exit_ = PartialDate(row["yrexit"], row.get("moexit"), row.get("dayexit")) if row.get("yrexit") else None
    return Member(ccode=code, name=name, entry=entry, exit=exit_)


def batch(*pairs: tuple[Codesheet, Raw]) -> tuple[list[Codesheet], list[Raw]]:
    """Split (sheet, raw) pairs into load_batch's sheets and inputs lists."""
    return [p[0] for p in pairs], [p[1] for p in pairs]


def query(path: Path, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Rows of a query on a warehouse file (opened read-only), as dicts."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        cur = con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]
    finally:
        con.close()
