"""The one Definitions object: loadable, every asset grouped and described, jobs, policies and executor."""

from __future__ import annotations

import dagster as dg

from atop_pipeline.definitions import defs

GROUPS = {
    "codesheets": "ingest",
    "warehouse": "warehouse",
    "published_warehouse": "warehouse",
    "source_documents": "sources",
    "source_snapshots": "sources",
    "source_readings": "sources",
    "in_force_status": "status",
    "status_report": "status",
}


def test_definitions_validate_loadable():
    # Under a live test instance: Dagster's load context looks up the "current" instance, and an
    # earlier test's closed instance_for_test would otherwise be found (order-dependent failure).
    with dg.instance_for_test():
        dg.Definitions.validate_loadable(defs)


def test_every_asset_has_its_group_a_description_and_kinds():
    graph = defs.resolve_asset_graph()
    for key, group in GROUPS.items():
        node = graph.get(dg.AssetKey(key))
        assert node.group_name == group, key
        assert node.description and node.kinds, key


def test_codesheets_is_partitioned_per_alliance_and_backfills_in_a_single_run():
    node = defs.resolve_asset_graph().get(dg.AssetKey("codesheets"))
    assert isinstance(node.partitions_def, dg.DynamicPartitionsDefinition)
    assert node.partitions_def.name == "codesheets"
    assert node.backfill_policy == dg.BackfillPolicy.single_run()


def test_every_table_with_a_pandera_model_has_a_blocking_schema_check():
    from atop_pipeline.schemas import SCHEMAS

    specs = {spec.name: spec for checks in defs.asset_checks for spec in checks.check_specs}
    for table in SCHEMAS:
        assert specs[f"{table}_matches_schema"].blocking, table
    assert specs["references_resolve"].blocking
    assert not specs["agrees_with_published_atop"].blocking


def test_status_recheck_job_covers_sources_status_and_publishing_but_not_ingest():
    job = defs.resolve_job_def("status_recheck_job")
    keys = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
    assert keys == {
        "source_documents", "source_snapshots", "source_readings", "in_force_status", "published_warehouse", "status_report"
    }


def test_ingest_job_covers_every_asset_and_runs_in_process_by_default():
    job = defs.resolve_job_def("ingest_job")
    all_keys = defs.resolve_asset_graph().get_all_asset_keys()
    assert set(job.asset_layer.selected_asset_keys) == set(all_keys)
    assert job.executor_def.name == "in_process"


def test_fetching_runs_are_limited_by_the_source_fetch_pool():
    node = defs.resolve_asset_graph().get(dg.AssetKey("source_snapshots"))
    assert node.pools == {"source_fetch"}


def test_http_resource_keeps_the_fetchers_environment_defaults_unless_set(monkeypatch):
    from atop_pipeline.defs.resources import HttpClientResource

    monkeypatch.setenv("ATOP_HTTP_MIN_INTERVAL_S", "7")
    assert HttpClientResource().settings().min_interval_s == 7.0
    configured = HttpClientResource(min_interval_seconds=1.5, contact="ops@example.org").settings()
    assert configured.min_interval_s == 1.5 and "ops@example.org" in configured.user_agent
