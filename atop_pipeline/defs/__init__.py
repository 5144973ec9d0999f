"""The Dagster layer: assets, checks, partitions, sensors, schedules and resources over the pure core.

Nothing here parses, queries or fetches: each definition calls `atop_pipeline.pipeline` (or the core
modules) and turns what comes back into Dagster metadata.
"""
