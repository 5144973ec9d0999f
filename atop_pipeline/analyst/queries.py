"""The example queries of docs/queries.md: extract them, run them, and show results as Markdown tables.

Each example in the doc is a fenced ```sql block whose first line is `-- name: <name>`, followed by
the result on the sample data as a Markdown table. The test suite runs every query against a
warehouse built from the sample data and compares with the table, so the doc cannot go stale;
`refresh_results` rewrites the tables when the sample data or the pipeline legitimately change.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from dataclasses import dataclass, field

import duckdb

_BLOCK = re.compile(r"```sql\n(?P<sql>.*?)```\n", re.S)
_NAME = re.compile(r"^--\s*name:\s*(?P<name>[a-z0-9_]+)\s*$", re.M)


@dataclass
class DocQuery:
    """One example query of the doc, with the result table printed after it."""

    name: str
    sql: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    table_span: tuple[int, int] = (0, 0)  # character offsets of the result table in the doc


def cell(value: object) -> str:
    """A result value as the doc prints it: NULL empty, dates ISO, floats to 3 decimals."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (float, decimal.Decimal)):
        return f"{float(value):.3f}"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(v) for v in value)
    return " ".join(str(value).split())


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def _split_row(line: str) -> list[str]:
    """The cells of one Markdown table row (`\\|` is a literal bar)."""
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", body)]


def format_table(columns: list[str], rows: list[list[str]]) -> str:
    """A Markdown table (header only when there are no rows)."""
    lines = ["| " + " | ".join(_escape(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def extract_queries(markdown: str) -> list[DocQuery]:
    """Every named ```sql block of the doc with the Markdown table that follows it."""
    out: list[DocQuery] = []
    for block in _BLOCK.finditer(markdown):
        named = _NAME.search(block.group("sql"))
        if not named:
            continue
        query = DocQuery(name=named.group("name"), sql=block.group("sql").strip())
        # the first table after the block (prose may sit between them, another block may not)
        rest_start = block.end()
        next_block = markdown.find("```", rest_start)
        limit = next_block if next_block != -1 else len(markdown)
        table = re.compile(r"^\|.*\|[ \t]*\n(?:^\|.*\|[ \t]*\n?)*", re.M).search(markdown, rest_start, limit)
        if table is not None:
            lines = table.group(0).strip("\n").splitlines()
            query.columns = _split_row(lines[0])
            query.rows = [_split_row(line) for line in lines[2:]]
            query.table_span = (table.start(), table.end())
        out.append(query)
    return out


def run_query(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[list[str]]]:
    """Column names and rows (as doc cells) of a query."""
    cur = con.execute(sql)
    columns = [d[0] for d in cur.description]
    return columns, [[cell(v) for v in row] for row in cur.fetchall()]


def refresh_results(markdown: str, con: duckdb.DuckDBPyConnection) -> str:
    """The doc with every result table replaced by what its query returns on `con`."""
    pieces: list[str] = []
    last = 0
    for query in extract_queries(markdown):
        start, end = query.table_span
        if start == end:
            continue
        columns, rows = run_query(con, query.sql)
        pieces.append(markdown[last:start])
        pieces.append(format_table(columns, rows))
        last = end
    pieces.append(markdown[last:])
    return "".join(pieces)
