"""docs/queries.md: every example query runs on the sample warehouse and returns the table the doc shows.

Set ATOP_REFRESH_QUERIES_DOC=1 to rewrite the doc's result tables from the sample warehouse instead
(then review the diff: a changed answer is either a fix or a regression).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from atop_pipeline.analyst.queries import extract_queries, format_table, refresh_results, run_query

from analyst_warehouses import REPO

DOC = REPO / "docs" / "queries.md"
DOC_QUERIES = extract_queries(DOC.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def doc_warehouse(sample_warehouse: Path) -> Path:
    """The sample warehouse; with ATOP_REFRESH_QUERIES_DOC=1 the doc's tables are rewritten from it first."""
    if os.environ.get("ATOP_REFRESH_QUERIES_DOC") == "1":
        con = duckdb.connect(str(sample_warehouse), read_only=True)
        try:
            DOC.write_text(refresh_results(DOC.read_text(encoding="utf-8"), con), encoding="utf-8")
        finally:
            con.close()
    return sample_warehouse


def test_doc_has_a_dozen_named_queries_each_with_a_result_table() -> None:
    assert len(DOC_QUERIES) >= 12
    assert len({q.name for q in DOC_QUERIES}) == len(DOC_QUERIES), "query names must be unique"
    assert all(q.columns for q in DOC_QUERIES), [q.name for q in DOC_QUERIES if not q.columns]


@pytest.mark.parametrize("query", DOC_QUERIES, ids=[q.name for q in DOC_QUERIES])
def test_query_returns_what_the_doc_shows(doc_warehouse: Path, query) -> None:
    con = duckdb.connect(str(doc_warehouse), read_only=True)  # analysts read the published file
    try:
        columns, rows = run_query(con, query.sql)
    finally:
        con.close()
    shown = {q.name: q for q in extract_queries(DOC.read_text(encoding="utf-8"))}[query.name]  # after any refresh
    assert format_table(columns, rows) == format_table(shown.columns, shown.rows), (
        f"docs/queries.md '{query.name}' is stale; rerun with ATOP_REFRESH_QUERIES_DOC=1 and review the diff"
    )


def test_sample_answers_are_not_all_empty() -> None:
    # the doc must show real answers, not a page of empty tables
    with_rows = [q.name for q in DOC_QUERIES if q.rows]
    assert len(with_rows) >= 9, with_rows
