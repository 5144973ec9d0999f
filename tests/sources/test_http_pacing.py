"""Per-host politeness (interval between request starts, Crawl-delay) and the circuit breaker."""

from __future__ import annotations

import pytest

from atop_pipeline.sources.http import FetchSettings
from tests.sources.conftest import fast_settings
from tests.sources.server import Reply, closed_port, html

# Tests here use a loopback server; a hang must fail fast, not after the global 600 s.
pytestmark = pytest.mark.timeout(60)

PAGE = "<html><body>ok</body></html>"


def _starts(fetcher) -> list[float]:
    return [t for _, _, t in fetcher.request_starts]


def test_default_interval_spaces_request_starts_exactly_with_a_fake_clock(server, make_fetcher, fake_clock):
    for name in ("a", "b", "c"):
        server.route(f"/{name}", html(PAGE))
    settings = fast_settings(min_interval_s=FetchSettings().min_interval_s)  # the real default, 3 s
    fetcher = make_fetcher(settings, clock=fake_clock, sleep=fake_clock.sleep)

    for name in ("a", "b", "c"):
        fetcher.fetch(server.url(f"/{name}"))

    starts = _starts(fetcher)  # robots.txt, /a, /b, /c
    assert len(starts) == 4
    assert [round(b - a, 9) for a, b in zip(starts, starts[1:])] == [3.0, 3.0, 3.0]


def test_retries_count_as_request_starts_for_the_interval(server, make_fetcher, fake_clock):
    server.route("/page", Reply(500), html(PAGE))
    fetcher = make_fetcher(fast_settings(min_interval_s=3.0), clock=fake_clock, sleep=fake_clock.sleep)

    outcome = fetcher.fetch(server.url("/page"))

    assert outcome.outcome == "ok"
    starts = _starts(fetcher)
    assert [round(b - a, 9) for a, b in zip(starts, starts[1:])] == [3.0, 3.0]


def test_redirect_hops_count_as_request_starts_for_the_interval(server, make_fetcher, fake_clock):
    server.route("/old", Reply(301, headers={"Location": "/new"}))
    server.route("/new", html(PAGE))
    fetcher = make_fetcher(fast_settings(min_interval_s=2.0), clock=fake_clock, sleep=fake_clock.sleep)

    fetcher.fetch(server.url("/old"))

    starts = _starts(fetcher)
    assert [round(b - a, 9) for a, b in zip(starts, starts[1:])] == [2.0, 2.0]


def test_interval_is_honoured_in_real_time_against_the_server(server, make_fetcher):
    interval = 0.3
    for name in ("a", "b", "c"):
        server.route(f"/{name}", html(PAGE))
    fetcher = make_fetcher(fast_settings(min_interval_s=interval))

    for name in ("a", "b", "c"):
        fetcher.fetch(server.url(f"/{name}"))

    # The fetcher's own real-clock record of request starts (arrival times at the server can bunch up
    # on a loaded machine, so they are not asserted on): every start waited the whole interval.
    starts = [t for _, _, t in fetcher.request_starts]
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert len(gaps) == 3
    assert min(gaps) >= interval
    assert [r.path for r in server.requests] == ["/robots.txt", "/a", "/b", "/c"]


def test_robots_crawl_delay_raises_the_host_interval(server, make_fetcher, fake_clock):
    server.route("/robots.txt", Reply(200, b"User-agent: *\nCrawl-delay: 7\n", {"Content-Type": "text/plain"}))
    server.route("/a", html(PAGE))
    server.route("/b", html(PAGE))
    fetcher = make_fetcher(fast_settings(min_interval_s=1.0), clock=fake_clock, sleep=fake_clock.sleep)

    fetcher.fetch(server.url("/a"))
    fetcher.fetch(server.url("/b"))

    starts = _starts(fetcher)
    assert round(starts[2] - starts[1], 9) == 7.0


def test_huge_crawl_delay_is_clamped_so_a_run_stays_bounded(server, make_fetcher, fake_clock):
    server.route("/robots.txt", Reply(200, b"User-agent: *\nCrawl-delay: 86400\n"))
    server.route("/a", html(PAGE))
    server.route("/b", html(PAGE))
    settings = fast_settings(min_interval_s=1.0, max_crawl_delay_s=30.0, total_deadline_s=100.0)
    fetcher = make_fetcher(settings, clock=fake_clock, sleep=fake_clock.sleep)

    fetcher.fetch(server.url("/a"))
    fetcher.fetch(server.url("/b"))

    starts = _starts(fetcher)
    assert round(starts[2] - starts[1], 9) == 30.0


def test_refused_connections_open_the_breaker_and_later_urls_are_host_down(make_fetcher):
    port = closed_port()
    fetcher = make_fetcher(fast_settings(circuit_breaker_failures=3, max_retries=4))
    urls = [f"http://127.0.0.1:{port}/doc/{n}" for n in range(5)]

    outcomes = [fetcher.fetch(url) for url in urls]

    assert outcomes[0].outcome == "connection_error"
    assert "circuit breaker" in (outcomes[0].error_message or "")
    assert [o.outcome for o in outcomes[1:]] == ["host_down"] * 4
    assert all(o.attempts == 0 for o in outcomes[1:])
    # 3 refused connects opened the breaker; nothing was tried after that.
    assert len(fetcher.request_starts) == 3
    assert fetcher.is_host_down(urls[0])


def test_breaker_is_per_host(server, make_fetcher):
    server.route("/page", html(PAGE))
    port = closed_port()
    fetcher = make_fetcher(fast_settings(circuit_breaker_failures=1))

    dead = fetcher.fetch(f"http://127.0.0.1:{port}/x")
    alive = fetcher.fetch(server.url("/page"))

    assert dead.outcome == "connection_error"
    assert alive.outcome == "ok"


def test_dns_failures_count_towards_the_breaker(make_fetcher):
    calls = []

    def failing(host, port, *args, **kwargs):
        import socket

        calls.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    fetcher = make_fetcher(fast_settings(circuit_breaker_failures=2), resolver=failing)

    outcomes = [fetcher.fetch(f"http://adilet.zan.kz/rus/docs/Z{n}") for n in range(4)]

    assert [o.outcome for o in outcomes] == ["offline", "offline", "host_down", "host_down"]
    assert len(calls) == 2


def test_a_success_resets_the_consecutive_failure_count(server, make_fetcher):
    # Two separate failures with a success between them must not open a breaker of 2.
    server.route("/page", html(PAGE))
    fetcher = make_fetcher(fast_settings(circuit_breaker_failures=2))
    key = f"127.0.0.1:{server.port}"

    fetcher._record_connect_failure(key, "simulated")
    fetcher.fetch(server.url("/page"))
    fetcher._record_connect_failure(key, "simulated")

    assert not fetcher.is_host_down(server.url("/page"))


@pytest.mark.parametrize("failures", [1, 2])
def test_breaker_threshold_is_configurable(make_fetcher, failures):
    port = closed_port()
    fetcher = make_fetcher(fast_settings(circuit_breaker_failures=failures, max_retries=4))

    fetcher.fetch(f"http://127.0.0.1:{port}/x")

    assert len(fetcher.request_starts) == failures


def test_a_host_that_accepts_but_never_answers_is_marked_down(server, make_fetcher):
    server.route("/a", Reply(hang=True))
    server.route("/b", html(PAGE))
    settings = fast_settings(read_timeout_s=0.2, max_retries=4, circuit_breaker_failures=2)
    fetcher = make_fetcher(settings)

    first = fetcher.fetch(server.url("/a"))
    second = fetcher.fetch(server.url("/b"))

    assert first.outcome == "timeout"
    assert first.attempts == 2
    assert second.outcome == "host_down"
    assert server.count("/b") == 0


def test_an_offline_machine_stops_trying_after_a_few_failed_lookups(make_fetcher):
    import socket

    lookups = []

    def no_network(host, port, *args, **kwargs):
        lookups.append(host)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    fetcher = make_fetcher(fast_settings(circuit_breaker_failures=3), resolver=no_network)

    outcomes = [fetcher.fetch(f"http://host{n}.example/doc") for n in range(10)]

    assert {o.outcome for o in outcomes} == {"offline"}
    assert len(lookups) == 3
    assert "network unreachable" in (outcomes[-1].error_message or "")


def test_unknown_names_on_different_hosts_do_not_declare_the_network_down(make_fetcher):
    import socket

    def no_such_name(host, port, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    fetcher = make_fetcher(fast_settings(circuit_breaker_failures=2), resolver=no_such_name)

    outcomes = [fetcher.fetch(f"http://host{n}.example/doc") for n in range(4)]

    assert all("network unreachable" not in (o.error_message or "") for o in outcomes)


def test_repeated_server_errors_back_off_exponentially(server, make_fetcher, fake_clock):
    server.route("/page", Reply(500), Reply(500), Reply(500), html(PAGE))
    settings = fast_settings(min_interval_s=0.5, backoff_factor=1.0, max_retries=3)
    fetcher = make_fetcher(settings, clock=fake_clock, sleep=fake_clock.sleep)

    outcome = fetcher.fetch(server.url("/page"))

    assert outcome.outcome == "ok"
    page_starts = [t for _, url, t in fetcher.request_starts if url.endswith("/page")]
    # urllib3: no backoff after the first error, then factor * 2**(n-1); never below the interval.
    assert [round(b - a, 9) for a, b in zip(page_starts, page_starts[1:])] == [0.5, 2.0, 4.0]
