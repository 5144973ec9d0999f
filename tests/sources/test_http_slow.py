"""Slow-but-answering hosts: a body trickled one byte at a time is cut off at the response deadline,
recorded as a failure naming the URL and the deadline, never kept, and counted by the host's breaker."""

from __future__ import annotations

import pytest

from atop_pipeline.sources.fetch import fetch_all
from atop_pipeline.sources.http import TOO_SLOW, FetchSettings
from atop_pipeline.sources.store import SnapshotStore
from tests.sources.conftest import fast_settings
from tests.sources.server import LoopbackServer, Reply, html

# Each fetch here ends at a sub-second deadline; a hang must fail fast, not after the global 600 s.
pytestmark = pytest.mark.timeout(60)

PAGE = "<html><head><title>Закон</title></head><body><p>Текст</p></body></html>"
# Long enough that trickling it whole would take minutes: only a deadline ends the fetch.
TRICKLE = Reply(200, b"x" * 10_000, {"Content-Type": "text/html"}, trickle_s=0.05)


def slow_settings(**overrides: object) -> FetchSettings:
    """Fast settings with a short response deadline; the read timeout is longer than the gap between bytes."""
    values: dict[str, object] = dict(response_deadline_s=1.0, read_timeout_s=2.0, max_retries=0)
    values.update(overrides)
    return fast_settings(**values)


def test_a_trickling_body_is_cut_off_at_the_response_deadline(server, make_fetcher):
    server.route("/slow", TRICKLE)
    url = server.url("/slow")

    outcome = make_fetcher(slow_settings()).fetch(url)

    assert outcome.outcome == "timeout"
    assert outcome.body is None and outcome.sha256 is None
    message = outcome.error_message or ""
    assert message.startswith(TOO_SLOW)
    assert url in message and "response deadline of 1 s" in message


def test_the_url_deadline_also_cuts_a_trickling_body_when_it_comes_first(server, make_fetcher):
    server.route("/slow", TRICKLE)

    outcome = make_fetcher(slow_settings(response_deadline_s=60.0, total_deadline_s=1.5)).fetch(server.url("/slow"))

    assert outcome.outcome == "timeout"
    assert (outcome.error_message or "").startswith(TOO_SLOW)
    assert "total deadline of 1.5 s" in (outcome.error_message or "")


def test_a_body_that_arrives_within_the_deadline_is_kept_whole(server, make_fetcher):
    body = b"<html><body>" + b"y" * 20 + b"</body></html>"
    server.route("/short", Reply(200, body, {"Content-Type": "text/html"}, trickle_s=0.001))

    outcome = make_fetcher(slow_settings(response_deadline_s=20.0)).fetch(server.url("/short"))

    assert outcome.outcome == "ok"
    assert outcome.body == body


def test_a_byte_just_inside_the_read_timeout_cannot_stretch_the_deadline(server, make_fetcher):
    # One byte, then the next only after 20 s: within the 30 s read timeout, far beyond the 1 s
    # deadline. The wait for that byte is cut at the deadline instead of lasting a whole read timeout.
    server.route("/slow", Reply(200, b"xx", {"Content-Type": "text/html"}, trickle_s=20.0))
    settings = slow_settings(response_deadline_s=1.0, read_timeout_s=30.0)

    outcome = make_fetcher(settings).fetch(server.url("/slow"))

    assert outcome.outcome == "timeout"
    assert "response deadline of 1 s" in (outcome.error_message or "")
    assert outcome.elapsed_s < 10.0  # the recorded duration: bounded by the deadline, not the 20 s gap


def test_a_slow_refetch_keeps_the_last_good_snapshot_and_stores_nothing_partial(server, make_fetcher, tmp_path):
    store = SnapshotStore(tmp_path / "snapshots")
    server.route("/page", html(PAGE))
    url = server.url("/page")
    fetcher = make_fetcher(slow_settings(), store=store)
    first = fetcher.fetch(url)
    server.route("/page", TRICKLE)

    second = fetcher.fetch(url)

    assert first.outcome == "ok" and second.outcome == "timeout"
    assert second.previous_sha256 == first.sha256 and second.sha256 is None
    last_good = store.last_good(url)
    assert last_good is not None and last_good.body == PAGE.encode("utf-8")
    assert [o.outcome for o in store.history(url)] == ["ok", "timeout"]
    assert len(list(store.root.glob("*/*.bin"))) == 1  # only the good body was ever stored


def test_a_trickling_host_opens_the_breaker_and_its_other_urls_are_skipped(server, make_fetcher):
    for n in range(6):
        server.route(f"/slow/{n}", TRICKLE)
    urls = [server.url(f"/slow/{n}") for n in range(6)]
    fetcher = make_fetcher(slow_settings(circuit_breaker_failures=2))

    outcomes = [fetcher.fetch(url) for url in urls]

    assert [o.outcome for o in outcomes] == ["timeout", "timeout"] + ["host_down"] * 4
    assert all((o.error_message or "").startswith(TOO_SLOW) for o in outcomes[:2])
    skipped = outcomes[2:]
    assert all("circuit breaker" in (o.error_message or "") and TOO_SLOW in (o.error_message or "") for o in skipped)
    assert all(o.attempts == 0 for o in skipped)
    assert [server.count(f"/slow/{n}") for n in range(6)] == [1, 1, 0, 0, 0, 0]
    assert fetcher.is_host_down(urls[0])


def test_a_body_that_stalls_after_the_headers_counts_against_the_host(server, make_fetcher):
    # The headers come at once and then one byte, then nothing: the read timeout ends each fetch.
    # Headers alone must not reset the breaker's count, or such a host would never be cut off.
    for n in range(4):
        server.route(f"/stall/{n}", Reply(200, b"xx", {"Content-Type": "text/html"}, trickle_s=30.0))
    fetcher = make_fetcher(slow_settings(read_timeout_s=0.5, response_deadline_s=20.0, circuit_breaker_failures=2))

    outcomes = [fetcher.fetch(server.url(f"/stall/{n}")) for n in range(4)]

    assert [o.outcome for o in outcomes] == ["timeout", "timeout", "host_down", "host_down"]
    assert server.count("/stall/2") == 0


def test_a_complete_answer_still_resets_the_breaker_count(server, make_fetcher):
    # slow, good, slow, good...: never two failures in a row, so a breaker of 2 stays closed.
    server.route("/slow", TRICKLE)
    server.route("/good", html(PAGE))
    fetcher = make_fetcher(slow_settings(circuit_breaker_failures=2))

    outcomes = [fetcher.fetch(server.url(path)) for path in ("/slow", "/good", "/slow", "/good")]

    assert [o.outcome for o in outcomes] == ["timeout", "ok", "timeout", "ok"]
    assert not fetcher.is_host_down(server.url("/good"))


def test_a_trickling_host_does_not_hold_up_the_rest_of_the_batch(server, make_fetcher):
    server.route("/page", html(PAGE))
    with LoopbackServer() as slow:
        for n in range(5):
            slow.route(f"/slow/{n}", TRICKLE)
        urls = [slow.url(f"/slow/{n}") for n in range(5)] + [server.url("/page")]

        outcomes = fetch_all(urls, make_fetcher(slow_settings(circuit_breaker_failures=2)))

    assert [o.url for o in outcomes] == urls
    assert [o.outcome for o in outcomes] == ["timeout", "timeout", "host_down", "host_down", "host_down", "ok"]


def test_a_trickling_robots_txt_counts_against_the_host(server, make_fetcher):
    server.route("/robots.txt", Reply(200, b"User-agent: *\n" * 1000, {"Content-Type": "text/plain"}, trickle_s=0.05))
    server.route("/page", html(PAGE))
    fetcher = make_fetcher(slow_settings(circuit_breaker_failures=2))

    outcomes = [fetcher.fetch(server.url("/page")) for _ in range(3)]

    assert [o.outcome for o in outcomes] == ["timeout", "timeout", "host_down"]
    assert "robots.txt" in (outcomes[0].error_message or "") and TOO_SLOW in (outcomes[0].error_message or "")
    assert server.count("/page") == 0


def test_the_response_deadline_is_read_from_the_environment():
    settings = FetchSettings.from_env({"ATOP_HTTP_RESPONSE_DEADLINE_S": "7.5"})

    assert settings.response_deadline_s == 7.5
    assert FetchSettings().response_deadline_s == 60.0


def test_trickled_response_headers_are_cut_off_too(server, make_fetcher):
    # http.client would read a 64 KiB header line a byte at a time, each read within the read timeout.
    server.route("/slow", Reply(trickle_headers_s=0.05))
    url = server.url("/slow")

    outcome = make_fetcher(slow_settings()).fetch(url)

    assert outcome.outcome == "timeout"
    message = outcome.error_message or ""
    assert message.startswith(TOO_SLOW) and url in message and "response deadline of 1 s" in message
    assert outcome.status_code is None and outcome.body is None


def test_hosts_trickling_headers_open_the_breaker(server, make_fetcher):
    for n in range(4):
        server.route(f"/slow/{n}", Reply(trickle_headers_s=0.05))
    fetcher = make_fetcher(slow_settings(circuit_breaker_failures=2, max_retries=2))

    outcomes = [fetcher.fetch(server.url(f"/slow/{n}")) for n in range(4)]

    assert [o.outcome for o in outcomes] == ["timeout", "timeout", "host_down", "host_down"]
    assert [server.count(f"/slow/{n}") for n in range(4)] == [1, 1, 0, 0]  # never retried


def test_trickled_headers_through_tls_are_cut_off_too(tmp_path, make_fetcher):
    from tests.sources.tls import bundle, issue_server, make_root

    root = make_root(tmp_path / "pki")
    identity = issue_server(root, tmp_path / "pki")
    with LoopbackServer(ssl_context=identity.context()) as tls_server:
        tls_server.route("/slow", Reply(trickle_headers_s=0.05))
        settings = slow_settings(ca_bundle=str(bundle(tmp_path / "pki", root)))

        outcome = make_fetcher(settings).fetch(tls_server.url("/slow"))

    assert outcome.outcome == "timeout"
    assert (outcome.error_message or "").startswith(TOO_SLOW)


@pytest.mark.parametrize("reply", [TRICKLE, Reply(trickle_headers_s=0.05)], ids=["body", "headers"])
def test_a_trickling_answer_through_a_proxy_is_cut_off_too(monkeypatch, make_fetcher, reply):
    target = "http://treaty.invalid/slow"
    with LoopbackServer(routes={target: reply}) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.base_url)

        # The target is never resolved here (the proxy is asked for it): a lookup would fail the test.
        fetcher = make_fetcher(slow_settings(allow_private_addresses=False), resolver=_no_lookups)

        outcome = fetcher.fetch(target)

    assert outcome.fetched_via == "proxy"
    assert outcome.outcome == "timeout"
    assert (outcome.error_message or "").startswith(TOO_SLOW) and target in (outcome.error_message or "")


def _no_lookups(host, port, *args, **kwargs):
    raise AssertionError(f"{host} must not be resolved: the proxy resolves proxied targets")
