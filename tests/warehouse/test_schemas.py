"""The pandera models as a data dictionary: they match the published files and accept every published row."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pandas as pd

from atop_pipeline.schemas import SCHEMAS, VARIABLES, AllianceSchema, MemberSchema, schema_of
from atop_pipeline.schemas.columns import ALLIANCE_COLUMNS, MEMBER_COLUMNS
from atop_pipeline.warehouse.frames import max_concurrent_members

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "data" / "reference"


def _published(name: str) -> pd.DataFrame:
    frame = pd.read_csv(REFERENCE / name, dtype=str, keep_default_na=False)
    return frame.replace("", None)


def test_column_constants_are_the_published_headers_in_order():
    for constant, name in ((ALLIANCE_COLUMNS, "atop5_1a.csv"), (MEMBER_COLUMNS, "atop5_1m.csv")):
        with open(REFERENCE / name, encoding="utf-8") as f:
            assert list(constant) == next(csv.reader(f))


def test_every_published_variable_is_documented_with_its_question():
    assert set(ALLIANCE_COLUMNS) | set(MEMBER_COLUMNS) == set(VARIABLES)
    begyr = AllianceSchema.to_schema().columns["begyr"]
    assert begyr.metadata["question"] == 3 and "signature year" in begyr.description


def test_every_published_alliance_row_passes_the_alliance_rules():
    frame = _published("atop5_1a.csv")
    members = _published("atop5_1m.csv")
    counts = members.groupby("atopid")["member"].nunique()
    concurrent = {
        a: max_concurrent_members([{k: (int(v) if v not in (None, "") else None) for k, v in r.items() if k != "version"}
                                   for r in group.to_dict("records")])
        for a, group in members.groupby("atopid")
    }
    frame["sha256"] = "0" * 64
    frame["member_count"] = frame["atopid"].map(counts)
    frame["max_concurrent_members"] = frame["atopid"].map(concurrent)
    # ATOP 1287 (Italy-Prussia 1866) is coded multilateral with two members; the one published
    # exception to "bilat = 0 needs three or more members".
    frame = frame[frame["atopid"] != "1287"]
    AllianceSchema.validate(frame, lazy=True)


def test_every_published_member_row_passes_the_member_rules():
    frame = _published("atop5_1m.csv")
    frame["member_name"] = None
    frame["ordinal"] = range(len(frame))
    frame["sha256"] = "0" * 64
    MemberSchema.validate(frame, lazy=True)


def test_every_table_has_a_model_and_the_models_import_on_their_own():
    assert set(SCHEMAS) >= {
        "codesheets", "answers", "alliances", "members", "provisions", "alliance_references", "citations",
        "ingest_errors", "cow_states", "published_atop_alliances", "published_atop_members", "raw_inputs",
        "source_documents", "source_snapshots", "source_readings", "in_force_status",
    }
    assert all(schema_of(t) is schema_of(t) for t in SCHEMAS)
    done = subprocess.run([sys.executable, "-c", "import atop_pipeline.schemas"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
