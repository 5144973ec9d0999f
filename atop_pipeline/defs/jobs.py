"""The two jobs: the main ingest (everything) and the weekly re-check of sources and in-force status."""

from __future__ import annotations

import dagster as dg

#: Groups of assets; each asset module sets its own `group_name` to one of these.
INGEST, WAREHOUSE, SOURCES, STATUS = "ingest", "warehouse", "sources", "status"

#: Every job writes the one warehouse file: runs carrying this tag are admitted one at a time by the
#: run queue (dagster.yaml), so no run loads between another run's checks and its publish.
WRITES_WAREHOUSE = {"atop/writes_warehouse": "true"}

#: Publishing comes last in every job that changes the working warehouse.
PUBLISH = dg.AssetSelection.assets("published_warehouse")

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.all(),
    description=(
        "Read, parse, validate and load the codesheets (one run for any range of alliances), fetch the "
        "cited sources, assess in-force status and publish the warehouse."
    ),
    tags={"atop/job": "ingest", **WRITES_WAREHOUSE},
)

status_recheck_job = dg.define_asset_job(
    "status_recheck_job",
    selection=dg.AssetSelection.groups(SOURCES, STATUS) | PUBLISH,
    description="Re-fetch every cited source, re-assess in-force status as of today and publish.",
    tags={"atop/job": "status_recheck", **WRITES_WAREHOUSE},
)

#: What a run for one changed sheet materializes: everything but the source fetch, which the nightly
#: ingest and the weekly re-check do, so that a sheet edit never triggers hundreds of HTTP requests.
SHEET_UPDATE_SELECTION = dg.AssetSelection.all() - dg.AssetSelection.groups(SOURCES)
