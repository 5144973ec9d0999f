"""Shared analyst fixtures: the sample warehouse is built once per session (under a pytest temp dir)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyst_warehouses import build_sample_warehouse


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """data/codesheets through the pipeline's steps, sources from stored pages, published read-only file."""
    return build_sample_warehouse(tmp_path_factory.mktemp("sample") / "atop.duckdb")
