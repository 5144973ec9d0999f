"""Turn the core's reports and tables into Dagster metadata (row counts, schema, previews, links)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import dagster as dg
import pandas as pd

#: Rows shown in a markdown preview; enough to eyeball, small enough for the event log.
PREVIEW_ROWS = 10
#: Source links listed on a materialization (the full list is in the warehouse).
MAX_LINKS = 20


def column_schema(model: Any) -> dg.TableSchema:
    """A Dagster table schema built from a pandera DataFrameModel (name, dtype, nullability, description)."""
    schema = model.to_schema()
    columns = []
    for name, column in schema.columns.items():
        constraints = dg.TableColumnConstraints(nullable=bool(column.nullable), unique=bool(column.unique))
        columns.append(
            dg.TableColumn(
                name=str(name),
                type=str(column.dtype) if column.dtype is not None else "any",
                description=column.description or column.title,
                constraints=constraints,
            )
        )
    return dg.TableSchema(columns=columns)


def markdown_table(frame: pd.DataFrame, *, rows: int = PREVIEW_ROWS) -> dg.MetadataValue:
    """A markdown preview of the first rows (long text cut so the event log stays readable)."""
    if frame.empty:
        return dg.MetadataValue.md("_no rows_")
    shown = frame.head(rows).copy()
    for col in shown.columns:
        if shown[col].dtype == object:
            shown[col] = shown[col].map(lambda v: v if not isinstance(v, str) or len(v) <= 80 else v[:77] + "...")
    return dg.MetadataValue.md(shown.to_markdown(index=False))


def table_metadata(name: str, frame: pd.DataFrame, row_count: int, model: Any | None = None) -> dict[str, Any]:
    """Standard metadata for one warehouse table: row count, schema (from pandera), preview."""
    meta: dict[str, Any] = {
        "dagster/row_count": dg.MetadataValue.int(int(row_count)),
        "dagster/table_name": name,
        f"{name}_preview": markdown_table(frame),
    }
    if model is not None:
        meta["dagster/column_schema"] = column_schema(model)
    return meta


def counts(values: Mapping[str, int]) -> dict[str, dg.MetadataValue]:
    """Integer metadata entries from a mapping of counts."""
    return {k: dg.MetadataValue.int(int(v)) for k, v in values.items()}


def url_links(urls: Iterable[str], *, prefix: str = "source_url") -> dict[str, dg.MetadataValue]:
    """Clickable links to the first source URLs (`source_url_1`, ...)."""
    return {f"{prefix}_{i}": dg.MetadataValue.url(u) for i, u in enumerate(list(urls)[:MAX_LINKS], start=1)}
