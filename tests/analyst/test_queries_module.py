"""Extracting example queries and their result tables from Markdown, and printing results back."""

from __future__ import annotations

import datetime as dt

import duckdb

from atop_pipeline.analyst.queries import cell, extract_queries, format_table, refresh_results

DOC = """# Doc

```sql
-- name: first
SELECT 1 AS a, 'x|y' AS b;
```

Some prose.

| a | b |
|---|---|
| 1 | x\\|y |

```sql
SELECT 'unnamed blocks are not examples';
```

```sql
-- name: second
SELECT NULL AS n WHERE false;
```

| n |
|---|
"""


def test_named_blocks_are_extracted_with_the_table_after_them() -> None:
    queries = extract_queries(DOC)
    assert [q.name for q in queries] == ["first", "second"]
    assert queries[0].columns == ["a", "b"] and queries[0].rows == [["1", "x|y"]]
    assert queries[1].columns == ["n"] and queries[1].rows == []


def test_refresh_rewrites_only_the_result_tables() -> None:
    stale = DOC.replace("| 1 | x\\\\|y |", "| 2 | old |")
    con = duckdb.connect()
    assert refresh_results(stale, con) == DOC
    con.close()


def test_cells_print_nulls_dates_floats_and_bars_the_same_way_every_time() -> None:
    assert [cell(None), cell(dt.date(2020, 7, 7)), cell(2 / 3), cell(True)] == ["", "2020-07-07", "0.667", "true"]
    assert format_table(["v"], [[cell("a|b")]]) == "| v |\n|---|\n| a\\|b |\n"
