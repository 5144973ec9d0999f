"""The fetch fault matrix at scale: ~300 URLs over five loopback hosts, fetched twice (second time failing).

Every URL gets a recorded outcome of the expected kind; dead hosts are cut off by the circuit breaker;
hostile redirects (file://, the link-local metadata address, loopback outside the allowed addresses)
are refused; a gzip bomb is stopped at the size cap; the whole run stays under the bound computed from
the settings (`network.time_bound`); and after the second, failing fetch the last good snapshot of
every page is still there, byte for byte.
"""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from atop_pipeline.sources.fetch import fetch_all
from atop_pipeline.sources.http import OUTCOMES, FetchOutcome, PoliteFetcher
from atop_pipeline.sources.store import SnapshotStore
from tests.reliability.network import OK_PAGE, FaultMatrix, matrix_settings, time_bound

pytestmark = pytest.mark.timeout(400)


@dataclass
class MatrixRun:
    matrix: FaultMatrix
    first: list[FetchOutcome]
    second: list[FetchOutcome]
    first_elapsed: float
    second_elapsed: float
    bound: float
    store: SnapshotStore
    silent_requests: int
    resets: int


@pytest.fixture(scope="module")
def matrix_run(tmp_path_factory: pytest.TempPathFactory) -> MatrixRun:
    """Fetch the whole matrix, break the healthy host, fetch again with the same snapshot store."""
    store = SnapshotStore(tmp_path_factory.mktemp("snapshots"))
    settings = matrix_settings()
    with FaultMatrix() as matrix:
        bound = time_bound(settings, matrix.urls_per_host())
        started = time.monotonic()
        with PoliteFetcher(settings, store=store) as fetcher:
            first = fetch_all(matrix.urls, fetcher)
        first_elapsed = time.monotonic() - started
        matrix.break_healthy_host()
        started = time.monotonic()
        with PoliteFetcher(settings, store=store) as fetcher:
            second = fetch_all(matrix.urls, fetcher)
        second_elapsed = time.monotonic() - started
        return MatrixRun(matrix, first, second, first_elapsed, second_elapsed, bound, store,
                         len(matrix.silent.requests), matrix.resetting.accepted)


def test_the_matrix_has_hundreds_of_urls_over_five_hosts(matrix_run: MatrixRun) -> None:
    assert len(matrix_run.matrix.urls) >= 300
    assert len(set(matrix_run.matrix.host_of.values())) == 5


def test_every_url_has_one_recorded_outcome_of_the_expected_kind(matrix_run: MatrixRun) -> None:
    urls = matrix_run.matrix.urls
    assert [o.url for o in matrix_run.first] == urls
    wrong = [(o.url, o.outcome, o.error_message) for o in matrix_run.first
             if o.outcome not in matrix_run.matrix.expected[o.url]]
    assert not wrong, wrong[:10]
    assert all(o.outcome in OUTCOMES for o in matrix_run.first + matrix_run.second)
    # ... and the store holds both fetches of every URL.
    assert set(matrix_run.store.urls()) == set(urls)
    assert all(len(matrix_run.store.history(u)) == 2 for u in urls)


def test_both_runs_finish_within_the_bound_computed_from_the_settings(matrix_run: MatrixRun) -> None:
    assert matrix_run.first_elapsed < matrix_run.bound, (matrix_run.first_elapsed, matrix_run.bound)
    assert matrix_run.second_elapsed < matrix_run.bound, (matrix_run.second_elapsed, matrix_run.bound)


def test_dead_hosts_are_cut_off_by_the_circuit_breaker(matrix_run: MatrixRun) -> None:
    settings = matrix_settings()
    by_host = collections.Counter((matrix_run.matrix.host_of[o.url], o.outcome) for o in matrix_run.first)
    per_run_cap = (settings.circuit_breaker_failures + 1) * (settings.max_retries + 1)
    for host in ("silent", "refused"):
        assert by_host[(host, "host_down")] >= matrix_run.matrix.dead_pages - settings.circuit_breaker_failures
    assert matrix_run.silent_requests <= 2 * per_run_cap  # two runs


def test_a_host_that_resets_every_connection_is_cut_off_by_the_breaker(matrix_run: MatrixRun) -> None:
    settings = matrix_settings()
    per_run_cap = (settings.circuit_breaker_failures + 1) * (settings.max_retries + 1)
    by_host = collections.Counter((matrix_run.matrix.host_of[o.url], o.outcome) for o in matrix_run.first)
    assert by_host[("resetting", "host_down")] >= matrix_run.matrix.dead_pages - settings.circuit_breaker_failures
    assert matrix_run.resets <= 2 * per_run_cap  # two runs


def test_hostile_redirects_are_refused_before_any_request_is_sent(matrix_run: MatrixRun) -> None:
    outcomes = {o.url.rsplit("/", 2)[-2] + "/" + o.url.rsplit("/", 1)[-1]: o for o in matrix_run.first}
    assert outcomes["redirect/file"].outcome == "scheme_refused"
    assert outcomes["redirect/metadata"].outcome == "address_refused"
    assert "169.254.169.254" in (outcomes["redirect/metadata"].error_message or "")
    assert outcomes["redirect/loopback"].outcome == "address_refused"
    assert outcomes["redirect/ipv6-loopback"].outcome == "address_refused"
    # The refused loopback target is the healthy server itself on another address: it saw nothing.
    assert not [r for r in matrix_run.matrix.healthy.requests if r.headers.get("Host", "").startswith(("127.0.0.100", "[::1]"))]


def test_a_gzip_bomb_is_stopped_at_the_size_cap(matrix_run: MatrixRun) -> None:
    bomb = next(o for o in matrix_run.first if o.url.endswith("/bomb"))
    settings = matrix_settings()
    assert bomb.outcome == "too_large" and bomb.body is None
    assert bomb.size is not None and bomb.size <= settings.max_bytes + 2 * 64 * 1024


def test_the_last_good_snapshot_of_every_page_survives_a_failing_refetch(matrix_run: MatrixRun) -> None:
    for i in range(matrix_run.matrix.ok_pages):
        url = matrix_run.matrix.healthy.url(f"/ok/{i}")
        second = next(o for o in matrix_run.second if o.url == url)
        assert second.outcome == "http_error"
        last_good = matrix_run.store.last_good(url)
        assert last_good is not None and last_good.body == OK_PAGE.format(i=i).encode()
        assert second.previous_sha256 == last_good.sha256


def test_snapshot_store_stays_inside_its_folder(matrix_run: MatrixRun) -> None:
    root = matrix_run.store.root.resolve()
    for path in root.rglob("*"):
        assert path.resolve().is_relative_to(root)
    assert not any(Path(root).glob("**/.tmp-*"))


def test_a_failing_refetch_does_not_erase_what_the_last_good_snapshot_showed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt
    import shutil

    import duckdb

    from atop_pipeline.pipeline import run_ingest
    from atop_pipeline.sources.http import FetchSettings
    from tests.reliability.hostile import REAL_6070
    from tests.sources.server import LoopbackServer, Reply

    repealed = (Path(__file__).resolve().parents[1] / "fixtures" / "sources"
                / "adilet_Z1400000246_rus_status_yts_synthetic.html").read_bytes()
    url = "http://adilet.zan.kz/rus/docs/Z1400000246"  # the 6070 sheet's citation, served by a loopback proxy
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    shutil.copy(REAL_6070, sheets / REAL_6070.name)
    warehouse = tmp_path / "warehouse" / "atop.duckdb"
    settings = FetchSettings(min_interval_s=0.01, max_retries=0, backoff_factor=0.0, backoff_jitter_s=0.0,
                             total_deadline_s=5.0)
    verdicts = []
    with LoopbackServer() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.base_url)
        proxy.route(url, Reply(200, repealed, {"Content-Type": "text/html; charset=utf-8"}))
        for attempt in range(2):
            if attempt == 1:
                proxy.route(url, Reply(503, b"maintenance"))
            run_ingest(sheets, warehouse, offline=False, as_of=dt.date(2026, 11, 28), fetch_settings=settings)
            con = duckdb.connect(str(warehouse), read_only=True)
            try:
                verdicts.append(con.execute("SELECT verdict, disagreements_json FROM in_force_status").fetchone())
                outcomes = [r[0] for r in con.execute("SELECT outcome FROM source_snapshots ORDER BY fetched_at").fetchall()]
            finally:
                con.close()
        assert all(r.path.startswith("http://adilet.zan.kz/") for r in proxy.requests)  # nothing left the machine
    assert outcomes == ["ok", "http_error"]  # both snapshots kept
    assert verdicts[0][0] == "conflicting" and "repealed" in verdicts[0][1]
    assert verdicts[1] == verdicts[0], "a transient failure must not erase the evidence of the last good snapshot"


def _fetch_from_trickler(count: int, settings, slow_urls: int) -> tuple[bool, list[FetchOutcome], float, int]:
    """Fetch `count` URLs of a server that trickles a byte every 0.2 s, in a thread bounded by the
    settings (at most `slow_urls` of them may wait out their deadline): (finished, outcomes, bound, bytes)."""
    import threading

    from tests.reliability.network import TricklingServer

    outcomes: list[FetchOutcome] = []
    with TricklingServer("127.0.0.6", interval_s=0.2) as server:
        urls = [server.url(f"/slow/{i}") for i in range(count)]

        def fetch() -> None:
            with PoliteFetcher(settings) as fetcher:
                outcomes.extend(fetch_all(urls, fetcher))

        worker = threading.Thread(target=fetch, daemon=True)
        worker.start()
        # The bound from the settings: each slow URL ends at its deadline (plus one read timeout).
        bound = slow_urls * (settings.total_deadline_s + settings.read_timeout_s) + 10.0
        worker.join(timeout=bound)
        return not worker.is_alive(), outcomes, bound, server.bytes_sent


def test_a_server_that_trickles_bytes_is_cut_off_at_the_url_deadline() -> None:
    settings = matrix_settings(allowed_networks=("127.0.0.6/32",), total_deadline_s=2.0, read_timeout_s=0.5)
    finished, outcomes, bound, sent = _fetch_from_trickler(2, settings, slow_urls=2)
    assert finished, f"the fetch was still reading after {bound:.0f} s ({sent} bytes trickled)"
    assert [o.outcome for o in outcomes] == ["timeout", "timeout"]


def test_a_trickling_host_opens_the_breaker_so_its_other_urls_cost_nothing() -> None:
    """Each too-slow response counts against the host: after the breaker's threshold the host's other
    URLs are recorded as host_down at once instead of each waiting out its deadline."""
    settings = matrix_settings(allowed_networks=("127.0.0.6/32",), total_deadline_s=2.0, read_timeout_s=0.5,
                               circuit_breaker_failures=3)
    finished, outcomes, bound, _ = _fetch_from_trickler(6, settings, slow_urls=3)
    assert finished, f"the fetch was still reading after {bound:.0f} s"
    assert [o.outcome for o in outcomes] == ["timeout"] * 3 + ["host_down"] * 3
    assert all("too_slow" in (o.error_message or "") for o in outcomes[:3])
    assert all(o.attempts == 0 for o in outcomes[3:])
