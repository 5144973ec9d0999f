"""The dynamic partition set: one partition per alliance, keyed `atop_<ATOP ID>` (e.g. `atop_6070`).

Keys are registered by the folder sensor and by `atop-pipeline ingest`; the file paths stay in run
metadata, never in the key (paths may contain commas and spaces that the UI mishandles).
"""

from __future__ import annotations

import dagster as dg

codesheet_partitions = dg.DynamicPartitionsDefinition(name="codesheets")

#: Run tags that make one run cover a contiguous range of partitions (a single-run backfill).
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def all_partitions_tags(instance: dg.DagsterInstance) -> dict[str, str]:
    """Tags for one run over every registered codesheet partition; empty when none are registered."""
    keys = instance.get_dynamic_partitions(codesheet_partitions.name)
    if not keys:
        return {}
    return {RANGE_START_TAG: keys[0], RANGE_END_TAG: keys[-1]}
