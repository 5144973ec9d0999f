"""SQL in the warehouse code is never built from data: only allow-listed identifiers are interpolated."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from atop_pipeline.warehouse.writer import write_rows

PACKAGE = Path(__file__).resolve().parents[2] / "atop_pipeline" / "warehouse"

#: Names that may appear inside an f-string passed to execute()/sql(): identifiers checked against an
#: allow-list (table/column/key names, the registered frame's constant name) or SQL built from them.
IDENTIFIER_NAMES = {"table", "name", "k", "c", "v", "view", "_INCOMING", "match", "select", "body", "INCOMING"}


def _sql_calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in {"execute", "sql"}:
            if node.args:
                yield node


def test_execute_calls_interpolate_only_allow_listed_identifiers():
    offenders = []
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in _sql_calls(tree):
            first = call.args[0]
            for sub in ast.walk(first):
                if isinstance(sub, ast.FormattedValue):
                    names = {n.id for n in ast.walk(sub.value) if isinstance(n, ast.Name)}
                    if not names <= IDENTIFIER_NAMES:
                        offenders.append(f"{path.name}:{call.lineno} interpolates {sorted(names)}")
            if isinstance(first, ast.BinOp) or (isinstance(first, ast.Call) and getattr(first.func, "attr", "") == "format"):
                offenders.append(f"{path.name}:{call.lineno} builds SQL with + or .format()")
    assert offenders == []


def test_values_that_look_like_sql_are_stored_verbatim(wh):
    import datetime as dt

    import pandas as pd

    url = "http://x.kz/'); DROP TABLE codesheets; --"
    frame = pd.DataFrame([{"url": url, "host": "x.kz", "first_seen_at": dt.datetime(2026, 1, 1), "cited_by_count": 1}])
    with wh.connect() as con:
        write_rows(con, "source_documents", frame, key=["url"])
        assert con.execute("SELECT url FROM source_documents").fetchall() == [(url,)]
        assert con.execute("SELECT count(*) FROM codesheets").fetchall() == [(0,)]


@pytest.mark.parametrize("key", [["url; DROP TABLE x"], ["nonexistent"]])
def test_key_columns_must_be_columns_of_the_table(wh, key):
    import datetime as dt

    import pandas as pd

    frame = pd.DataFrame([{"url": "http://a.b", "host": "a.b", "first_seen_at": dt.datetime(2026, 1, 1), "cited_by_count": 1}])
    with wh.connect() as con:
        with pytest.raises(ValueError, match="unknown key column"):
            write_rows(con, "source_documents", frame, key=key)
