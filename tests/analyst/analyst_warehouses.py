"""Warehouses for the analyst tests (imported by the test modules), all written under tmp_path."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb

from atop_pipeline.analyst.dictionary import create_schema

REPO = Path(__file__).resolve().parents[2]
SHA_6070 = "a" * 64
SHA_9999 = "b" * 64
SNAPSHOT_SHA = "c" * 64


def insert(con: duckdb.DuckDBPyConnection, table: str, rows: Iterable[dict[str, Any]]) -> None:
    """Insert dict rows (column names are this test's constants; values are bound)."""
    for row in rows:
        cols = list(row)
        con.execute(
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
            [row[c] for c in cols],
        )


def verdict_row(atopid: int, verdict: str, *, as_of: dt.date, claim: str = "in_effect", disagreements: list | None = None,
                source_status: str = "in_force (ratifying act, adilet status_new)") -> dict[str, Any]:
    """An in_force_status row."""
    return {
        "atopid": atopid,
        "as_of": as_of,
        "verdict": verdict,
        "sheet_claim": claim,
        "sheet_claim_date": dt.date(2020, 7, 7),
        "claim_age_days": (as_of - dt.date(2020, 7, 7)).days,
        "term_end": dt.date(2028, 11, 11),
        "next_notice_deadline": None,
        "clause_basis": "initial term 60 months",
        "source_status": source_status,
        "evidence_json": "[]",
        "disagreements_json": json.dumps(disagreements or []),
        "warnings_json": "[]",
        "computed_at": dt.datetime(2026, 11, 28, 12, 0, 0),
    }


def build_hand_warehouse(path: Path, *, as_of: dt.date = dt.date(2026, 11, 28), verdict_6070: str = "conflicting",
                         hostile_text: str = "Still in effect as of 7/7/2020") -> Path:
    """A warehouse with the real DDL and a few hand-written rows: one disagreement, one quarantine, one dead URL."""
    con = duckdb.connect(str(path))
    create_schema(con)
    con.execute(
        "INSERT INTO published_atop_alliances (atopid, begyr, endyr, ineffect) "
        "SELECT * FROM (VALUES (1005, 1815, 1815, 0), (3000, 1946, 1960, 0), (6070, 2013, 0, 1)) AS t(a, b, e, i)"
    )
    now = dt.datetime(2026, 11, 28, 12, 0, 0)
    insert(con, "codesheets", [{
        "sha256": SHA_6070, "atopid": 6070, "source_file": "codesheet_6070.txt", "size": 100, "encoding": "utf-8",
        "kind": "txt", "ingested_at": now, "parser_version": "test", "raw_text": "", "answer_count": 61,
        "member_count": 2, "warnings_json": "[]", "is_current": True,
    }])
    insert(con, "alliances", [{"atopid": 6070, "begyr": 2013, "endyr": 0, "ineffect": 1, "sha256": SHA_6070}])
    insert(con, "answers", [{
        "atopid": 6070, "number": 14, "section": "I", "question_text": "14. Termination date(s)",
        "answer_text": hostile_text, "flag": "other", "line_start": 60, "line_end": 66, "sha256": SHA_6070,
    }])
    url = "http://adilet.zan.kz/rus/docs/Z1400000246"
    insert(con, "citations", [{"atopid": 6070, "question": 14, "url": url, "sha256": SHA_6070}])
    insert(con, "source_snapshots", [
        {"snapshot_id": "s1", "url": url, "fetched_at": now, "outcome": "ok", "status_code": 200, "sha256": SNAPSHOT_SHA},
        {"snapshot_id": "s2", "url": "https://example.org/dead", "fetched_at": now, "outcome": "timeout",
         "error_message": "read timed out"},
    ])
    disagreement = {"kind": "sheet_vs_source", "detail": "the sheet says in effect but the source shows a denunciation", "url": url}
    insert(con, "in_force_status", [verdict_row(6070, verdict_6070, as_of=as_of, disagreements=[disagreement] if verdict_6070 == "conflicting" else [])])
    insert(con, "ingest_errors", [{
        "error_id": "e1", "source_file": "codesheet_9999.txt", "sha256": SHA_9999, "atopid": 9999, "stage": "validate",
        "error": "atopid_range", "table_name": "alliances", "column_name": "atopid", "question": 1, "value": "9999",
        "message": "ATOP ID 9999 is outside 1000-7999", "created_at": now,
    }])
    con.close()
    return path
