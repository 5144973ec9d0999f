"""The generated data dictionary: complete, traceable to codesheet questions, and committed current."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandera.pandas as pa
import pytest
from pandera.typing import Series

from atop_pipeline.analyst import dictionary
from atop_pipeline.analyst.dictionary import DICTIONARY_PATH, create_schema, generate_dictionary, question_index
from atop_pipeline.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def generated() -> str:
    return generate_dictionary()


def _column_rows(markdown: str, relation: str) -> dict[str, list[str]]:
    """The column table of one relation's section: column name -> its cells."""
    section = markdown.split(f"\n## {relation}\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, list[str]] = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            rows[cells[0].strip("`")] = cells
    return rows


def test_committed_dictionary_is_current(generated: str) -> None:
    """docs/data_dictionary.md is what `atop-pipeline docs` writes today (regenerate it if this fails)."""
    committed = (REPO / DICTIONARY_PATH).read_text(encoding="utf-8")
    assert committed == generated, "docs/data_dictionary.md is stale: run `atop-pipeline docs` and commit it"


def test_dictionary_documents_every_table_view_and_column_of_the_ddl(generated: str) -> None:
    con = duckdb.connect(":memory:")
    create_schema(con)
    expected = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
    ).fetchall()
    con.close()
    assert {t for t, _, _ in expected} >= {"codesheets", "answers", "alliances", "members", "ingest_errors"}
    for table, column, data_type in expected:
        rows = _column_rows(generated, table)
        assert column in rows, f"{table}.{column} missing from the dictionary"
        assert rows[column][1] == data_type


def test_atop_named_columns_cite_the_codesheet_question_they_come_from(generated: str) -> None:
    alliance = _column_rows(generated, "atop_alliance_level")
    assert alliance["endyr"][5] == "Q14"
    assert alliance["mem37"][5] == "Q4"
    assert alliance["defense"][5] == "Q16, Q18"
    assert "renewal" in alliance["proren"][3].lower()
    member = _column_rows(generated, "atop_member_level")
    assert member["yrent"][5] == "Q3"
    assert member["defcoadv"][5] == "Q19, Q20"


def test_question_ranges_and_prefixes_expand_over_the_relations_columns() -> None:
    cols = ["atopid", "defense", "offense", "neutral", "nonagg", "consul", "active", "mem1", "mem2", "defcoloc"]
    index = question_index(cols, level="A")
    assert index["offense"] == (16, 18)
    assert index["mem2"] == (4,)
    assert index["defcoloc"] == (19, 20)
    assert "cowwar" not in question_index(["cowwar"], level="A")  # the map tags cowwar (M) only


def test_pandera_description_checks_and_question_metadata_are_shown() -> None:
    class CitationsDoc(pa.DataFrameModel):
        """URLs cited on the sheet."""

        question: Series[int] = pa.Field(ge=1, le=61, description="Question the URL appears in.", metadata={"question": 59})

        class Config:
            name = "citations"

    text = generate_dictionary(models={"citations": CitationsDoc})
    row = _column_rows(text, "citations")["question"]
    assert row[3] == "Question the URL appears in."
    assert row[4] == "1–61"
    assert row[5] == "Q59"


def test_generation_is_deterministic(generated: str) -> None:
    assert generate_dictionary() == generated


def test_docs_check_exits_1_when_the_file_is_stale_and_0_after_docs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "data_dictionary.md"
    target.write_text("# old\n", encoding="utf-8")
    assert main(["docs", "--check", "--out", str(target)]) == 1
    assert main(["docs", "--out", str(target)]) == 0
    assert main(["docs", "--check", "--out", str(target)]) == 0
    assert "stale" in capsys.readouterr().err


def test_models_are_found_by_their_table_name() -> None:
    class Answers(pa.DataFrameModel):
        number: Series[int]

    class CowStatesSchema(pa.DataFrameModel):
        ccode: Series[int]

    assert dictionary._table_name_of(Answers) == "answers"
    assert dictionary._table_name_of(CowStatesSchema) == "cow_states"
