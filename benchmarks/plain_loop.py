"""The plain-loop baseline: `pipeline.run_ingest` (the same core steps as ingest_job, no Dagster).

Run as a subprocess by benchmarks/run.py so it pays the same interpreter start-up and imports as
`atop-pipeline ingest`: `python benchmarks/plain_loop.py SHEETS WAREHOUSE [--offline]`. Prints the
run summary as one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    """Run the plain loop once over a sheet folder into a warehouse; print its summary as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sheets")
    parser.add_argument("warehouse")
    parser.add_argument("--offline", action="store_true")
    args = parser.parse_args(argv)

    from atop_pipeline.pipeline import run_ingest

    summary = run_ingest(args.sheets, args.warehouse, offline=args.offline)
    print(json.dumps({k: v for k, v in vars(summary).items()}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
