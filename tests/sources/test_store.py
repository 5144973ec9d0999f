"""SnapshotStore: content-addressed bodies, an append-only history, and conditional re-fetch."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from atop_pipeline.sources.http import FetchOutcome
from atop_pipeline.sources.store import SnapshotStore, SnapshotStoreError
from tests.sources.server import Reply, html

# Tests here use a loopback server; a hang must fail fast, not after the global 600 s.
pytestmark = pytest.mark.timeout(60)

URL = "http://adilet.zan.kz/rus/docs/Z1400000246"


def _outcome(outcome: str = "ok", body: bytes | None = b"<html>v1</html>", url: str = URL, **fields) -> FetchOutcome:
    return FetchOutcome(
        snapshot_id=fields.pop("snapshot_id", hashlib.sha256(repr((url, outcome, body)).encode()).hexdigest()[:32]),
        url=url,
        final_url=url,
        fetched_at=dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.timezone.utc),
        outcome=outcome,
        status_code=200 if outcome == "ok" else None,
        body=body,
        sha256=hashlib.sha256(body).hexdigest() if body is not None else None,
        **fields,
    )


def test_put_stores_bytes_under_their_hash(tmp_path):
    store = SnapshotStore(tmp_path)

    sha = store.put(b"treaty text")

    assert sha == hashlib.sha256(b"treaty text").hexdigest()
    assert (tmp_path / sha[:2] / f"{sha}.bin").read_bytes() == b"treaty text"
    assert store.get(sha) == b"treaty text"


def test_put_never_rewrites_an_existing_object(tmp_path):
    store = SnapshotStore(tmp_path)
    sha = store.put(b"same")
    path = store.path_for(sha)
    before = path.stat()

    store.put(b"same")

    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_get_detects_a_corrupted_object(tmp_path):
    store = SnapshotStore(tmp_path)
    sha = store.put(b"original")
    store.path_for(sha).write_bytes(b"tampered")

    with pytest.raises(SnapshotStoreError, match="corrupt"):
        store.get(sha)


def test_get_of_an_unknown_hash_raises(tmp_path):
    with pytest.raises(SnapshotStoreError):
        SnapshotStore(tmp_path).get("0" * 64)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ab", "Z" * 64])
def test_object_paths_only_accept_sha256_digests(tmp_path, bad):
    with pytest.raises(ValueError):
        SnapshotStore(tmp_path).path_for(bad)


def test_every_outcome_is_appended_and_none_overwritten(tmp_path):
    store = SnapshotStore(tmp_path)
    store.record(_outcome("ok", b"v1"))
    store.record(_outcome("timeout", None))
    store.record(_outcome("ok", b"v2"))

    history = store.history(URL)

    assert [o.outcome for o in history] == ["ok", "timeout", "ok"]
    assert len((tmp_path / "index.jsonl").read_text().splitlines()) == 3


def test_last_good_skips_later_failures_and_carries_the_body(tmp_path):
    store = SnapshotStore(tmp_path)
    store.record(_outcome("ok", b"good"))
    store.record(_outcome("connection_error", None))

    last = store.last_good(URL)

    assert last is not None and last.body == b"good"
    assert store.last(URL).outcome == "connection_error"


def test_history_survives_reopening_the_store(tmp_path):
    SnapshotStore(tmp_path).record(_outcome("ok", b"kept"))

    reopened = SnapshotStore(tmp_path)

    assert reopened.last_good(URL).body == b"kept"
    assert reopened.urls() == [URL]


def test_a_torn_index_line_is_skipped_and_later_records_stay_readable(tmp_path):
    store = SnapshotStore(tmp_path)
    store.record(_outcome("ok", b"first"))
    with (tmp_path / "index.jsonl").open("a") as handle:
        handle.write('{"url": "http://torn')  # a crash mid-append

    reopened = SnapshotStore(tmp_path)
    reopened.record(_outcome("ok", b"second"))

    assert [o.body for o in SnapshotStore(tmp_path).history(URL, with_bodies=True)] == [b"first", b"second"]


def test_outcome_round_trips_through_the_index(tmp_path):
    store = SnapshotStore(tmp_path)
    original = _outcome("ok", b"body", headers_json='{"ETag": "\\"x\\""}', encoding="utf-8", attempts=2, changed=True)
    store.record(original)

    (restored,) = store.history(URL, with_bodies=True)

    assert restored == original


def test_refetch_sends_the_stored_etag_and_304_is_not_modified(server, make_fetcher, tmp_path):
    server.route("/doc", html("<p>v1</p>", ETag='"v1"'), Reply(304, headers={"ETag": '"v1"'}))
    store = SnapshotStore(tmp_path)
    fetcher = make_fetcher(store=store)

    first = fetcher.fetch(server.url("/doc"))
    second = fetcher.fetch(server.url("/doc"))

    assert first.outcome == "ok"
    assert second.outcome == "not_modified"
    assert second.changed is False
    assert second.previous_sha256 == first.sha256
    assert server.requests_for("/doc")[1].headers["If-None-Match"] == '"v1"'
    assert store.last_good(server.url("/doc")).body == b"<p>v1</p>"
    assert [o.outcome for o in store.history(server.url("/doc"))] == ["ok", "not_modified"]


def test_refetch_sends_if_modified_since_from_last_modified(server, make_fetcher, tmp_path):
    stamp = "Wed, 01 Oct 2026 00:00:00 GMT"
    server.route("/doc", html("<p>v1</p>", Last_Modified=stamp), Reply(304))
    fetcher = make_fetcher(store=SnapshotStore(tmp_path))

    fetcher.fetch(server.url("/doc"))
    fetcher.fetch(server.url("/doc"))

    assert server.requests_for("/doc")[1].headers["If-Modified-Since"] == stamp


def test_explicit_validators_override_the_store(server, make_fetcher, tmp_path):
    server.route("/doc", html("<p>v1</p>", ETag='"v1"'))
    fetcher = make_fetcher(store=SnapshotStore(tmp_path))
    fetcher.fetch(server.url("/doc"))

    fetcher.fetch(server.url("/doc"), etag='"mine"')

    assert server.requests_for("/doc")[1].headers["If-None-Match"] == '"mine"'


def test_changed_page_becomes_a_new_snapshot_marked_changed(server, make_fetcher, tmp_path):
    server.route("/doc", html("<p>in force</p>"), html("<p>repealed</p>"))
    store = SnapshotStore(tmp_path)
    fetcher = make_fetcher(store=store)

    first = fetcher.fetch(server.url("/doc"))
    second = fetcher.fetch(server.url("/doc"))

    assert first.changed is None and first.previous_sha256 is None
    assert second.changed is True
    assert second.previous_sha256 == first.sha256
    assert store.get(first.sha256) == b"<p>in force</p>"
    assert store.get(second.sha256) == b"<p>repealed</p>"


def test_unchanged_page_is_marked_not_changed(server, make_fetcher, tmp_path):
    server.route("/doc", html("<p>same</p>"))
    fetcher = make_fetcher(store=SnapshotStore(tmp_path))

    fetcher.fetch(server.url("/doc"))
    second = fetcher.fetch(server.url("/doc"))

    assert second.changed is False


def test_failures_are_recorded_too(server, make_fetcher, tmp_path):
    server.route("/doc", Reply(404, b"missing"))
    store = SnapshotStore(tmp_path)

    make_fetcher(store=store).fetch(server.url("/doc"))

    (recorded,) = store.history(server.url("/doc"), with_bodies=True)
    assert recorded.outcome == "not_found"
    assert recorded.body == b"missing"


def test_concurrent_records_all_land_in_the_index(tmp_path):
    import threading

    store = SnapshotStore(tmp_path)
    bodies = [f"<p>{n}</p>".encode() for n in range(40)]
    threads = [threading.Thread(target=store.record, args=(_outcome("ok", body, url=f"http://h/{n}"),)) for n, body in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    reopened = SnapshotStore(tmp_path)
    assert sorted(reopened.urls()) == sorted(f"http://h/{n}" for n in range(40))
    assert all(reopened.last_good(f"http://h/{n}").body == bodies[n] for n in range(40))
