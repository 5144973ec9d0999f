"""TLS against a loopback HTTPS server with a throwaway CA made at test time (tests/sources/tls.py).

The server presents its leaf certificate without the intermediate, as adilet.zan.kz does: only a
``ca_bundle`` holding root and intermediate completes the chain. Verification is never switched off,
whatever the settings or the environment say.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from atop_pipeline.sources.fetch import fetch_all
from atop_pipeline.sources.http import FetchSettings, PoliteFetcher
from atop_pipeline.sources.store import SnapshotStore
from tests.sources.conftest import fast_settings
from tests.sources.server import LoopbackServer, html
from tests.sources.tls import Authority, bundle, issue_server, make_intermediate, make_root

pytestmark = pytest.mark.timeout(60)

PAGE = "<html><head><title>Закон</title></head><body><p>Текст закона</p></body></html>"


@dataclass
class Pki:
    """A root CA, its intermediate, a bundle of both, and an unrelated CA, all under tmp_path."""

    root: Authority
    intermediate: Authority
    bundle: Path
    stranger: Authority


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    folder = tmp_path / "pki"
    root = make_root(folder)
    intermediate = make_intermediate(root, folder)
    stranger = make_root(folder / "other", "Unrelated Root CA")
    return Pki(root, intermediate, bundle(folder, root, intermediate), stranger)


@pytest.fixture
def https_server(pki: Pki, tmp_path: Path) -> Iterator[LoopbackServer]:
    """An HTTPS loopback server for 127.0.0.1 whose leaf is signed by the intermediate (chain not sent)."""
    identity = issue_server(pki.intermediate, tmp_path / "pki")
    with LoopbackServer(ssl_context=identity.context()) as running:
        running.route("/rus/docs/Z1400000246", html(PAGE))
        yield running


@pytest.fixture(autouse=True)
def _no_ca_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CA bundle from the environment unless a test sets one (this machine's may set them)."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "ATOP_HTTP_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)


def test_without_the_ca_bundle_the_fetch_is_a_recorded_tls_error_naming_the_url(https_server, make_fetcher):
    url = https_server.url("/rus/docs/Z1400000246")

    outcome = make_fetcher(fast_settings()).fetch(url)

    assert outcome.outcome == "connection_error"
    assert outcome.body is None
    message = outcome.error_message or ""
    assert url in message
    assert "TLS error" in message and "certificate verification failed" in message
    assert "system trust store" in message
    assert https_server.count("/rus/docs/Z1400000246") == 0  # no request was ever sent in clear


def test_a_tls_error_is_recorded_and_the_batch_goes_on(https_server, server, make_fetcher, tmp_path):
    server.route("/page", html(PAGE))
    urls = [https_server.url("/rus/docs/Z1400000246"), server.url("/page")]
    store = SnapshotStore(tmp_path / "snapshots")

    outcomes = fetch_all(urls, make_fetcher(fast_settings(), store=store))

    assert [o.outcome for o in outcomes] == ["connection_error", "ok"]
    recorded = store.history(urls[0])
    assert [o.outcome for o in recorded] == ["connection_error"]
    assert "TLS error" in (recorded[0].error_message or "") and urls[0] in (recorded[0].error_message or "")


def test_a_certificate_failure_is_not_retried(https_server, make_fetcher):
    fetcher = make_fetcher(fast_settings(max_retries=3, respect_robots=False))

    outcome = fetcher.fetch(https_server.url("/rus/docs/Z1400000246"))

    assert outcome.outcome == "connection_error"
    assert outcome.attempts == 1
    assert len(fetcher.request_starts) == 1


def test_with_the_ca_bundle_the_fetch_succeeds(https_server, pki, make_fetcher):
    outcome = make_fetcher(fast_settings(ca_bundle=str(pki.bundle))).fetch(https_server.url("/rus/docs/Z1400000246"))

    assert outcome.outcome == "ok"
    assert outcome.body == PAGE.encode("utf-8")
    assert https_server.count("/robots.txt") == 1  # robots.txt went over the same verified TLS


def test_a_bundle_with_the_root_alone_does_not_complete_the_chain(https_server, pki, make_fetcher):
    # The server sends no intermediate, so trusting the root is not enough: the bundle must hold both.
    outcome = make_fetcher(fast_settings(ca_bundle=str(pki.root.pem_path))).fetch(
        https_server.url("/rus/docs/Z1400000246"))

    assert outcome.outcome == "connection_error"
    assert "intermediate" in (outcome.error_message or "")
    assert str(pki.root.pem_path) in (outcome.error_message or "")


def test_a_bundle_of_an_unrelated_ca_is_refused(https_server, pki, make_fetcher):
    # The bundle is really used for verification: a valid CA file that did not sign the server fails.
    outcome = make_fetcher(fast_settings(ca_bundle=str(pki.stranger.pem_path))).fetch(
        https_server.url("/rus/docs/Z1400000246"))

    assert outcome.outcome == "connection_error"
    assert "certificate verification failed" in (outcome.error_message or "")


def test_the_host_name_is_still_checked_with_the_ca_bundle(pki, tmp_path, make_fetcher):
    identity = issue_server(pki.intermediate, tmp_path / "pki", names=("adilet.zan.kz",), stem="wrong_name")
    with LoopbackServer(ssl_context=identity.context()) as wrong:
        wrong.route("/page", html(PAGE))

        outcome = make_fetcher(fast_settings(ca_bundle=str(pki.bundle))).fetch(wrong.url("/page"))

    assert outcome.outcome == "connection_error"
    assert "TLS error" in (outcome.error_message or "")
    assert wrong.count("/page") == 0


def test_the_configured_bundle_wins_over_requests_ca_bundle_in_the_environment(
    https_server, pki, make_fetcher, monkeypatch
):
    # requests lets REQUESTS_CA_BUNDLE replace a session-level bundle; the configured one must win.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki.stranger.pem_path))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(pki.stranger.pem_path))

    outcome = make_fetcher(fast_settings(ca_bundle=str(pki.bundle))).fetch(https_server.url("/rus/docs/Z1400000246"))

    assert outcome.outcome == "ok"


def test_an_empty_ca_bundle_setting_means_the_default_trust_store(https_server, make_fetcher):
    settings = FetchSettings.from_env({"ATOP_HTTP_CA_BUNDLE": ""}, **_fast_overrides())

    outcome = make_fetcher(settings).fetch(https_server.url("/rus/docs/Z1400000246"))

    assert outcome.outcome == "connection_error"
    assert "certificate verification failed" in (outcome.error_message or "")


def test_empty_ca_variables_in_the_environment_never_disable_verification(https_server, make_fetcher, monkeypatch):
    # An empty CURL_CA_BUNDLE once meant verify=False in requests; it must not here.
    monkeypatch.setenv("CURL_CA_BUNDLE", "")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "")

    outcome = make_fetcher(fast_settings()).fetch(https_server.url("/rus/docs/Z1400000246"))

    assert outcome.outcome == "connection_error"
    assert "certificate verification failed" in (outcome.error_message or "")


@pytest.mark.parametrize("value", ["false", "0", "no", "/nonexistent/ca.pem"])
def test_a_ca_bundle_that_is_not_a_file_is_a_configuration_error(value):
    settings = FetchSettings.from_env({"ATOP_HTTP_CA_BUNDLE": value})

    with pytest.raises(ValueError, match="ca_bundle"):
        PoliteFetcher(settings)


def test_the_ca_bundle_is_read_from_the_environment(https_server, pki, make_fetcher):
    settings = FetchSettings.from_env({"ATOP_HTTP_CA_BUNDLE": str(pki.bundle)}, **_fast_overrides())

    outcome = make_fetcher(settings).fetch(https_server.url("/rus/docs/Z1400000246"))

    assert outcome.outcome == "ok"


def _fast_overrides() -> dict[str, object]:
    """The fast loopback settings as overrides for ``FetchSettings.from_env``."""
    return {k: getattr(fast_settings(), k) for k in (
        "allow_private_addresses", "min_interval_s", "connect_timeout_s", "read_timeout_s", "max_retries",
        "backoff_factor", "backoff_jitter_s", "retry_after_cap_s", "total_deadline_s", "circuit_breaker_failures")}
