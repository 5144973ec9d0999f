"""The one generic table writer: validate with the table's pandera model, then delete-by-key and insert by name."""

from __future__ import annotations

import re
from typing import Literal

import duckdb
import pandas as pd

from atop_pipeline.schemas import SCHEMAS, schema_of

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
_INCOMING = "_write_rows_incoming"  # fixed name of the registered DataFrame


def _check_identifier(name: str, allowed: set[str] | tuple[str, ...], what: str) -> str:
    """`name` if it is a plain identifier in `allowed`; identifiers are never taken from data."""
    if name not in allowed or not _IDENTIFIER.match(name):
        raise ValueError(f"unknown {what}: {name!r}")
    return name


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Column names of a warehouse table, in DDL order."""
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND database_name = current_database() "
        "ORDER BY column_index",
        [table],
    ).fetchall()
    return [r[0] for r in rows]


def validated(
    con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame, *, validate: bool = True
) -> pd.DataFrame:
    """`df` checked against the table's columns and pandera model (lazy); raises SchemaErrors on failure.

    `validate=False` only for frames the caller has just validated with the same model (the batch load).
    """
    _check_identifier(table, tuple(SCHEMAS), "table")
    columns = table_columns(con, table)
    extra = [c for c in df.columns if c not in columns]
    if extra:
        raise ValueError(f"{table} has no column(s) {extra}; columns are {columns}")
    frame = df.copy()
    for c in columns:
        if c not in frame.columns:
            frame[c] = None  # an absent nullable column; the model rejects it if it is required
    frame = frame[columns].reset_index(drop=True)
    return schema_of(table).validate(frame, lazy=True) if validate else frame


def write_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    df: pd.DataFrame,
    *,
    key: list[str],
    on_conflict: Literal["replace", "ignore"] = "replace",
    validate: bool = True,
) -> int:
    """Validate `df`, then replace (or keep) rows with the same key and insert by column name; returns rows inserted.

    Runs inside the caller's transaction: it neither begins nor commits.
    """
    frame = validated(con, table, df, validate=validate)
    columns = list(frame.columns)
    keys = [_check_identifier(k, columns, "key column") for k in key]
    if frame.empty:
        return 0
    before = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]  # table from the allow-list
    con.register(_INCOMING, frame)
    try:
        match = " AND ".join(f't."{k}" = i."{k}"' for k in keys)
        if keys and on_conflict == "replace":
            con.execute(f"DELETE FROM {table} AS t USING {_INCOMING} AS i WHERE {match}")
        select = ", ".join(f'i."{c}"' for c in columns)
        if keys and on_conflict == "ignore":
            con.execute(
                f"INSERT INTO {table} BY NAME SELECT {select} FROM {_INCOMING} AS i "
                f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS t WHERE {match})"
            )
        else:
            con.execute(f"INSERT INTO {table} BY NAME SELECT {select} FROM {_INCOMING} AS i")
    finally:
        con.unregister(_INCOMING)
    after = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    return int(after - before) if on_conflict == "ignore" or not keys else len(frame)


def replace_table(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame) -> int:
    """Validate `df` and make it the table's whole content; returns the row count."""
    frame = validated(con, table, df)
    con.execute(f"DELETE FROM {table}")  # table checked against the allow-list in validated()
    if frame.empty:
        return 0
    con.register(_INCOMING, frame)
    try:
        select = ", ".join(f'i."{c}"' for c in frame.columns)
        con.execute(f"INSERT INTO {table} BY NAME SELECT {select} FROM {_INCOMING} AS i")
    finally:
        con.unregister(_INCOMING)
    return len(frame)


def delete_alliances(con: duckdb.DuckDBPyConnection, table: str, atopids: list[int]) -> None:
    """Delete every row of `table` belonging to these alliances (before a new version is inserted)."""
    _check_identifier(table, tuple(SCHEMAS), "table")
    if atopids:
        con.execute(f"DELETE FROM {table} WHERE list_contains(?, atopid)", [atopids])
