"""`atop-pipeline synth`: generate the synthetic corpus, or measure its round-trip agreement."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `synth` subcommand."""
    p = subparsers.add_parser(
        "synth",
        help="generate a codesheet for every published alliance, or round-trip a generated corpus",
        description=(
            "Render a codesheet for every alliance in the bundled ATOP 5.1 data, with the surface quirks "
            "of real extraction, deterministically for a seed. With --roundtrip DIR, parse a generated "
            "corpus and print per-variable agreement with the published rows."
        ),
    )
    p.add_argument("--out", type=Path, help="folder to write the corpus into (created if missing)")
    p.add_argument("--copies", type=int, default=1, help="variants per alliance (copy k>0 goes to copy_k/)")
    p.add_argument("--seed", type=int, default=0, help="seed; the same seed gives byte-identical files")
    p.add_argument("--limit", type=int, default=None, help="only the first K alliances")
    p.add_argument("--pdf-share", type=float, default=0.05, help="share of files written as PDF (needs fpdf2)")
    p.add_argument(
        "--distinct-ids",
        action="store_true",
        help="give copies k>0 unpublished ATOP IDs from the same band instead of the same ID",
    )
    p.add_argument("--reference-dir", type=Path, default=None, help="folder with atop5_1a.csv and atop5_1m.csv")
    p.add_argument("--roundtrip", type=Path, metavar="DIR", help="parse corpus DIR and print the agreement table")
    p.add_argument("--show-mismatches", type=int, default=20, metavar="N", help="with --roundtrip: list N mismatches")
    p.set_defaults(handler=handler)


def handler(args: argparse.Namespace) -> int:
    """Run `synth`: generate (--out) and/or round-trip (--roundtrip); exit 1 on bad usage or disagreement."""
    if args.out is None and args.roundtrip is None:
        print("atop-pipeline synth: give --out DIR to generate or --roundtrip DIR to measure", file=sys.stderr)
        return 2
    if args.out is not None:
        from atop_pipeline.synth.corpus import generate_corpus

        try:
            report = generate_corpus(
                args.out,
                copies=args.copies,
                seed=args.seed,
                limit=args.limit,
                pdf_share=args.pdf_share,
                reference_dir=args.reference_dir,
                distinct_ids=args.distinct_ids,
            )
        except (ValueError, RuntimeError) as exc:
            print(f"atop-pipeline synth: {exc}", file=sys.stderr)
            return 2
        pdfs = sum(1 for s in report.sheets if s.kind == "pdf")
        print(f"wrote {len(report.sheets)} sheets ({pdfs} PDF) to {report.out_dir}; manifest {report.manifest}")
    if args.roundtrip is not None:
        from atop_pipeline.synth.roundtrip import roundtrip

        try:
            rt = roundtrip(args.roundtrip, args.reference_dir)
        except RuntimeError as exc:
            print(f"atop-pipeline synth: {exc}", file=sys.stderr)
            return 2
        print(rt.table())
        for m in rt.mismatches[: args.show_mismatches]:
            of = f" (copy of {m.source_atopid})" if m.source_atopid else ""
            print(f"  {m.atopid}{of} {m.variable}: parsed={m.parsed} published={m.published} ({m.file})")
        for file, message in rt.errors[: args.show_mismatches]:
            print(f"  failed {file}: {message}")
        return 0 if not rt.mismatches and not rt.errors else 1
    return 0
