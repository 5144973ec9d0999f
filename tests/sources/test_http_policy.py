"""Address and scheme policy, on every hop, and proxies from the environment."""

from __future__ import annotations

import socket

import pytest

from atop_pipeline.sources.addresses import AddressPolicy, check_address, check_url, host_key, proxy_for
from tests.sources.conftest import fast_settings
from tests.sources.server import LoopbackServer, Reply, html

# Tests here use a loopback server; a hang must fail fast, not after the global 600 s.
pytestmark = pytest.mark.timeout(60)

PAGE = "<html><body><h1>Договор</h1></body></html>"
ONLY_127 = dict(allow_private_addresses=False, allowed_networks=("127.0.0.0/8",))


def _resolver_returning(*addresses: str):
    """A getaddrinfo stand-in answering the given addresses for any host."""

    def resolve(host, port, *args, **kwargs):
        family = socket.AF_INET6 if ":" in addresses[0] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    return resolve


def _failing_resolver(host, port, *args, **kwargs):
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def test_redirect_to_file_scheme_is_refused(server, make_fetcher):
    server.route("/doc", Reply(302, headers={"Location": "file:///etc/passwd"}))

    outcome = make_fetcher().fetch(server.url("/doc"))

    assert outcome.outcome == "scheme_refused"
    assert outcome.final_url == "file:///etc/passwd"
    assert outcome.body is None


def test_redirect_to_link_local_metadata_address_is_refused(server, make_fetcher):
    server.route("/doc", Reply(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}))

    outcome = make_fetcher(fast_settings(**ONLY_127)).fetch(server.url("/doc"))

    assert outcome.outcome == "address_refused"
    assert "169.254.169.254" in (outcome.error_message or "")


def test_redirect_to_loopback_is_refused_when_only_another_address_is_allowed(make_fetcher):
    with LoopbackServer(host="127.0.0.2") as allowed, LoopbackServer() as internal:
        internal.route("/secret", html("secret"))
        allowed.route("/doc", Reply(302, headers={"Location": internal.url("/secret")}))
        settings = fast_settings(allow_private_addresses=False, allowed_networks=("127.0.0.2/32",))

        outcome = make_fetcher(settings).fetch(allowed.url("/doc"))

        assert outcome.outcome == "address_refused"
        assert internal.count("/secret") == 0


def test_loopback_target_is_refused_by_default(server, make_fetcher):
    server.route("/doc", html(PAGE))

    outcome = make_fetcher(fast_settings(allow_private_addresses=False)).fetch(server.url("/doc"))

    assert outcome.outcome == "address_refused"
    assert server.requests == []


def test_non_http_scheme_is_refused_without_any_request(make_fetcher):
    outcome = make_fetcher().fetch("ftp://example.org/treaty.pdf")

    assert outcome.outcome == "scheme_refused"
    assert outcome.attempts == 0


def test_unresolvable_host_is_offline_not_an_exception(make_fetcher):
    fetcher = make_fetcher(resolver=_failing_resolver)

    outcome = fetcher.fetch("http://adilet.zan.kz/rus/docs/Z1400000246")

    assert outcome.outcome == "offline"
    assert "resolve" in (outcome.error_message or "")


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "192.168.0.1", "172.16.5.5", "169.254.169.254", "0.0.0.0", "224.0.0.1",
     "100.64.0.1", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "240.0.0.1"],
)
def test_non_public_addresses_are_refused(address):
    assert check_address(address, AddressPolicy()) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700:4700::1111", "::ffff:93.184.215.14"])
def test_public_addresses_are_allowed(address):
    assert check_address(address, AddressPolicy()) is None


def test_allowed_network_admits_only_that_network():
    policy = AddressPolicy(allowed_networks=("127.0.0.0/8",))

    assert check_address("127.0.0.5", policy) is None
    assert check_address("::ffff:127.0.0.5", policy) is None
    assert check_address("169.254.169.254", policy) is not None
    assert check_address("10.0.0.1", policy) is not None


def test_a_host_with_any_private_record_is_refused():
    decision = check_url("http://mixed.example/", AddressPolicy(), resolver=_resolver_returning("93.184.215.14", "10.0.0.1"))

    assert decision.outcome == "address_refused"


def test_a_host_resolving_to_public_addresses_is_allowed():
    decision = check_url("https://treaties.example/x", AddressPolicy(), resolver=_resolver_returning("93.184.215.14"))

    assert decision.allowed
    assert decision.via == "direct"


def test_host_key_uses_default_ports_and_lowercases():
    assert host_key("http://Adilet.ZAN.kz/rus") == "adilet.zan.kz:80"
    assert host_key("https://adilet.zan.kz/rus") == "adilet.zan.kz:443"
    assert host_key("http://127.0.0.1:8080/") == "127.0.0.1:8080"


def test_proxy_env_carries_unresolvable_target_through_the_proxy(monkeypatch, make_fetcher):
    target = "http://treaty.invalid/rus/docs/Z1400000246"
    with LoopbackServer(routes={target: html(PAGE)}) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.base_url)
        # Private addresses are NOT allowed: the policy must not apply to a proxied target.
        fetcher = make_fetcher(fast_settings(allow_private_addresses=False), resolver=_failing_resolver)

        outcome = fetcher.fetch(target)

        assert outcome.outcome == "ok"
        assert outcome.fetched_via == "proxy"
        assert f"GET {target} HTTP/1.1" in [r.request_line for r in proxy.requests]
        assert "GET http://treaty.invalid/robots.txt HTTP/1.1" in [r.request_line for r in proxy.requests]


def test_no_proxy_env_sends_matching_hosts_directly(monkeypatch, server, make_fetcher):
    server.route("/page", html(PAGE))
    with LoopbackServer() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.base_url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")

        outcome = make_fetcher().fetch(server.url("/page"))

        assert outcome.outcome == "ok"
        assert outcome.fetched_via == "direct"
        assert proxy.requests == []


def test_proxy_for_reads_the_environment(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "old.adilet.zan.kz")

    assert proxy_for("https://adilet.zan.kz/rus/docs/Z1") == "http://proxy.example:3128"
    assert proxy_for("https://old.adilet.zan.kz/rus/docs/Z1") is None
    assert proxy_for("http://adilet.zan.kz/rus/docs/Z1") is None


def test_connected_peer_is_checked_even_when_resolution_looked_public(server, make_fetcher):
    # The policy's own lookup is told the host is public; the real connection goes to loopback.
    # This is the DNS-rebinding case: the socket's peer address is checked before the body is read.
    server.route("/doc", html(PAGE))
    settings = fast_settings(allow_private_addresses=False, respect_robots=False)
    fetcher = make_fetcher(settings, resolver=_resolver_returning("93.184.215.14"))

    outcome = fetcher.fetch(server.url("/doc"))

    assert outcome.outcome == "address_refused"
    assert "connected peer" in (outcome.error_message or "")
    assert outcome.body is None
