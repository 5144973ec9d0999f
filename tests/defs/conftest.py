"""Fixtures for the Dagster layer: a copy of the fixture corpus and one Dagster instance per module."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
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


def repo_instance_config(home: Path) -> dict:
    """The repo's dagster.yaml with every storage path moved under `home` (a test's tmp_path)."""
    config = yaml.safe_load((REPO / "dagster.yaml").read_text())
    for block in ("run_storage", "event_log_storage", "schedule_storage"):
        config[block]["config"]["base_dir"] = str(home / config[block]["config"]["base_dir"])
    config["local_artifact_storage"]["config"]["base_dir"] = str(home)
    config["compute_logs"]["config"]["base_dir"] = str(home / "compute_logs")
    return config


def write_repo_instance_yaml(home: Path) -> None:
    """Write `repo_instance_config(home)` as `home/dagster.yaml`."""
    (home / "dagster.yaml").write_text(yaml.safe_dump(repo_instance_config(home)))
