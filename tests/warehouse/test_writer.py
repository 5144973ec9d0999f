"""write_rows: validation by the table's model, insert by column name, replace by key, allow-listed tables."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pandera.pandas as pa
import pytest

from atop_pipeline.warehouse import write_rows

SHA = "a" * 64


def _verdict(atopid: int, as_of: dt.date, verdict: str, disagreements: list) -> dict:
    return {
        "atopid": atopid, "as_of": as_of, "verdict": verdict, "sheet_claim": "in_effect",
        "sheet_claim_date": dt.date(2018, 12, 31), "claim_age_days": (as_of - dt.date(2018, 12, 31)).days,
        "term_end": dt.date(2028, 11, 11), "next_notice_deadline": dt.date(2028, 5, 11),
        "clause_basis": "Section 30", "source_status": "in_force", "evidence_json": json.dumps({"sheet": "Q14"}),
        "disagreements_json": json.dumps(disagreements), "warnings_json": json.dumps([]),
        "computed_at": dt.datetime(2026, 11, 28, 12, 0),
    }


def test_rows_are_inserted_by_column_name_whatever_the_frame_order(wh):
    frame = pd.DataFrame([{"cited_by_count": 2, "host": "adilet.zan.kz",
                           "first_seen_at": dt.datetime(2026, 11, 28), "url": "http://adilet.zan.kz/rus/docs/Z1400000246"}])
    with wh.connect() as con:
        assert write_rows(con, "source_documents", frame, key=["url"]) == 1
        assert con.execute("SELECT url, host, cited_by_count FROM source_documents").fetchall() == [
            ("http://adilet.zan.kz/rus/docs/Z1400000246", "adilet.zan.kz", 2)
        ]


def test_rows_with_the_same_key_are_replaced_not_duplicated(wh):
    row = {"url": "https://example.org/t", "host": "example.org", "first_seen_at": dt.datetime(2026, 1, 1), "cited_by_count": 1}
    with wh.connect() as con:
        write_rows(con, "source_documents", pd.DataFrame([row]), key=["url"])
        write_rows(con, "source_documents", pd.DataFrame([{**row, "cited_by_count": 3}]), key=["url"])
        assert con.execute("SELECT cited_by_count FROM source_documents").fetchall() == [(3,)]


def test_invalid_rows_raise_every_failure_and_write_nothing(wh):
    bad = pd.DataFrame([{
        "snapshot_id": "s1", "url": "http://x.kz", "fetched_at": dt.datetime(2026, 11, 28),
        "outcome": "exploded", "status_code": 999,
    }])
    with wh.connect() as con:
        with pytest.raises(pa.errors.SchemaErrors) as info:
            write_rows(con, "source_snapshots", bad, key=["snapshot_id"])
        assert con.execute("SELECT count(*) FROM source_snapshots").fetchall() == [(0,)]
    failed = set(zip(info.value.failure_cases["column"], info.value.failure_cases["failure_case"].astype(str)))
    assert {("outcome", "exploded"), ("status_code", "999")} <= failed


def test_tables_outside_the_allow_list_and_unknown_columns_are_refused(wh):
    with wh.connect() as con:
        with pytest.raises(ValueError, match="unknown table"):
            write_rows(con, "alliances; DROP TABLE codesheets", pd.DataFrame([{"x": 1}]), key=["x"])
        with pytest.raises(ValueError, match="has no column"):
            write_rows(con, "source_documents", pd.DataFrame([{"url": "http://a.b", "nonsense": 1}]), key=["url"])


def test_snapshot_with_body_bytes_and_dates_round_trips(wh):
    snap = {
        "snapshot_id": "s1", "url": "http://adilet.zan.kz/rus/docs/Z1400000246", "final_url": None,
        "fetched_at": dt.datetime(2026, 11, 28, 10), "outcome": "ok", "status_code": 200,
        "headers_json": json.dumps({"Content-Type": "text/html"}), "content_type": "text/html", "encoding": "utf-8",
        "sha256": SHA, "size": 5, "body": b"<html", "fetched_via": "direct", "attempts": 1, "elapsed_s": 0.2,
        "error_message": None, "previous_sha256": None, "changed": None,
    }
    reading = {
        "snapshot_id": "s1", "url": snap["url"], "reader": "adilet", "title": "О ратификации", "language": "rus",
        "status_class": "status_new", "status_norm": "in_force", "subject": "ratifying_act",
        "act_date": dt.date(2014, 6, 3), "act_number": "208-V", "repeal_date": None, "repeal_effective_date": None,
        "entry_into_force_date": None, "denunciation": False, "source_as_of": None, "text_sha256": SHA,
        "dates_json": "[]", "evidence_text": "статус: действующий",
    }
    with wh.connect() as con:
        write_rows(con, "source_snapshots", pd.DataFrame([snap]), key=["snapshot_id"])
        write_rows(con, "source_readings", pd.DataFrame([reading]), key=["snapshot_id", "reader"])
        assert con.execute("SELECT body, changed FROM source_snapshots").fetchall() == [(b"<html", None)]
        assert con.execute("SELECT act_date, title FROM source_readings").fetchall() == [
            (dt.date(2014, 6, 3), "О ратификации")
        ]


def test_current_verdict_and_disagreement_views(wh):
    rows = pd.DataFrame([
        _verdict(6070, dt.date(2026, 1, 1), "unknown", []),
        _verdict(6070, dt.date(2026, 11, 28), "conflicting",
                 [{"kind": "sheet_vs_source", "message": "sheet says in effect; cited law repealed"}, "term lapsed"]),
    ])
    with wh.connect() as con:
        write_rows(con, "in_force_status", rows, key=["atopid", "as_of"])
        assert con.execute("SELECT atopid, as_of, verdict FROM current_in_force").fetchall() == [
            (6070, dt.date(2026, 11, 28), "conflicting")
        ]
        assert con.execute("SELECT ordinal, kind, disagreement FROM in_force_disagreements").fetchall() == [
            (0, "sheet_vs_source", "sheet says in effect; cited law repealed"),
            (1, None, "term lapsed"),
        ]
