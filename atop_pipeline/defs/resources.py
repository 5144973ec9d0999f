"""Resources: where the warehouse and the sheets live, how to fetch sources, and the status settings.

Each field can be set by an environment variable and has a working default, so `dagster dev` on a
fresh clone runs on the sample data. Values are read when the code location loads (the UI) or when
`atop-pipeline ingest` starts a run (it sets the variables from its options).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import dagster as dg

from atop_pipeline import pipeline


def _env(name: str, default: Any) -> Any:
    """`dg.EnvVar(name)` when the variable is set (resolved at run time, shown by name in the UI), else the default."""
    return dg.EnvVar(name) if os.environ.get(name) else default


def _env_flag(name: str) -> bool:
    """A boolean switch: 1/true/yes/on (any case) is True."""
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


class WarehouseResource(dg.ConfigurableResource):
    """The published DuckDB warehouse; runs write to the working file beside it and publish atomically."""

    path: str = str(pipeline.DEFAULT_WAREHOUSE)
    reference_dir: str = str(pipeline.DEFAULT_REFERENCE)

    def open(self):  # -> atop_pipeline.warehouse.db.Warehouse
        """The core's Warehouse for this path (opens no connection by itself)."""
        return pipeline.open_warehouse(self.path)


class CodesheetFolderResource(dg.ConfigurableResource):
    """Where the codesheets are: a folder, a zip, or an http(s) URL to a PDF or zip of sheets."""

    path: str = str(pipeline.DEFAULT_SHEETS)
    download_dir: str = str(pipeline.DEFAULT_DOWNLOADS)

    def is_url(self) -> bool:
        """True when the sheets must be downloaded first."""
        return pipeline.is_url(self.path)


class HttpClientResource(dg.ConfigurableResource):
    """Settings of the one polite HTTP client (sources and downloaded sheets).

    Unset fields keep the fetcher's own defaults and its ATOP_HTTP_<FIELD> environment variables
    (e.g. ATOP_HTTP_MIN_INTERVAL_S); an empty user agent is built from the contact address.
    """

    user_agent: str = ""
    contact: str = ""
    min_interval_seconds: float | None = None
    connect_timeout_seconds: float | None = None
    read_timeout_seconds: float | None = None
    offline: bool = False  # record every source as offline without sending a request
    allow_private_addresses: bool = False

    def settings(self):  # -> atop_pipeline.sources.http.FetchSettings
        """The core's FetchSettings: environment defaults overridden by the fields that are set."""
        return pipeline.fetch_settings(
            user_agent=self.user_agent,
            contact=self.contact,
            min_interval=self.min_interval_seconds,
            connect_timeout=self.connect_timeout_seconds,
            read_timeout=self.read_timeout_seconds,
            allow_private=self.allow_private_addresses,
        )


class StatusSettingsResource(dg.ConfigurableResource):
    """The in-force reasoning's date and the agreement threshold the reconciliation check uses."""

    as_of: str = ""  # ISO date; empty means today (UTC)
    agreement_threshold: float = 0.9
    reports_dir: str = "data/reports"

    def reports_path(self) -> Path:
        """The folder the status report is written into."""
        return Path(self.reports_dir)

    def as_of_date(self) -> dt.date:
        """The configured as-of date, or today in UTC."""
        return dt.date.fromisoformat(self.as_of) if self.as_of else dt.datetime.now(dt.UTC).date()


def default_resources() -> dict[str, dg.ConfigurableResource]:
    """The resources every definition uses, configured from ATOP_* environment variables."""
    return {
        "warehouse": WarehouseResource(
            path=_env("ATOP_WAREHOUSE", str(pipeline.DEFAULT_WAREHOUSE)),
            reference_dir=_env("ATOP_REFERENCE", str(pipeline.DEFAULT_REFERENCE)),
        ),
        "sheets": CodesheetFolderResource(
            path=_env("ATOP_SHEETS", str(pipeline.DEFAULT_SHEETS)),
            download_dir=_env("ATOP_DOWNLOADS", str(pipeline.DEFAULT_DOWNLOADS)),
        ),
        "http": HttpClientResource(
            user_agent=_env("ATOP_USER_AGENT", ""),
            contact=_env("ATOP_CONTACT", ""),
            offline=_env_flag("ATOP_OFFLINE"),
            allow_private_addresses=_env_flag("ATOP_ALLOW_PRIVATE"),
        ),
        "status": StatusSettingsResource(
            as_of=_env("ATOP_AS_OF", ""),
            agreement_threshold=float(os.environ.get("ATOP_AGREEMENT_THRESHOLD", "0.9")),
            reports_dir=_env("ATOP_REPORTS", "data/reports"),
        ),
    }


def executor_from_env() -> dg.ExecutorDefinition:
    """The executor named by ATOP_EXECUTOR: in_process (default), multiprocess, celery or k8s.

    in_process is the default because every step writes the same DuckDB file, which admits one
    writing process at a time; the others are for when the warehouse moves to a shared server.
    """
    name = os.environ.get("ATOP_EXECUTOR", "in_process").strip().lower()
    if name == "multiprocess":
        return dg.multiprocess_executor.configured({"max_concurrent": _cores()})
    if name == "celery":
        from dagster_celery import celery_executor  # optional: pip install dagster-celery

        return celery_executor
    if name == "k8s":
        from dagster_k8s import k8s_job_executor  # optional: pip install dagster-k8s

        return k8s_job_executor
    return dg.in_process_executor


def _cores() -> int:
    return max(1, min(2, os.cpu_count() or 1))


__all__ = [
    "CodesheetFolderResource",
    "HttpClientResource",
    "StatusSettingsResource",
    "WarehouseResource",
    "default_resources",
    "executor_from_env",
]
