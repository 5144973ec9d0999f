"""The Dagster layer: assets, checks, partitions, sensors, schedules and resources over the pure core.

Nothing here parses, queries or fetches: each definition calls `atop_pipeline.pipeline` (or the core
modules) and turns what comes back into Dagster metadata.
"""

import warnings

# `backfill_policy` is marked beta in 1.13 but is the documented way to make a backfill one run; the
# warning would print on every CLI run and code-server start.
warnings.filterwarnings("ignore", message=r"Parameter `backfill_policy`", module=r"dagster\..*")
