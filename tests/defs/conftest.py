"""Fixtures for the Dagster layer: a copy of the fixture corpus and one Dagster instance per module."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

FIXTURE_SHEETS = Path(__file__).parents[1] / "fixtures" / "defs" / "sheets"


@pytest.fixture
def sheets_dir(tmp_path: Path) -> Path:
    """A writable copy of the fixture corpus (four good sheets, one with a member that is no COW state, one file that is not a sheet)."""
    target = tmp_path / "sheets"
    shutil.copytree(FIXTURE_SHEETS, target)
    return target


@pytest.fixture(scope="module")
def instance() -> Iterator[dg.DagsterInstance]:
    """One test instance per module: many short-lived SQLite instances race on their locks (dagster#18727)."""
    with dg.instance_for_test() as inst:
        yield inst
