"""Sources assets: the cited URLs, their fetched snapshots and what the readers found in them."""

# No `from __future__ import annotations`: Dagster inspects the context and resource annotations.

import dagster as dg

from atop_pipeline import pipeline
from atop_pipeline.defs import metadata
from atop_pipeline.defs.assets.warehouse import warehouse as warehouse_asset
from atop_pipeline.defs.jobs import SOURCES
from atop_pipeline.defs.resources import HttpClientResource, WarehouseResource

#: The fetch step's pool. Unlimited unless set (`dagster instance concurrency set source_fetch 1`):
#: a run killed mid-step keeps its slot until run monitoring frees it, so the default relies on the
#: warehouse writer lock (held across the fetch, released by the OS when a process dies), the per-host
#: run tag limit and the fetcher's own per-host interval.
FETCH_POOL = "source_fetch"


class SourcesConfig(dg.Config):
    """Which hosts to fetch (empty: all); a run for one host should carry the tag atop/source_host=<host>."""

    hosts: list[str] = []


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "source_documents",
            deps=[warehouse_asset],
            group_name=SOURCES,
            kinds={"python", "duckdb"},
            description="Every URL the sheets cite, deduplicated across sheets, with the questions citing it.",
        ),
        dg.AssetSpec(
            "source_snapshots",
            deps=["source_documents"],
            group_name=SOURCES,
            kinds={"python", "duckdb"},
            description="Every fetch of a source, kept as received (status, headers, sha256, bytes), failures too.",
        ),
        dg.AssetSpec(
            "source_readings",
            deps=["source_snapshots"],
            group_name=SOURCES,
            kinds={"python", "duckdb"},
            description="What the site readers (adilet, UN Treaty Collection, generic) found in each snapshot.",
        ),
    ],
    pool=FETCH_POOL,
)
def sources(
    context: dg.AssetExecutionContext, config: SourcesConfig, warehouse: WarehouseResource, http: HttpClientResource
):
    # One step for the three tables: a fetch and its reading are one transaction in the core, and
    # splitting them would mean re-reading every body from the store in a second process.
    report = pipeline.fetch_sources(warehouse.open(), http.settings(), hosts=config.hosts or None)
    context.log.info("; ".join(report.lines()))
    links = metadata.url_links(report.urls)
    for table in ("source_documents", "source_snapshots", "source_readings"):
        preview = pipeline.table_preview(warehouse.open(), table)
        yield dg.MaterializeResult(
            asset_key=table,
            metadata={
                **metadata.table_metadata(table, preview.head, preview.row_count, pipeline.schema_for(table)),
                **metadata.counts(report.counts()),
                **(links if table == "source_documents" else {}),
            },
        )
