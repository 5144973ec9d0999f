"""Run one warehouse ingest in a child process (for the kill and concurrent-reader tests).

usage: python ingest_child.py PUBLISHED_PATH REFERENCE_DIR VARIANT
Loads 6070 (bytes depend on VARIANT) and 6072, then publishes. ATOP_TEST_CRASH_AT / _MARKER apply.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE)]

from warehouse_factory import batch, make_sheet  # noqa: E402

from atop_pipeline.warehouse import Warehouse, load_batch  # noqa: E402


def main(published: str, reference_dir: str, variant: str) -> int:
    wh = Warehouse(Path(published))
    sheets, inputs = batch(make_sheet(6070, variant=variant), make_sheet(6072, variant=variant))
    with wh.lock():
        report = load_batch(wh, sheets, [], inputs, reference_dir=Path(reference_dir))
        wh.publish()
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
