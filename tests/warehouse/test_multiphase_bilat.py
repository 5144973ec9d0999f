"""Alliances bilateral in their final phase but with more members over their life load, not quarantine."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from atop_pipeline.synth.corpus import generate_corpus
from atop_pipeline.warehouse import ingest_folder

REPO = Path(__file__).resolve().parents[2]
# ATOP codes BILAT for the final phase: each of these is bilat = 1 with three or more members overall.
MULTI_PHASE_BILATERAL = (3260, 3424, 3433, 3610, 3625, 4070, 4075, 4100, 4185, 4195)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    generate_corpus(out, seed=0, pdf_share=0.0, reference_dir=REPO / "data" / "reference")
    return out


def test_multi_phase_bilateral_alliances_pass_the_bilat_check(corpus: Path, tmp_path: Path) -> None:
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    for atopid in MULTI_PHASE_BILATERAL:
        shutil.copy(corpus / f"codesheet_{atopid}.txt", sheets)
    report = ingest_folder(sheets, tmp_path / "wh" / "atop.duckdb", reference_dir=REPO / "data" / "reference")
    con = duckdb.connect(str(tmp_path / "wh" / "atop.duckdb"), read_only=True)
    errors = con.execute("SELECT source_file, error, value FROM ingest_errors").fetchall()
    assert errors == []
    assert report.loaded == len(MULTI_PHASE_BILATERAL)
    rows = con.execute("SELECT atopid, bilat FROM atop_alliance_level ORDER BY atopid").fetchall()
    assert rows == [(a, 1) for a in MULTI_PHASE_BILATERAL]
