"""Source documents: one fetch per source, the adilet shell falls back to old.adilet.zan.kz, pages are read."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from atop_pipeline.sources.documents import documents_for, fetch_source_documents, source_key
from atop_pipeline.sources.http import FetchOutcome
from atop_pipeline.sources.store import SnapshotStore
from tests.sources.conftest import fast_settings
from tests.sources.server import LoopbackServer, Reply

FIXTURES = Path(__file__).parent.parent / "fixtures" / "sources"
Z_URL = "http://adilet.zan.kz/rus/docs/Z1400000246"
OLD_Z = "https://old.adilet.zan.kz/rus/docs/Z1400000246"
SHELL = (FIXTURES / "adilet_spa_shell.html").read_bytes()
PAGE = (FIXTURES / "adilet_Z1400000246_rus_status_new.html").read_bytes()
HTML = {"Content-Type": "text/html; charset=utf-8"}


def outcome(url: str, body: bytes | None, kind: str = "ok", status: int | None = 200) -> FetchOutcome:
    return FetchOutcome(
        snapshot_id=f"snap:{url}", url=url, final_url=url, fetched_at=dt.datetime(2026, 11, 28, tzinfo=dt.timezone.utc),
        outcome=kind, status_code=status, headers_json=json.dumps(HTML), content_type="text/html",
        sha256=hashlib.sha256(body).hexdigest() if body else None, size=len(body) if body else None, body=body,
    )


class FakeFetcher:
    """Answers from a table of URL -> outcome and records what was asked, in order."""

    def __init__(self, answers: dict[str, FetchOutcome], store: SnapshotStore | None = None) -> None:
        self.answers = answers
        self.asked: list[str] = []
        self.store = store

    def fetch(self, url: str) -> FetchOutcome:
        self.asked.append(url)
        return self.answers.get(url) or outcome(url, None, "not_found", 404)


def test_shell_from_the_new_host_falls_back_to_the_old_host() -> None:
    fetcher = FakeFetcher({Z_URL: outcome(Z_URL, SHELL), OLD_Z: outcome(OLD_Z, PAGE)})
    docs = fetch_source_documents([Z_URL], fetcher)
    assert fetcher.asked == [Z_URL, OLD_Z]
    assert [(o.url, o.outcome, o.fetched_via) for o, _ in docs] == [
        (Z_URL, "spa_shell", "direct"),
        (OLD_Z, "ok", "old.adilet.zan.kz"),
    ]
    reading = docs[1][1]
    assert reading is not None
    assert (reading.status_norm, reading.subject, reading.snapshot_id) == ("in_force", "ratifying_act", f"snap:{OLD_Z}")


def test_shell_outcome_keeps_a_reading_that_says_unknown() -> None:
    fetcher = FakeFetcher({Z_URL: outcome(Z_URL, SHELL), OLD_Z: outcome(OLD_Z, PAGE)})
    shell_reading = fetch_source_documents([Z_URL], fetcher)[0][1]
    assert shell_reading is not None and shell_reading.status_norm == "unknown"


def test_rendered_page_from_the_new_host_needs_no_fallback() -> None:
    fetcher = FakeFetcher({Z_URL: outcome(Z_URL, PAGE)})
    docs = fetch_source_documents([Z_URL], fetcher)
    assert fetcher.asked == [Z_URL]
    assert docs[0][1] is not None and docs[0][1].status_class == "status_new"


def test_kazakh_shell_tries_old_kazakh_then_old_russian() -> None:
    kaz = "https://adilet.zan.kz/kaz/docs/Z1400000246"
    old_kaz = "https://old.adilet.zan.kz/kaz/docs/Z1400000246"
    fetcher = FakeFetcher({kaz: outcome(kaz, SHELL), old_kaz: outcome(old_kaz, SHELL), OLD_Z: outcome(OLD_Z, PAGE)})
    docs = fetch_source_documents([kaz], fetcher)
    assert fetcher.asked == [kaz, old_kaz, OLD_Z]
    assert [o.outcome for o, _ in docs] == ["spa_shell", "spa_shell", "ok"]


def test_failed_fallback_is_recorded_and_the_batch_goes_on() -> None:
    other = "https://example.org/treaty.html"
    fetcher = FakeFetcher({Z_URL: outcome(Z_URL, SHELL), other: outcome(other, b"<title>T</title>")})
    docs = fetch_source_documents([Z_URL, other], fetcher)
    assert [(o.url, o.outcome) for o, _ in docs] == [(Z_URL, "spa_shell"), (OLD_Z, "not_found"), (other, "ok")]
    assert docs[1][1] is None
    assert docs[2][1] is not None and docs[2][1].reader == "generic"


def test_same_document_cited_twice_is_fetched_once() -> None:
    fetcher = FakeFetcher({Z_URL: outcome(Z_URL, PAGE)})
    fetch_source_documents([Z_URL, "https://adilet.zan.kz/rus/docs/Z1400000246/", Z_URL + "#z3"], fetcher)
    assert fetcher.asked == [Z_URL]


def test_failure_outcome_has_no_reading() -> None:
    fetcher = FakeFetcher({Z_URL: outcome(Z_URL, None, "timeout", None)})
    assert [(o.outcome, r) for o, r in fetch_source_documents([Z_URL], fetcher)] == [("timeout", None)]


def test_not_modified_reads_the_stored_body(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "snapshots")
    store.record(outcome(Z_URL, PAGE))
    fetcher = FakeFetcher({Z_URL: outcome(Z_URL, None, "not_modified", 304)}, store=store)
    docs = fetch_source_documents([Z_URL], fetcher)
    reading = docs[0][1]
    assert reading is not None and reading.status_class == "status_new"


def test_documents_for_matches_fallback_renderings_to_the_cited_url() -> None:
    fetcher = FakeFetcher({Z_URL: outcome(Z_URL, SHELL), OLD_Z: outcome(OLD_Z, PAGE)})
    docs = fetch_source_documents([Z_URL], fetcher)
    outcomes, readings = documents_for([Z_URL], docs)
    assert len(outcomes) == 2 and len(readings) == 2
    assert documents_for(["https://example.org/x"], docs) == ([], [])


def test_source_key_ignores_scheme_case_and_trailing_slash_for_other_hosts() -> None:
    assert source_key("http://Example.org/a/") == source_key("https://example.org/a#frag")


def test_loopback_shell_then_old_host_through_a_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fetcher sends adilet hosts through the proxy without resolving them, so no DNS is needed.
    cited = "http://adilet.zan.kz:8080/rus/docs/Z1400000246"
    old = "http://old.adilet.zan.kz:8080/rus/docs/Z1400000246"
    routes = {cited: Reply(200, SHELL, HTML), old: Reply(200, PAGE, HTML)}
    with LoopbackServer(routes=routes) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.base_url)
        from atop_pipeline.sources.http import PoliteFetcher

        with PoliteFetcher(fast_settings()) as fetcher:
            docs = fetch_source_documents([cited], fetcher)
        asked = [r.request_line for r in proxy.requests]
    assert f"GET {cited} HTTP/1.1" in asked and f"GET {old} HTTP/1.1" in asked
    assert [(o.outcome, o.fetched_via) for o, _ in docs] == [("spa_shell", "proxy"), ("ok", "old.adilet.zan.kz")]
    assert docs[1][1] is not None and docs[1][1].status_norm == "in_force"



def test_reader_failure_falls_back_to_the_generic_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    import atop_pipeline.sources.documents as documents

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("unexpected markup")

    monkeypatch.setattr(documents, "read_source", broken)
    docs = fetch_source_documents([Z_URL], FakeFetcher({Z_URL: outcome(Z_URL, PAGE)}))
    reading = docs[0][1]
    assert reading is not None
    assert (reading.reader, reading.status_norm) == ("generic", "unknown")
    assert "unexpected markup" in reading.evidence_text
