"""Fixtures for warehouse tests: a warehouse under tmp_path, the small reference set, and query helpers."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the factory module, also used by subprocesses

from factory import batch  # noqa: E402

from atop_pipeline.warehouse import Warehouse, load_batch  # noqa: E402

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "warehouse" / "reference"


@pytest.fixture
def reference_dir() -> Path:
    """The small reference set (full COW list, a few published ATOP alliances)."""
    return REFERENCE_DIR


@pytest.fixture
def wh(tmp_path: Path) -> Warehouse:
    """An empty warehouse whose published file is tmp_path/warehouse/atop.duckdb."""
    return Warehouse(tmp_path / "warehouse" / "atop.duckdb")


@pytest.fixture
def load(wh: Warehouse, reference_dir: Path):
    """load(*pairs, errors=[]) -> LoadReport: load (sheet, raw) pairs into the warehouse."""

    def _load(*pairs, errors=(), extra_inputs=()):
        sheets, inputs = batch(*pairs)
        return load_batch(wh, sheets, list(errors), inputs + list(extra_inputs), reference_dir=reference_dir)

    return _load


def query(path: Path, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Rows of a query on a warehouse file (read-only), as dicts."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        cur = con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]
    finally:
        con.close()


@pytest.fixture
def q(wh: Warehouse):
    """q(sql, params) -> rows of the WORKING database as dicts."""
    return lambda sql, params=None: query(wh.working_path, sql, params)
