"""The `atop-pipeline` command. Each subcommand lives beside the code it drives and registers here."""

from __future__ import annotations

import argparse
import importlib
import sys

#: (module, attribute) of each subcommand's `register(subparsers)` function.
_COMMANDS: tuple[str, ...] = (
    "atop_pipeline.codesheets.commands",  # parse
    "atop_pipeline.commands_ingest",  # ingest, ui
    "atop_pipeline.warehouse.commands",  # export
    "atop_pipeline.sources.commands",  # status
    "atop_pipeline.synth.commands",  # synth
    "atop_pipeline.analyst.commands",  # docs, report
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="atop-pipeline",
        description="Turn ATOP codesheets into a validated DuckDB warehouse and check treaties' in-force status.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in _COMMANDS:
        importlib.import_module(module_name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
