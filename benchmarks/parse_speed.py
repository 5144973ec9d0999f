"""Parser throughput on the bundled fixture sheets: `python benchmarks/parse_speed.py [ROUNDS]`.

Prints sheets per CPU-second for reading (bytes -> SheetText) and parsing (SheetText -> Codesheet)
measured in the same run, and their ratio. CPU time (not wall time) so a busy machine does not
distort the per-core figure. The target is >= 200 parsed sheets/s per core for ~13 KB sheets.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from atop_pipeline.codesheets.parser import parse_text  # noqa: E402
from atop_pipeline.codesheets.reading import read_sheet  # noqa: E402

SHEETS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "sheets"


def main(rounds: int = 50) -> None:
    """Time read_sheet and parse_text over every fixture sheet, `rounds` times."""
    inputs = [(p.name, p.read_bytes()) for p in sorted(SHEETS.glob("*.txt"))]
    texts = [read_sheet(data, name) for name, data in inputs]
    for st in texts:  # warm caches (template, COW list, regexes)
        parse_text(st)
    n = rounds * len(inputs)
    t0 = time.process_time()
    for _ in range(rounds):
        for name, data in inputs:
            read_sheet(data, name)
    read_s = time.process_time() - t0
    t0 = time.process_time()
    for _ in range(rounds):
        for st in texts:
            parse_text(st)
    parse_s = time.process_time() - t0
    kb = sum(len(d) for _, d in inputs) / len(inputs) / 1000
    print(f"{len(inputs)} sheets x {rounds} rounds, mean size {kb:.1f} KB")
    print(f"read_sheet: {n / read_s:8.0f} sheets/CPU-s")
    print(f"parse_text: {n / parse_s:8.0f} sheets/CPU-s")
    print(f"parse/read time ratio: {parse_s / read_s:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
