"""Parser throughput per core.

    python benchmarks/parse_speed.py [ROUNDS]                  # the bundled fixture sheets, warm
    python benchmarks/parse_speed.py --corpus DIR [--runs N]   # a generated corpus, as benchmarks/run.py

Fixture mode prints sheets per CPU-second for reading (bytes -> SheetText) and parsing (SheetText ->
Codesheet) measured in the same run, and their ratio.

Corpus mode measures what benchmarks/run.py's `parse_sheets_per_s` measures: `parse_bytes(path.read_bytes(),
name)` over every sheet file of DIR (hidden files left out) in one process, once, after one warm-up
parse of the first file, so the per-process caches (template, COW names, PDF extractions) start cold.
It reports sheets per CPU second overall and per file kind (time.process_time, so other work on the
machine distorts it less than wall time). With --runs N each run is a fresh subprocess and the
median and best are printed. Make the corpus with `atop-pipeline synth --out DIR`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from atop_pipeline.codesheets.parser import parse_text  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import sheet_files, time_parse  # noqa: E402  (benchmarks/run.py: the same loop and file list)
from atop_pipeline.codesheets.reading import read_sheet  # noqa: E402

SHEETS = REPO / "tests" / "fixtures" / "sheets"


def fixtures(rounds: int = 50) -> None:
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


def measure_corpus(corpus: Path) -> dict[str, object]:
    """One pass of parse_bytes over the corpus in this process: CPU seconds overall and per kind."""
    files = sheet_files(corpus)
    if not files:
        raise SystemExit(f"no sheet files under {corpus}")
    cpu0 = time.process_time()
    by_kind, failures = time_parse(corpus, files, time.process_time)
    cpu_s = time.process_time() - cpu0
    return {
        "files": len(files),
        "cpu_s": cpu_s,
        "sheets_per_cpu_s": len(files) / cpu_s,
        "failures": failures,
        "by_kind": {k: {"files": len(v), "sheets_per_cpu_s": len(v) / sum(v)} for k, v in sorted(by_kind.items())},
    }


def _show(result: dict[str, object]) -> str:
    kinds = ", ".join(f"{k} {v['sheets_per_cpu_s']:.0f}/s ({v['files']})" for k, v in result["by_kind"].items())  # type: ignore[union-attr]
    return (f"{result['sheets_per_cpu_s']:.1f} sheets/CPU-s over {result['files']} files "
            f"({result['cpu_s']:.2f} CPU s, {result['failures']} failures); {kinds}")


def main(argv: list[str] | None = None) -> int:
    """Fixture mode by default; --corpus DIR measures a generated corpus."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rounds", nargs="?", type=int, default=50, help="fixture mode: rounds (default 50)")
    parser.add_argument("--corpus", type=Path, help="measure parse_bytes over this corpus folder")
    parser.add_argument("--runs", type=int, default=1, help="corpus mode: fresh-process runs (median and best shown)")
    parser.add_argument("--json", action="store_true", help="corpus mode, one run: print the result as JSON")
    args = parser.parse_args(argv)
    if args.corpus is None:
        fixtures(args.rounds)
        return 0
    if args.runs <= 1:
        result = measure_corpus(args.corpus)
        print(json.dumps(result) if args.json else _show(result))
        return 0
    results = []
    for run in range(args.runs):
        out = subprocess.run([sys.executable, __file__, "--corpus", str(args.corpus), "--json"],
                             check=True, capture_output=True, text=True).stdout
        results.append(json.loads(out))
        print(f"run {run + 1}: {_show(results[-1])}")
    rates = [r["sheets_per_cpu_s"] for r in results]
    print(f"median {statistics.median(rates):.1f}, best {max(rates):.1f} sheets/CPU-s over {len(rates)} runs")
    for kind in results[0]["by_kind"]:
        per = [r["by_kind"][kind]["sheets_per_cpu_s"] for r in results]
        print(f"  {kind}: median {statistics.median(per):.1f}, best {max(per):.1f} sheets/CPU-s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
