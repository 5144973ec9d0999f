"""Fixtures for warehouse tests: a warehouse under tmp_path, the small reference set, and query helpers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # warehouse_factory, also imported by subprocesses

from warehouse_factory import REFERENCE_DIR, batch, query  # noqa: E402

from atop_pipeline.warehouse import Warehouse, load_batch  # noqa: E402


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


@pytest.fixture
def q(wh: Warehouse):
    """q(sql, params) -> rows of the WORKING database as dicts."""
    return lambda sql, params=None: query(wh.working_path, sql, params)
