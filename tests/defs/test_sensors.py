"""The folder sensor: partitions for new alliances, runs for new or changed sheets, none for unchanged ones."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from atop_pipeline.defs.partitions import codesheet_partitions
from atop_pipeline.defs.resources import CodesheetFolderResource
from atop_pipeline.defs.sensors import build_codesheet_folder_sensor


def _tick(sensor: dg.SensorDefinition, instance: dg.DagsterInstance, sheets: Path, cursor: str | None):
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"sheets": CodesheetFolderResource(path=str(sheets))}
    )
    return sensor(context)


@pytest.fixture
def fresh_instance():
    with dg.instance_for_test() as inst:
        yield inst


def test_first_tick_registers_a_partition_per_alliance_and_requests_a_run_each(sheets_dir, fresh_instance):
    result = _tick(build_codesheet_folder_sensor(), fresh_instance, sheets_dir, None)
    added = result.dynamic_partitions_requests[0].partition_keys
    assert set(added) == {"atop_1005", "atop_1010", "atop_1012", "atop_1015", "atop_6070", "atop_unidentified"}
    assert {r.partition_key for r in result.run_requests} == set(added)


def test_unchanged_folder_requests_no_run(sheets_dir, fresh_instance):
    sensor = build_codesheet_folder_sensor()
    first = _tick(sensor, fresh_instance, sheets_dir, None)
    fresh_instance.add_dynamic_partitions(codesheet_partitions.name, list(first.dynamic_partitions_requests[0].partition_keys))
    second = _tick(sensor, fresh_instance, sheets_dir, first.cursor)
    assert second.run_requests == []
    assert second.dynamic_partitions_requests == []


def test_new_and_changed_files_get_runs_and_only_the_new_alliance_a_partition(sheets_dir, fresh_instance):
    sensor = build_codesheet_folder_sensor()
    first = _tick(sensor, fresh_instance, sheets_dir, None)
    fresh_instance.add_dynamic_partitions(codesheet_partitions.name, list(first.dynamic_partitions_requests[0].partition_keys))
    changed = sheets_dir / "codesheet_6070.txt"
    changed.write_bytes(changed.read_bytes() + b"\n")
    new_text = (sheets_dir / "codesheet_1010.txt").read_bytes().replace(b"1010", b"1011", 1)
    (sheets_dir / "codesheet_1011.txt").write_bytes(new_text)

    result = _tick(sensor, fresh_instance, sheets_dir, first.cursor)

    assert {r.partition_key for r in result.run_requests} == {"atop_6070", "atop_1011"}
    assert list(result.dynamic_partitions_requests[0].partition_keys) == ["atop_1011"]


def test_touching_a_file_without_changing_it_requests_no_run(sheets_dir, fresh_instance):
    sensor = build_codesheet_folder_sensor()
    first = _tick(sensor, fresh_instance, sheets_dir, None)
    fresh_instance.add_dynamic_partitions(codesheet_partitions.name, list(first.dynamic_partitions_requests[0].partition_keys))
    sheet = sheets_dir / "codesheet_6070.txt"
    sheet.write_bytes(sheet.read_bytes())  # new mtime, same content
    assert _tick(sensor, fresh_instance, sheets_dir, first.cursor).run_requests == []


def test_run_requests_per_tick_are_capped_and_the_rest_come_next_tick(sheets_dir, fresh_instance):
    sensor = build_codesheet_folder_sensor(max_runs=2)
    first = _tick(sensor, fresh_instance, sheets_dir, None)
    assert len(first.run_requests) == 2
    second = _tick(sensor, fresh_instance, sheets_dir, first.cursor)
    third = _tick(sensor, fresh_instance, sheets_dir, second.cursor)
    requested = [r.partition_key for r in (*first.run_requests, *second.run_requests, *third.run_requests)]
    assert sorted(requested) == sorted(set(requested)) and len(requested) == 6


def test_cursor_maps_files_to_content_hashes(sheets_dir, fresh_instance):
    result = _tick(build_codesheet_folder_sensor(), fresh_instance, sheets_dir, None)
    state = json.loads(result.cursor)
    assert state["codesheet_6070.txt"] == __import__("hashlib").sha256((sheets_dir / "codesheet_6070.txt").read_bytes()).hexdigest()


def test_run_key_changes_with_the_content(sheets_dir, fresh_instance):
    sensor = build_codesheet_folder_sensor()
    before = {r.partition_key: r.run_key for r in _tick(sensor, fresh_instance, sheets_dir, None).run_requests}
    sheet = sheets_dir / "codesheet_6070.txt"
    sheet.write_bytes(sheet.read_bytes() + b" ")
    after = {r.partition_key: r.run_key for r in _tick(sensor, fresh_instance, sheets_dir, None).run_requests}
    assert before["atop_6070"] != after["atop_6070"] and before["atop_1005"] == after["atop_1005"]


def test_a_sheet_run_materializes_everything_but_the_source_fetch(sheets_dir, fresh_instance):
    from atop_pipeline.definitions import defs

    context = dg.build_sensor_context(
        instance=fresh_instance, definitions=defs, resources={"sheets": CodesheetFolderResource(path=str(sheets_dir))}
    )
    result = build_codesheet_folder_sensor()(context)
    selected = {k.to_user_string() for k in result.run_requests[0].asset_selection}
    assert {"codesheets", "warehouse", "in_force_status", "published_warehouse"} <= selected
    assert not selected & {"source_documents", "source_snapshots", "source_readings"}
