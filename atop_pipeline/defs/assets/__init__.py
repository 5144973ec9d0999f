"""Assets by group: ingest (codesheets), warehouse (reference tables, publishing), sources, status.

`definitions.py` loads every module in this package, so a new asset module dropped here (e.g. the
analyst's `status_report`, depending on `in_force_status`) joins the graph and `ingest_job` with no
other change.
"""
