"""PoliteFetcher against a misbehaving loopback server: robots, retries, timeouts, caps, redirects."""

from __future__ import annotations

import gzip
import hashlib
import json
import tracemalloc
import zlib

import pytest

from atop_pipeline.sources.http import FetchSettings
from tests.sources.conftest import fast_settings
from tests.sources.server import LoopbackServer, Reply, html

# Tests here use a loopback server; a hang must fail fast, not after the global 600 s.
pytestmark = pytest.mark.timeout(60)

PAGE = "<html><head><title>Закон</title></head><body><h1>О ратификации</h1></body></html>"


def test_page_disallowed_by_robots_is_recorded_and_never_requested(server, make_fetcher):
    server.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /rus/\n", {"Content-Type": "text/plain"}))
    server.route("/rus/docs/Z1400000246", html(PAGE))

    outcome = make_fetcher().fetch(server.url("/rus/docs/Z1400000246"))

    assert outcome.outcome == "robots_disallowed"
    assert "robots.txt" in (outcome.error_message or "")
    assert server.count("/rus/docs/Z1400000246") == 0


def test_robots_group_for_our_token_is_applied(server, make_fetcher):
    robots = b"User-agent: atop-pipeline\nDisallow: /private\n\nUser-agent: *\nDisallow: /\n"
    server.route("/robots.txt", Reply(200, robots, {"Content-Type": "text/plain"}))
    server.route("/public", html(PAGE))
    fetcher = make_fetcher()

    assert fetcher.fetch(server.url("/public")).outcome == "ok"
    assert fetcher.fetch(server.url("/private/x")).outcome == "robots_disallowed"


def test_robots_txt_is_fetched_once_per_host(server, make_fetcher):
    server.route("/a", html(PAGE))
    server.route("/b", html(PAGE))
    fetcher = make_fetcher()

    fetcher.fetch(server.url("/a"))
    fetcher.fetch(server.url("/b"))

    assert server.count("/robots.txt") == 1


@pytest.mark.parametrize("status", [401, 403])
def test_robots_forbidden_means_disallow_all(server, make_fetcher, status):
    server.route("/robots.txt", Reply(status))
    server.route("/page", html(PAGE))

    outcome = make_fetcher().fetch(server.url("/page"))

    assert outcome.outcome == "robots_disallowed"
    assert server.count("/page") == 0


def test_robots_server_error_means_no_crawling_this_run(server, make_fetcher):
    server.route("/robots.txt", Reply(503))
    server.route("/page", html(PAGE))

    outcome = make_fetcher(fast_settings(max_retries=0)).fetch(server.url("/page"))

    assert outcome.outcome == "robots_disallowed"
    assert "503" in (outcome.error_message or "")
    assert server.count("/page") == 0


def test_missing_robots_allows_everything(server, make_fetcher):
    server.route("/page", html(PAGE))

    assert make_fetcher().fetch(server.url("/page")).outcome == "ok"


def test_robots_can_be_switched_off(server, make_fetcher):
    server.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /\n"))
    server.route("/page", html(PAGE))

    outcome = make_fetcher(fast_settings(respect_robots=False)).fetch(server.url("/page"))

    assert outcome.outcome == "ok"
    assert server.count("/robots.txt") == 0


def test_429_with_retry_after_is_retried_after_the_requested_wait(server, make_fetcher, fake_clock):
    server.route("/page", Reply(429, b"slow down", {"Retry-After": "1"}), html(PAGE))
    fetcher = make_fetcher(clock=fake_clock, sleep=fake_clock.sleep)

    outcome = fetcher.fetch(server.url("/page"))

    assert outcome.outcome == "ok"
    assert outcome.attempts == 2
    page_starts = [t for _, url, t in fetcher.request_starts if url.endswith("/page")]
    assert page_starts[1] - page_starts[0] == pytest.approx(1.0)


def test_retry_after_longer_than_the_cap_is_capped(server, make_fetcher, fake_clock):
    server.route("/page", Reply(503, b"", {"Retry-After": "3600"}), html(PAGE))
    fetcher = make_fetcher(fast_settings(retry_after_cap_s=2.0), clock=fake_clock, sleep=fake_clock.sleep)

    outcome = fetcher.fetch(server.url("/page"))

    assert outcome.outcome == "ok"
    assert max(fake_clock.sleeps) == pytest.approx(2.0)


def test_server_error_then_success_is_ok(server, make_fetcher):
    server.route("/page", Reply(500, b"oops"), html(PAGE))

    outcome = make_fetcher().fetch(server.url("/page"))

    assert outcome.outcome == "ok"
    assert outcome.attempts == 2
    assert server.count("/page") == 2


def test_persistent_server_error_is_http_error_after_all_retries(server, make_fetcher):
    server.route("/page", Reply(502, b"bad gateway"))

    outcome = make_fetcher(fast_settings(max_retries=2)).fetch(server.url("/page"))

    assert outcome.outcome == "http_error"
    assert outcome.status_code == 502
    assert server.count("/page") == 3
    assert outcome.attempts == 3


def test_404_is_not_found_and_not_retried(server, make_fetcher):
    server.route("/gone", Reply(404, b"no such document"))

    outcome = make_fetcher().fetch(server.url("/gone"))

    assert outcome.outcome == "not_found"
    assert outcome.status_code == 404
    assert server.count("/gone") == 1


def test_other_client_error_is_http_error_and_not_retried(server, make_fetcher):
    server.route("/bad", Reply(400, b"bad request"))

    outcome = make_fetcher().fetch(server.url("/bad"))

    assert outcome.outcome == "http_error"
    assert server.count("/bad") == 1


def test_response_slower_than_read_timeout_is_timeout_after_retries(server, make_fetcher):
    server.route("/slow", Reply(200, b"late", delay_s=5.0))

    outcome = make_fetcher(fast_settings(read_timeout_s=0.3, max_retries=1)).fetch(server.url("/slow"))

    assert outcome.outcome == "timeout"
    assert outcome.attempts == 2
    assert server.count("/slow") == 2


def test_server_that_never_answers_is_timeout_not_a_hang(server, make_fetcher):
    server.route("/silent", Reply(hang=True))

    outcome = make_fetcher(fast_settings(read_timeout_s=0.3, max_retries=1)).fetch(server.url("/silent"))

    assert outcome.outcome == "timeout"
    assert outcome.body is None


def test_total_deadline_stops_retries_that_would_overrun_it(server, make_fetcher, fake_clock):
    server.route("/page", Reply(503, b"", {"Retry-After": "50"}), html(PAGE))
    settings = fast_settings(retry_after_cap_s=60.0, total_deadline_s=10.0)
    fetcher = make_fetcher(settings, clock=fake_clock, sleep=fake_clock.sleep)

    outcome = fetcher.fetch(server.url("/page"))

    assert outcome.outcome == "timeout"
    assert "deadline" in (outcome.error_message or "")
    assert server.count("/page") == 1


def test_declared_oversize_body_is_too_large(server, make_fetcher):
    server.route("/big", Reply(200, b"x" * 5000, {"Content-Type": "text/plain"}))

    outcome = make_fetcher(fast_settings(max_bytes=1000)).fetch(server.url("/big"))

    assert outcome.outcome == "too_large"
    assert outcome.body is None
    assert outcome.sha256 is None


def test_undeclared_oversize_body_is_too_large(server, make_fetcher):
    server.route("/big", Reply(200, b"x" * 5000, {"Content-Type": "text/plain"}, send_content_length=False))

    outcome = make_fetcher(fast_settings(max_bytes=1000)).fetch(server.url("/big"))

    assert outcome.outcome == "too_large"
    assert outcome.body is None


def _gzip_bomb(decompressed_size: int) -> bytes:
    """A gzip stream of ``decompressed_size`` zero bytes, built without holding them in memory."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31 -> gzip container
    block = bytes(1 << 20)
    parts = [compressor.compress(block) for _ in range(decompressed_size // len(block))]
    parts.append(compressor.flush())
    return b"".join(parts)


def test_gzip_bomb_is_too_large_without_inflating_it(server, make_fetcher):
    bomb = _gzip_bomb(256 << 20)  # 256 MiB of zeros in a few hundred KiB
    server.route("/bomb", Reply(200, bomb, {"Content-Type": "text/html", "Content-Encoding": "gzip"}))
    fetcher = make_fetcher(fast_settings(max_bytes=1 << 20))

    tracemalloc.start()
    try:
        outcome = fetcher.fetch(server.url("/bomb"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert outcome.outcome == "too_large"
    assert peak < 32 << 20  # far below the 256 MiB the bomb inflates to


def test_gzip_encoded_page_is_decoded(server, make_fetcher):
    server.route("/gz", Reply(200, gzip.compress(PAGE.encode()), {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}))

    outcome = make_fetcher().fetch(server.url("/gz"))

    assert outcome.outcome == "ok"
    assert outcome.body == PAGE.encode()


def test_unexpected_content_type_is_recorded_with_its_body(server, make_fetcher):
    server.route("/img", Reply(200, b"\x89PNG....", {"Content-Type": "image/png"}))

    outcome = make_fetcher().fetch(server.url("/img"))

    assert outcome.outcome == "bad_content_type"
    assert outcome.body == b"\x89PNG...."
    assert outcome.content_type == "image/png"


def test_redirect_is_followed_and_final_url_recorded(server, make_fetcher):
    server.route("/rus/docs/Z1", Reply(301, headers={"Location": "/rus/docs/Z1/"}))
    server.route("/rus/docs/Z1/", html(PAGE))

    outcome = make_fetcher().fetch(server.url("/rus/docs/Z1"))

    assert outcome.outcome == "ok"
    assert outcome.url == server.url("/rus/docs/Z1")
    assert outcome.final_url == server.url("/rus/docs/Z1/")


def test_redirect_loop_is_recorded_as_redirect_loop(server, make_fetcher):
    server.route("/a", Reply(302, headers={"Location": "/b"}))
    server.route("/b", Reply(302, headers={"Location": "/a"}))

    outcome = make_fetcher().fetch(server.url("/a"))

    assert outcome.outcome == "redirect_loop"
    assert server.count("/a") == 1


def test_redirect_chain_longer_than_the_limit_is_too_many_redirects(server, make_fetcher):
    for n in range(10):
        server.route(f"/r{n}", Reply(302, headers={"Location": f"/r{n + 1}"}))

    outcome = make_fetcher(fast_settings(max_redirects=3)).fetch(server.url("/r0"))

    assert outcome.outcome == "too_many_redirects"
    assert server.count("/r4") == 0


def test_identifying_headers_are_sent(server, make_fetcher):
    server.route("/page", html(PAGE))
    settings = fast_settings(contact="treaties@example.net")

    make_fetcher(settings).fetch(server.url("/page"))

    sent = server.requests_for("/page")[0].headers
    assert "atop-pipeline" in sent["User-Agent"] and "mailto:treaties@example.net" in sent["User-Agent"]
    assert sent["User-Agent"].startswith("Mozilla/5.0 (compatible;")
    assert sent["Accept-Language"].startswith("ru")


def test_ok_outcome_carries_body_hash_headers_and_timestamps(server, make_fetcher):
    server.route("/page", html(PAGE, ETag='"v1"'))

    outcome = make_fetcher().fetch(server.url("/page"))

    assert outcome.ok
    assert outcome.sha256 == hashlib.sha256(PAGE.encode()).hexdigest()
    assert outcome.size == len(PAGE.encode())
    assert json.loads(outcome.headers_json)["ETag"] == '"v1"'
    assert outcome.fetched_at.tzinfo is not None and outcome.fetched_at.utcoffset().total_seconds() == 0
    assert outcome.fetched_via == "direct"
    assert len(outcome.snapshot_id) == 32


def test_a_bad_url_is_an_outcome_not_an_exception(make_fetcher):
    outcome = make_fetcher().fetch("not a url at all")

    assert outcome.outcome == "scheme_refused"


def test_settings_user_agent_is_built_from_contact():
    settings = FetchSettings(contact="me@example.org")

    assert settings.user_agent.endswith("mailto:me@example.org)")


def test_settings_from_env_reads_prefixed_variables(monkeypatch):
    monkeypatch.setenv("ATOP_HTTP_MIN_INTERVAL_S", "1.5")
    monkeypatch.setenv("ATOP_HTTP_ALLOWED_NETWORKS", "127.0.0.0/8, 10.0.0.0/8")
    monkeypatch.setenv("ATOP_HTTP_RESPECT_ROBOTS", "false")
    monkeypatch.setenv("ATOP_HTTP_CONTACT", "ops@example.org")

    settings = FetchSettings.from_env()

    assert settings.min_interval_s == 1.5
    assert settings.allowed_networks == ("127.0.0.0/8", "10.0.0.0/8")
    assert settings.respect_robots is False
    assert "mailto:ops@example.org" in settings.user_agent


def test_settings_from_env_rejects_malformed_values_naming_the_variable(monkeypatch):
    monkeypatch.setenv("ATOP_HTTP_MAX_RETRIES", "many")

    with pytest.raises(ValueError, match="ATOP_HTTP_MAX_RETRIES"):
        FetchSettings.from_env()


def test_loopback_server_records_absolute_form_requests_as_proxy():
    # The helper itself: used as a proxy, the route key is the absolute URL.
    with LoopbackServer(routes={"http://example.invalid/x": Reply(200, b"via proxy")}) as proxy:
        import requests

        response = requests.get("http://example.invalid/x", proxies={"http": proxy.base_url}, timeout=5)

    assert response.content == b"via proxy"
    assert proxy.requests[0].request_line == "GET http://example.invalid/x HTTP/1.1"
