"""SQLite event-log storage that writes a batch of asset events in one transaction per database.

Dagster's OSS SQLite storage stores every event on its own: for an asset event it opens the run's
database, commits, then opens the cross-run index database and commits again (an fsync each). A run
over 789 alliance partitions emits 789 `ASSET_MATERIALIZATION_PLANNED` events when it is created and
789 `ASSET_MATERIALIZATION` events when `codesheets` returns, so ~3,000 commits that cost most of
Dagster's overhead on the main job (benchmarks/README.md, "Where the time goes").

Dagster already groups those events into batches (one per output, one for the planned events) and
hands a batch to `store_event_batch` when `DAGSTER_EVENT_BATCH_SIZE` is set; the OSS SQLite storage
then just loops. This subclass stores such a batch with the SAME statements the per-event path runs
(`SqliteEventLogStorage.store_event`), in one transaction on the run database and one on the index
database. Anything that is not an asset event goes through `store_event` unchanged. Configured in
`dagster.yaml` (`event_log_storage`); Postgres deployments do not use it (docs/deployment.md).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from dagster._core.events import ASSET_EVENTS
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlalchemy_compat import db_result
from dagster._serdes import ConfigurableClassData

#: Events Dagster buffers before handing them to `store_event_batch` (it flushes at the end of each
#: batch anyway). Read by Dagster at each event, so setting it when this storage is built suffices.
BATCH_SIZE_ENV = "DAGSTER_EVENT_BATCH_SIZE"
DEFAULT_BATCH_SIZE = "1000"


class BatchingSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` whose `store_event_batch` commits a batch of asset events at once."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        # Only turns Dagster's batching on when this storage is configured; an explicit setting wins.
        os.environ.setdefault(BATCH_SIZE_ENV, DEFAULT_BATCH_SIZE)
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None, config_value) -> BatchingSqliteEventLogStorage:
        """Built from `dagster.yaml` (`base_dir`)."""
        return cls(inst_data=inst_data, **config_value)

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """Store events in order: runs of asset events of one run together, anything else one by one."""
        group: list[EventLogEntry] = []
        for event in events:
            if _is_asset_event(event) and (not group or group[0].run_id == event.run_id):
                group.append(event)
                continue
            self._store_asset_events(group)
            group = []
            if _is_asset_event(event):
                group.append(event)
            else:
                self.store_event(event)
        self._store_asset_events(group)

    def _store_asset_events(self, events: Sequence[EventLogEntry]) -> None:
        """What `store_event` does for each asset event, with one commit per database for all."""
        if not events:
            return
        if len(events) == 1:
            self.store_event(events[0])
            return
        statements = [self.prepare_insert_event(e) for e in events]
        with self.run_connection(events[0].run_id) as conn:
            for statement in statements:
                conn.execute(statement)
        with self.index_transaction() as conn:
            event_ids = []
            for statement in statements:
                with db_result(conn, statement) as result:
                    event_ids.append(result.inserted_primary_key[0])
            self._store_asset_event_tags(conn, list(events), event_ids)
            for event, event_id in zip(events, event_ids):
                self._store_asset_event(conn, event, event_id)


def _is_asset_event(event: EventLogEntry) -> bool:
    return bool(event.is_dagster_event and event.dagster_event_type in ASSET_EVENTS)
