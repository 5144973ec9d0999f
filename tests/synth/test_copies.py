"""`synth --copies N` (same IDs) renders one sheet N times with other extraction damage: every copy
parses to the same alliance, so the warehouse loads it once and keeps the rest as copies."""

from __future__ import annotations

from pathlib import Path

from atop_pipeline.codesheets.parser import parse_bytes
from atop_pipeline.synth.corpus import generate_corpus, read_manifest
from atop_pipeline.warehouse.versions import plan_versions


def test_copies_of_one_alliance_differ_in_bytes_but_parse_to_the_same_alliance(tmp_path: Path) -> None:
    generate_corpus(tmp_path, seed=3, limit=25, copies=3, pdf_share=0.2)
    rows = read_manifest(tmp_path)
    assert len(rows) == 75 and len({r.sha256 for r in rows}) > 65  # copies rarely draw the same surface
    assert {r.kind for r in rows} == {"txt", "pdf"}
    unique = {r.sha256: r for r in rows}.values()  # identical bytes are one input to the warehouse
    sheets = [parse_bytes((tmp_path / r.file).read_bytes(), r.file) for r in unique]
    plan = plan_versions(sheets, {})
    assert plan.conflicts == [], [c.message for c in plan.conflicts[:3]]
    assert len(plan.current) == 25 and len(plan.copy_sheets) == len(unique) - 25
