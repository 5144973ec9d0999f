"""The synthetic corpus generator: coverage, determinism, quirks, copies and the manifest."""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path

import pytest

from atop_pipeline.synth.corpus import (
    ID_BANDS,
    MANIFEST_NAME,
    distinct_id_map,
    generate_corpus,
    read_manifest,
)
from atop_pipeline.synth.quirks import ALL_QUIRKS
from atop_pipeline.synth.render import DEFAULT_REFERENCE_DIR, load_alliances

PUBLISHED = 789


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def full_corpus(tmp_path_factory: pytest.TempPathFactory):
    """Every alliance once, text only (PDF rendering is covered separately and is slower)."""
    out = tmp_path_factory.mktemp("full")
    return generate_corpus(out, seed=7, pdf_share=0.0)


def test_every_published_alliance_gets_one_sheet(full_corpus) -> None:
    published = {r.atopid for r in load_alliances()}
    assert len(published) == PUBLISHED
    assert {s.atopid for s in full_corpus.sheets} == published
    assert len(list(full_corpus.out_dir.glob("codesheet_*.txt"))) == PUBLISHED


def test_each_text_quirk_appears_in_a_sizeable_share_of_files(full_corpus) -> None:
    counts = full_corpus.quirk_counts()
    # cp1251 needs a Cyrillic quotation (post-1991 alliances with Russia); PDF is off in this corpus.
    for quirk in ALL_QUIRKS:
        if quirk in ("pdf", "cp1251"):
            continue
        assert counts.get(quirk, 0) >= 0.05 * PUBLISHED, quirk
    assert counts.get("cp1251", 0) >= 1


def test_manifest_is_hidden_and_lists_every_file_with_its_sha256(full_corpus) -> None:
    import hashlib

    assert full_corpus.manifest.name == MANIFEST_NAME and MANIFEST_NAME.startswith(".")
    rows = read_manifest(full_corpus.out_dir)
    assert len(rows) == PUBLISHED
    for row in rows[:50]:
        data = (full_corpus.out_dir / row.file).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row.sha256


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    generate_corpus(tmp_path / "a", seed=11, limit=40, pdf_share=0.0)
    generate_corpus(tmp_path / "b", seed=11, limit=40, pdf_share=0.0)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_different_seed_gives_different_files(tmp_path: Path) -> None:
    generate_corpus(tmp_path / "a", seed=11, limit=40, pdf_share=0.0)
    generate_corpus(tmp_path / "b", seed=12, limit=40, pdf_share=0.0)
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert sum(a[k] != b[k] for k in a) > 30


def test_pdf_sheets_are_pdfs_and_deterministic(tmp_path: Path) -> None:
    pytest.importorskip("fpdf")
    generate_corpus(tmp_path / "a", seed=3, limit=2, pdf_share=1.0)
    generate_corpus(tmp_path / "b", seed=3, limit=2, pdf_share=1.0)
    a = _files(tmp_path / "a")
    pdfs = [k for k in a if k.endswith(".pdf")]
    assert len(pdfs) == 2
    assert all(a[k].startswith(b"%PDF") for k in pdfs)
    assert a == _files(tmp_path / "b")


def test_pdf_text_carries_the_atop_id(tmp_path: Path) -> None:
    pytest.importorskip("fpdf")
    import io

    from pypdf import PdfReader

    report = generate_corpus(tmp_path, seed=3, limit=1, pdf_share=1.0)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO((tmp_path / report.sheets[0].file).read_bytes())).pages)
    assert f"ATOP ID: {report.sheets[0].atopid}" in text


def test_legacy_and_utf16_files_keep_curly_quotes_and_em_dashes(full_corpus) -> None:
    checked = 0
    for row in read_manifest(full_corpus.out_dir):
        if row.encoding not in ("cp1252", "utf-16"):
            continue
        text = (full_corpus.out_dir / row.file).read_bytes().decode(row.encoding)
        assert "\u201ctreaty\u201d" in text  # Q6's question text quotes “treaty”
        checked += 1
    assert checked > 100


def test_cp1251_is_used_only_for_sheets_with_cyrillic(full_corpus) -> None:
    for row in read_manifest(full_corpus.out_dir):
        if row.encoding == "cp1251":
            text = (full_corpus.out_dir / row.file).read_bytes().decode("cp1251")
            assert any("\u0400" <= ch <= "\u04ff" for ch in text)


def test_copies_are_the_same_alliance_in_another_form_in_a_subfolder(tmp_path: Path) -> None:
    report = generate_corpus(tmp_path, seed=1, limit=5, copies=3, pdf_share=0.0)
    assert len(report.sheets) == 15
    firsts = [s for s in report.sheets if s.copy == 0]
    for s in report.sheets:
        if s.copy:
            assert s.file.startswith(f"copy_{s.copy}/")
            assert s.atopid == s.source_atopid
    base = {s.atopid: (tmp_path / s.file).read_bytes() for s in firsts}
    for s in report.sheets:
        if s.copy:
            assert (tmp_path / s.file).read_bytes() != base[s.atopid]


def test_distinct_ids_are_unpublished_and_in_the_same_band(tmp_path: Path) -> None:
    published = {r.atopid for r in load_alliances()}
    report = generate_corpus(tmp_path, seed=1, limit=30, copies=2, distinct_ids=True, pdf_share=0.0)
    copies = [s for s in report.sheets if s.copy == 1]
    assert len({s.atopid for s in copies}) == len(copies)
    for s in copies:
        assert s.atopid not in published
        band = next(b for b in ID_BANDS if b[0] <= s.source_atopid <= b[1])
        assert band[0] <= s.atopid <= band[1]
        text = (tmp_path / s.file).read_bytes().decode(s.encoding).replace("\u00a0", " ")
        assert re.search(rf"ATOP ID: {s.atopid}(?!\d)", text)


def test_distinct_ids_refuse_more_copies_than_a_band_holds() -> None:
    published = [r.atopid for r in load_alliances()]
    with pytest.raises(ValueError, match=r"band \d{4}-\d{4} has .* copies fit"):
        distinct_id_map(published, 10)


def test_limit_renders_only_the_first_alliances(tmp_path: Path) -> None:
    report = generate_corpus(tmp_path, seed=1, limit=7, pdf_share=0.0)
    with open(DEFAULT_REFERENCE_DIR / "atop5_1a.csv", newline="") as fh:
        first = [int(r["atopid"]) for r, _ in zip(csv.DictReader(fh), range(7))]
    assert [s.atopid for s in report.sheets] == first


def test_file_bytes_do_not_depend_on_global_random_state(tmp_path: Path) -> None:
    random.seed(1)
    generate_corpus(tmp_path / "a", seed=5, limit=10, pdf_share=0.0)
    random.seed(2)
    generate_corpus(tmp_path / "b", seed=5, limit=10, pdf_share=0.0)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
