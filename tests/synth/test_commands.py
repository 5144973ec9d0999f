"""The `atop-pipeline synth` command."""

from __future__ import annotations

from pathlib import Path

import pytest

from atop_pipeline.cli import main


def test_synth_writes_the_corpus_and_reports_the_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["synth", "--out", str(tmp_path / "corpus"), "--limit", "5", "--seed", "2", "--pdf-share", "0"])
    assert code == 0
    assert len(list((tmp_path / "corpus").glob("codesheet_*.txt"))) == 5
    assert "wrote 5 sheets (0 PDF)" in capsys.readouterr().out


def test_synth_without_out_or_roundtrip_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synth"]) == 2
    assert "--out" in capsys.readouterr().err


def test_synth_refuses_distinct_ids_beyond_band_capacity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["synth", "--out", str(tmp_path), "--copies", "20", "--distinct-ids", "--limit", "1"])
    assert code == 2
    assert "copies fit" in capsys.readouterr().err


def test_synth_roundtrip_prints_the_agreement_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("atop_pipeline.codesheets.derive")
    main(["synth", "--out", str(tmp_path), "--limit", "3", "--seed", "4", "--pdf-share", "0"])
    capsys.readouterr()
    main(["synth", "--roundtrip", str(tmp_path)])
    out = capsys.readouterr().out
    assert "begyr" in out and "overall" in out and "files: 3" in out
