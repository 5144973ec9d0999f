"""`atop-pipeline export`: write the ATOP-format tables of the published warehouse."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from atop_pipeline.warehouse.db import DEFAULT_WAREHOUSE
from atop_pipeline.warehouse.export import export_tables


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `export` subcommand."""
    p = subparsers.add_parser(
        "export",
        help="write atop_alliance_level / atop_member_level as CSV or Parquet",
        description="Write the ATOP-format views of the published warehouse (ATOP 5.1 column names and order).",
    )
    p.add_argument("--format", choices=("csv", "parquet"), default="csv", help="file format (default csv)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="directory to write into")
    p.add_argument(
        "--warehouse", type=Path, default=DEFAULT_WAREHOUSE, metavar="PATH",
        help=f"published warehouse file (default {DEFAULT_WAREHOUSE})",
    )
    p.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace) -> int:
    """Export; 0 on success, 1 if the warehouse is missing or unreadable."""
    try:
        files = export_tables(args.warehouse, args.out, args.format)
    except FileNotFoundError as exc:
        print(f"atop-pipeline export: {exc}", file=sys.stderr)
        return 1
    except (duckdb.Error, OSError) as exc:
        print(f"atop-pipeline export: cannot export from {args.warehouse}: {exc}", file=sys.stderr)
        return 1
    for f in files:
        print(f)
    return 0
