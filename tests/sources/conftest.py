"""Fixtures for source tests: a loopback server, fast fetch settings, a fake clock, proxy-free env."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from atop_pipeline.sources.http import FetchSettings, PoliteFetcher
from tests.sources.server import FakeClock, LoopbackServer

_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def _no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests talk to 127.0.0.1 directly unless a test sets a proxy itself."""
    for name in _PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def fast_settings(**overrides: Any) -> FetchSettings:
    """Settings for loopback tests: private addresses allowed, small intervals and timeouts, no jitter."""
    values: dict[str, Any] = dict(
        allow_private_addresses=True,
        min_interval_s=0.05,
        connect_timeout_s=2.0,
        read_timeout_s=2.0,
        max_retries=2,
        backoff_factor=0.0,
        backoff_jitter_s=0.0,
        retry_after_cap_s=5.0,
        total_deadline_s=30.0,
        circuit_breaker_failures=3,
    )
    values.update(overrides)
    return FetchSettings(**values)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    """A started loopback server; unrouted paths (robots.txt included) answer 404."""
    with LoopbackServer() as running:
        yield running


@pytest.fixture
def fake_clock() -> FakeClock:
    """A clock that advances only when the fetcher sleeps."""
    return FakeClock()


@pytest.fixture
def make_fetcher() -> Iterator[Callable[..., PoliteFetcher]]:
    """Build fetchers (fast settings unless given) and close them after the test."""
    made: list[PoliteFetcher] = []

    def build(settings: FetchSettings | None = None, **kwargs: Any) -> PoliteFetcher:
        fetcher = PoliteFetcher(settings or fast_settings(), **kwargs)
        made.append(fetcher)
        return fetcher

    yield build
    for fetcher in made:
        fetcher.close()
