"""The batching SQLite event log: a run over many partitions stores the same records as Dagster's own
storage, with one commit per database for each batch of asset events."""

# No `from __future__ import annotations`: Dagster inspects the asset's context annotation.

from pathlib import Path

import dagster as dg
import pytest

from atop_pipeline.defs import storage as storage_module
from atop_pipeline.defs.storage import BatchingSqliteEventLogStorage
from tests.defs.conftest import repo_instance_config

PARTS = dg.DynamicPartitionsDefinition(name="things")
KEYS = [f"k{i:03d}" for i in range(40)]


@dg.asset(partitions_def=PARTS, backfill_policy=dg.BackfillPolicy.single_run())
def many(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"partitions": len(context.partition_keys)})


def _storage_overrides(base: Path) -> dict:
    """The repo's dagster.yaml storage blocks, with their paths moved under `base`."""
    config = repo_instance_config(base)
    return {k: config[k] for k in ("run_storage", "event_log_storage", "schedule_storage")}


def _materialize_all(instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    instance.add_dynamic_partitions(PARTS.name, KEYS)
    return dg.materialize(
        [many], instance=instance,
        tags={"dagster/asset_partition_range_start": KEYS[0], "dagster/asset_partition_range_end": KEYS[-1]},
    )


def _state(instance: dg.DagsterInstance) -> dict:
    key = dg.AssetKey("many")
    records = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=key), limit=1000).records
    planned = instance.get_event_records(dg.EventRecordsFilter(
        event_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED, asset_key=key), limit=1000)
    latest = instance.get_latest_materialization_event(key)
    return {
        "materialized": sorted(instance.get_materialized_partitions(key)),
        "records": sorted(r.partition_key for r in records),
        "planned": sorted(r.event_log_entry.dagster_event.partition for r in planned),
        "latest_partition_known": latest is not None and latest.dagster_event.partition in KEYS,
    }


def test_the_repo_instance_uses_the_batching_event_log(tmp_path: Path) -> None:
    with dg.instance_for_test(temp_dir=str(tmp_path), overrides=_storage_overrides(tmp_path)) as instance:
        assert isinstance(instance.event_log_storage, BatchingSqliteEventLogStorage)


def test_a_partition_range_run_stores_what_dagsters_own_storage_stores(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(storage_module.BATCH_SIZE_ENV, storage_module.DEFAULT_BATCH_SIZE)
    batches: list[int] = []
    original = BatchingSqliteEventLogStorage._store_asset_events

    def counting(self, events):
        if len(events) > 1:
            batches.append(len(events))
        return original(self, events)

    monkeypatch.setattr(BatchingSqliteEventLogStorage, "_store_asset_events", counting)
    for name in ("ours", "theirs"):
        (tmp_path / name).mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "ours"), overrides=_storage_overrides(tmp_path / "ours")) as ours:
        assert _materialize_all(ours).success
        batched = _state(ours)
    monkeypatch.delenv(storage_module.BATCH_SIZE_ENV)
    with dg.instance_for_test(temp_dir=str(tmp_path / "theirs")) as theirs:
        assert _materialize_all(theirs).success
        reference = _state(theirs)

    assert batched == reference
    assert batched["materialized"] == KEYS and batched["planned"] == KEYS
    # The 40 planned events and the 40 materializations each went in as one batch.
    assert batches.count(len(KEYS)) >= 2, batches


@pytest.mark.parametrize("kinds", [["plain"], ["asset", "plain", "asset"]])
def test_a_batch_with_other_events_keeps_them_and_their_order(tmp_path: Path, kinds: list[str]) -> None:
    stored: list[str] = []

    class Recorder(BatchingSqliteEventLogStorage):
        def store_event(self, event):  # noqa: D401 - test double
            stored.append(event.user_message)

        def _store_asset_events(self, events):
            stored.extend(e.user_message for e in events)

    recorder = Recorder(str(tmp_path / "runs"))
    events = [_entry(f"{kind}{i}", asset=kind == "asset") for i, kind in enumerate(kinds)]
    recorder.store_event_batch(events)
    assert stored == [e.user_message for e in events]


def _entry(message: str, *, asset: bool):
    from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
    from dagster._core.events.log import EventLogEntry

    if not asset:
        return EventLogEntry(error_info=None, level="INFO", user_message=message, run_id="r", timestamp=1.0)
    event = DagsterEvent(
        event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value, job_name="j",
        event_specific_data=StepMaterializationData(dg.AssetMaterialization(asset_key="a")),
    )
    return EventLogEntry(error_info=None, level="INFO", user_message=message, run_id="r", timestamp=1.0,
                         dagster_event=event)
