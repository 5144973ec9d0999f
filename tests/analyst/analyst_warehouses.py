"""Warehouses for the analyst tests (imported by the test modules), all written under tmp_path."""

from __future__ import annotations

import dataclasses
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
    insert(con, "citations", [{"atopid": 6070, "question": 14, "url": url, "sha256": SHA_6070},
                              {"atopid": 6070, "question": 59, "url": "javascript:alert(1)", "sha256": SHA_6070}])
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


# --------------------------------------------------------------------------------------------------
# The sample warehouse docs/queries.md is written against: the repository's sample sheets, loaded by
# the warehouse's own ingest, with the cited source answered from a stored page (no network).

SAMPLE_AS_OF = dt.date(2026, 11, 28)
SAMPLE_FETCHED_AT = dt.datetime(2026, 11, 28, 6, 0, 0)
#: The stored page each cited URL is answered with (the adilet page of the ratifying law, status "new").
SAMPLE_PAGES = {
    "http://adilet.zan.kz/rus/docs/Z1400000246": REPO / "tests/fixtures/sources/adilet_Z1400000246_rus_status_new.html",
}


def _offline_documents(urls: list[str], store_root: Path) -> list[tuple[Any, Any]]:
    """(FetchOutcome, SourceReading) per cited URL, as the fetcher would have produced from stored pages."""
    import hashlib

    from atop_pipeline.sources.documents import read_outcome, unique_sources
    from atop_pipeline.sources.http import FetchOutcome
    from atop_pipeline.sources.store import SnapshotStore

    store = SnapshotStore(store_root)
    documents = []
    for n, url in enumerate(unique_sources(urls)):
        page = SAMPLE_PAGES.get(url)
        if page is None:
            outcome = FetchOutcome(snapshot_id=f"sample-{n}", url=url, final_url=url, fetched_at=SAMPLE_FETCHED_AT,
                                   outcome="timeout", attempts=3, error_message="no stored page for this URL (offline sample)")
            documents.append((outcome, None))
            continue
        body = page.read_bytes()
        outcome = FetchOutcome(
            snapshot_id=f"sample-{n}", url=url, final_url=url, fetched_at=SAMPLE_FETCHED_AT, outcome="ok",
            status_code=200, headers_json=json.dumps({"Content-Type": "text/html; charset=utf-8"}),
            content_type="text/html; charset=utf-8", encoding="utf-8", sha256=hashlib.sha256(body).hexdigest(),
            size=len(body), body=body, attempts=1,
        )
        store.record(outcome)
        documents.append((outcome, read_outcome(outcome, body)))
    return documents


def build_sample_warehouse(path: Path, *, as_of: dt.date = SAMPLE_AS_OF) -> Path:
    """The pipeline's own steps on data/codesheets, with each cited source answered from a stored page.

    Load, reference tables, in-force assessment and publishing are the pipeline's functions; only the
    fetch is replaced (no network in tests): its snapshots and readings are written as the fetch
    step would write them, with a fixed clock.
    """
    import pandas as pd

    from atop_pipeline import pipeline
    from atop_pipeline.codesheets.reading import iter_inputs
    from atop_pipeline.warehouse.writer import write_rows

    wh = pipeline.open_warehouse(path)
    pipeline.load_inputs(wh, list(iter_inputs(REPO / "data" / "codesheets")))
    pipeline.prepare_warehouse(wh)
    with wh.connect() as con:
        cited = con.execute("SELECT url, count(DISTINCT atopid) FROM citations GROUP BY url ORDER BY url").fetchall()
    documents = _offline_documents([u for u, _ in cited], pipeline.snapshot_root(wh))
    snapshots = [dataclasses.asdict(o) for o, _ in documents]
    readings = [dataclasses.asdict(r) for _, r in documents if r is not None]  # typed dates, as the models want
    with wh.connect() as con:
        write_rows(con, "source_documents", pd.DataFrame(
            [{"url": u, "host": u.split("/")[2], "first_seen_at": SAMPLE_FETCHED_AT, "cited_by_count": n} for u, n in cited]
        ), key=["url"])
        write_rows(con, "source_snapshots", pd.DataFrame(snapshots), key=["snapshot_id"])
        if readings:
            write_rows(con, "source_readings", pd.DataFrame(readings), key=["snapshot_id", "reader"])
    pipeline.assess_status(wh, as_of=as_of)
    pipeline.publish(wh)
    return path
