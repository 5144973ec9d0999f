"""fetch_all (hosts in parallel, each host serial) and download (codesheets from a URL)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from atop_pipeline.sources.fetch import DownloadError, download, fetch_all, safe_file_name
from atop_pipeline.sources.store import SnapshotStore
from tests.sources.conftest import fast_settings
from tests.sources.server import LoopbackServer, Reply, closed_port, html

# Tests here use a loopback server; a hang must fail fast, not after the global 600 s.
pytestmark = pytest.mark.timeout(60)

PAGE = "<html><body>ok</body></html>"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_duplicate_urls_are_fetched_once_and_results_keep_input_order(server, make_fetcher):
    for name in ("a", "b"):
        server.route(f"/{name}", html(PAGE))
    urls = [server.url("/b"), server.url("/a"), server.url("/b")]

    outcomes = fetch_all(urls, make_fetcher())

    assert [o.url for o in outcomes] == [server.url("/b"), server.url("/a")]
    assert server.count("/b") == 1


def test_one_host_is_fetched_strictly_one_request_at_a_time(server, make_fetcher):
    for n in range(4):
        server.route(f"/doc/{n}", Reply(200, b"x", {"Content-Type": "text/plain"}, delay_s=0.05))

    outcomes = fetch_all([server.url(f"/doc/{n}") for n in range(4)], make_fetcher(fast_settings(min_interval_s=0.0)), max_workers=4)

    assert all(o.ok for o in outcomes)
    assert server.max_in_flight == 1


def test_different_hosts_are_fetched_concurrently(make_fetcher):
    # Each page answers only once the other host has also received its page request: a serial
    # fetcher would make the first one wait out the barrier and get a 503.
    barrier = threading.Barrier(2, timeout=10)

    def meet_the_other_host(request):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            return Reply(503, b"the other host was never contacted")
        return html(PAGE)

    with LoopbackServer() as first, LoopbackServer() as second:
        first.route("/page", meet_the_other_host)
        second.route("/page", meet_the_other_host)
        fetcher = make_fetcher(fast_settings(max_retries=0))

        outcomes = fetch_all([first.url("/page"), second.url("/page")], fetcher, max_workers=2)

    assert [o.outcome for o in outcomes] == ["ok", "ok"]


def test_a_dead_host_does_not_stop_the_others(server, make_fetcher):
    server.route("/page", html(PAGE))
    dead = closed_port()
    urls = [f"http://127.0.0.1:{dead}/{n}" for n in range(3)] + [server.url("/page")]

    outcomes = fetch_all(urls, make_fetcher())

    assert [o.outcome for o in outcomes] == ["connection_error", "host_down", "host_down", "ok"]


def test_download_keeps_the_bytes_under_a_hash_prefixed_name(server, make_fetcher, tmp_path):
    server.route("/sheets/6070.pdf", Reply(200, PDF, {"Content-Type": "application/pdf"}))

    path = download(server.url("/sheets/6070.pdf"), tmp_path / "inbox", make_fetcher())

    assert path.read_bytes() == PDF
    assert path.parent == (tmp_path / "inbox").resolve()
    assert path.name.endswith("-6070.pdf")


def test_download_of_a_hostile_path_stays_inside_the_destination(server, make_fetcher, tmp_path):
    server.route("/x/..%2F..%2F..%2Fevil.zip", Reply(200, b"PK\x05\x06" + bytes(18), {"Content-Type": "application/zip"}))
    dest = tmp_path / "inbox"

    path = download(server.url("/x/..%2F..%2F..%2Fevil.zip"), dest, make_fetcher())

    assert path.parent == dest.resolve()
    assert ".." not in path.name and "/" not in path.name


def test_download_failure_raises_naming_the_url(server, make_fetcher, tmp_path):
    server.route("/missing.zip", Reply(404))
    url = server.url("/missing.zip")

    with pytest.raises(DownloadError, match="missing.zip") as raised:
        download(url, tmp_path, make_fetcher())

    assert raised.value.outcome.outcome == "not_found"


def test_download_unchanged_on_the_server_reuses_the_stored_copy(server, make_fetcher, tmp_path):
    server.route("/sheets.zip", Reply(200, b"PK\x05\x06" + bytes(18), {"Content-Type": "application/zip", "ETag": '"z1"'}), Reply(304))
    fetcher = make_fetcher(store=SnapshotStore(tmp_path / "store"))

    first = download(server.url("/sheets.zip"), tmp_path / "inbox", fetcher)
    second = download(server.url("/sheets.zip"), tmp_path / "inbox", fetcher)

    assert first == second
    assert server.requests_for("/sheets.zip")[1].headers["If-None-Match"] == '"z1"'


@pytest.mark.parametrize(
    ("url", "expected_suffix"),
    [
        ("http://h/sheets/ATOP%206070.pdf", "-ATOP_6070.pdf"),
        ("http://h/", "-download"),
        ("http://h/a/..%2f..%2fpasswd", "-passwd"),
        ("http://h/get?id=7", "-get.pdf"),
    ],
)
def test_safe_file_name_is_sanitised(url, expected_suffix):
    name = safe_file_name(url, "ab" * 32, "application/pdf" if "get" in url else None)

    assert name.startswith("abababababababab-")
    assert name.endswith(expected_suffix)
    assert Path(name).name == name
