"""`atop-pipeline parse`: JSON Lines per sheet, errors as objects, exit status, folders and zips."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from atop_pipeline.cli import build_parser

SHEETS = Path(__file__).resolve().parents[1] / "fixtures" / "sheets"


def _run(argv: list[str]) -> tuple[int, str]:
    args = build_parser().parse_args(["parse", *argv])
    out = io.StringIO()
    code = args.handler(args, out=out)
    return code, out.getvalue()


def _lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


def test_json_output_has_the_contract_keys(tmp_path: Path) -> None:
    code, out = _run([str(SHEETS / "codesheet_6070.txt"), "--json"])
    assert code == 0
    (obj,) = _lines(out)
    for key in ("source_file", "sha256", "atopid", "answers", "members", "urls", "references", "warnings", "atop", "atop_members"):
        assert key in obj, key
    assert obj["atopid"] == 6070
    assert obj["references"] == [3740, 4235, 4220, 4810]
    assert obj["urls"] == ["http://adilet.zan.kz/rus/docs/Z1400000246"]
    assert obj["atop"]["begyr"] == 2013 and obj["atop"]["cowid"] is None
    assert [m["member"] for m in obj["atop_members"]] == [365, 705]
    assert obj["answers"][0] == {
        "number": 1, "section": "I", "question_text": "ATOP ID:", "answer_text": "6070", "flag": "other",
        "line_start": 2, "line_end": 2,
    }  # fmt: skip


def test_failed_file_gives_an_error_object_and_exit_1_after_the_others(tmp_path: Path) -> None:
    shutil.copy(SHEETS / "codesheet_6070.txt", tmp_path / "a_6070.txt")
    (tmp_path / "b_notes.txt").write_text("Meeting notes\n1. Budget\n", encoding="utf-8")
    shutil.copy(SHEETS / "variant_3275_baghdad_pact.txt", tmp_path / "c_3275.txt")
    code, out = _run([str(tmp_path), "--json"])
    objs = _lines(out)
    assert code == 1
    assert [o.get("atopid") for o in objs] == [6070, None, 3275]
    bad = objs[1]
    assert bad["source_file"].endswith("b_notes.txt")
    assert "not an ATOP codesheet" in bad["error"] and "no ATOP ID" in bad["error"]


def test_all_good_files_exit_0(tmp_path: Path) -> None:
    shutil.copy(SHEETS / "codesheet_6070.txt", tmp_path / "6070.txt")
    code, out = _run([str(tmp_path), "--json"])
    assert code == 0 and len(_lines(out)) == 1


def test_missing_path_is_an_error_object(tmp_path: Path) -> None:
    code, out = _run([str(tmp_path / "nope.txt"), "--json"])
    assert code == 1
    assert _lines(out)[0]["error"].endswith("no such file or folder")


def test_zip_archive_of_sheets(tmp_path: Path) -> None:
    archive = tmp_path / "sheets.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(SHEETS / "codesheet_6070.txt", "batch/6070.txt")
        zf.write(SHEETS / "variant_1370_reinsurance_treaty.txt", "batch/1370.txt")
    code, out = _run([str(archive), "--json"])
    assert code == 0
    assert sorted(o["atopid"] for o in _lines(out)) == [1370, 6070]


def test_cutoff_option_changes_ineffect() -> None:
    _, out = _run([str(SHEETS / "variant_3180_nato.txt"), "--json", "--cutoff", "1989-12-31"])
    members = {m["member"]: m for m in _lines(out)[0]["atop_members"]}
    assert members[260]["ineffect"] == 1 and members[260]["yrexit"] == 0
    _, out = _run([str(SHEETS / "variant_3180_nato.txt"), "--json"])
    members = {m["member"]: m for m in _lines(out)[0]["atop_members"]}
    assert members[260]["ineffect"] == 0 and members[260]["yrexit"] == 1990


def test_bad_cutoff_is_a_usage_error() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["parse", "x.txt", "--cutoff", "31/12/2018"])


def test_human_summary_names_the_sheet_and_its_members() -> None:
    code, out = _run([str(SHEETS / "codesheet_6070.txt")])
    assert code == 0
    assert "ATOP 6070, 61/61 questions" in out
    assert "Kazakhstan (705), Russia (365)" in out
    assert "in effect at cut-off" in out


def test_cli_main_runs_parse(capsys: pytest.CaptureFixture[str]) -> None:
    from atop_pipeline.cli import main

    assert main(["parse", str(SHEETS / "codesheet_6070.txt"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["atopid"] == 6070


def test_non_sheet_files_in_a_folder_are_reported_but_not_failures(tmp_path: Path) -> None:
    shutil.copy(SHEETS / "codesheet_6070.txt", tmp_path / "6070.txt")
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04 not a sheet")
    code, out = _run([str(tmp_path), "--json"])
    objs = _lines(out)
    assert code == 0
    skipped = [o for o in objs if o.get("skipped")]
    assert len(skipped) == 1 and skipped[0]["source_file"].endswith("notes.docx")
    assert [o["atopid"] for o in objs if "atopid" in o] == [6070]
