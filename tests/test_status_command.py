"""`atop-pipeline status`: sheets -> sources -> verdicts, printed as text or JSON Lines."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from atop_pipeline.cli import main

ROOT = Path(__file__).parent.parent
SHEET = ROOT / "data" / "codesheets" / "codesheet_6070.txt"
FIXTURES = ROOT / "tests" / "fixtures" / "sources"
HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture
def sheets(tmp_path: Path) -> Path:
    folder = tmp_path / "sheets"
    folder.mkdir()
    shutil.copy(SHEET, folder / "codesheet_6070.txt")
    return folder


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_offline_json_lines_carry_the_required_fields(sheets: Path, tmp_path: Path, capsys) -> None:
    code = main(["status", "--as-of", "2026-11-28", "--json", "--offline", "--sheets", str(sheets),
                 "--warehouse", str(tmp_path / "wh" / "atop.duckdb")])
    assert code == 0
    [row] = _json_lines(capsys.readouterr().out)
    for key in ("atopid", "as_of", "verdict", "sheet_claim", "term_end", "next_notice_deadline",
                "source_status", "disagreements", "warnings"):
        assert key in row
    assert (row["atopid"], row["as_of"], row["verdict"]) == (6070, "2026-11-28", "in_force")
    assert (row["term_end"], row["next_notice_deadline"]) == ("2028-11-11", "2028-05-11")
    assert row["source_status"] == "unreachable"
    assert {w["kind"] for w in row["warnings"]} >= {"no_source_reached", "stale_claim"}


def test_offline_run_sends_no_request_and_writes_no_snapshot(sheets: Path, tmp_path: Path, capsys) -> None:
    main(["status", "--as-of", "2026-11-28", "--offline", "--sheets", str(sheets),
          "--warehouse", str(tmp_path / "wh" / "atop.duckdb")])
    assert not (tmp_path / "wh" / "snapshots").exists()


def test_text_output_names_verdict_term_and_warnings(sheets: Path, tmp_path: Path, capsys) -> None:
    main(["status", "--as-of", "2026-11-28", "--offline", "--sheets", str(sheets),
          "--warehouse", str(tmp_path / "atop.duckdb")])
    out = capsys.readouterr().out
    assert "ATOP 6070: in_force as of 2026-11-28" in out
    assert "current term ends 2028-11-11; notice deadline 2028-05-11" in out
    assert "warning   stale_claim" in out


def test_missing_sheet_folder_exits_non_zero_with_a_message(tmp_path: Path, capsys) -> None:
    code = main(["status", "--offline", "--sheets", str(tmp_path / "nowhere")])
    assert code == 1
    assert "no codesheet could be read" in capsys.readouterr().err


def test_bad_as_of_date_is_refused(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["status", "--as-of", "28/11/2026"])
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_online_run_fetches_through_fallback_and_keeps_snapshots(tmp_path: Path, monkeypatch, capsys) -> None:
    from tests.sources.server import LoopbackServer, Reply

    # The sheet's cited URL, pointed at the test proxy's port so the fallback keeps plain http.
    cited = "http://adilet.zan.kz:8080/rus/docs/Z1400000246"
    old = "http://old.adilet.zan.kz:8080/rus/docs/Z1400000246"
    folder = tmp_path / "sheets"
    folder.mkdir()
    text = SHEET.read_bytes().replace(b"http://adilet.zan.kz/rus/docs/Z1400000246", cited.encode())
    (folder / "codesheet_6070.txt").write_bytes(text)
    routes = {
        cited: Reply(200, (FIXTURES / "adilet_spa_shell.html").read_bytes(), HTML),
        old: Reply(200, (FIXTURES / "adilet_Z1400000246_rus_status_new.html").read_bytes(), HTML),
    }
    with LoopbackServer(routes=routes) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.base_url)
        monkeypatch.setenv("ATOP_HTTP_MIN_INTERVAL_S", "0.01")
        monkeypatch.setenv("ATOP_HTTP_BACKOFF_JITTER_S", "0")
        code = main(["status", "--as-of", "2026-11-28", "--json", "--sheets", str(folder),
                     "--warehouse", str(tmp_path / "wh" / "atop.duckdb")])
    assert code == 0
    [row] = _json_lines(capsys.readouterr().out)
    assert (row["verdict"], row["disagreements"]) == ("in_force", [])
    assert row["source_status"] == "in_force (ratifying act, adilet status_new)"
    assert (tmp_path / "wh" / "snapshots" / "index.jsonl").exists()
