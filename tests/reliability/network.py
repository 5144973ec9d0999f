"""A fault matrix of loopback hosts for the network reliability tests and the benchmark.

`FaultMatrix` starts several servers on distinct loopback addresses (127.0.0.1-5): one healthy host
that also serves hostile redirects and a gzip bomb, one flaky host (5xx, 429, 404), one that accepts
connections and never sends a byte, one that refuses connections, and one that resets them. It
returns every URL with the outcomes the fetcher may record for it, and the run-time bound that follows
from the fetch settings.
"""

from __future__ import annotations

import gzip
import socket
import struct
import threading
from dataclasses import dataclass, field

from atop_pipeline.sources.http import FetchSettings
from tests.sources.server import LoopbackServer, Reply

OK_PAGE = "<html><head><title>Page {i}</title></head><body><p>Treaty text {i}</p></body></html>"


class _RawServer:
    """A raw TCP server on a loopback address: accepts in a thread and hands each connection to
    `_accepted`. For faults an HTTP server library will not produce (resets, trickled bytes)."""

    def __init__(self, host: str) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, 0))
        self._sock.listen(64)
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    def url(self, path: str) -> str:
        """The absolute URL of `path` on this server."""
        host = self._sock.getsockname()[0]
        return f"http://{host}:{self.port}{path}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (socket.timeout, OSError):
                continue
            self._accepted(conn)

    def _accepted(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def __enter__(self):  # -> Self
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()


class ResettingServer(_RawServer):
    """Accepts TCP connections on a loopback address, reads the request and resets (RST, no reply bytes)."""

    def __init__(self, host: str) -> None:
        super().__init__(host)
        self.accepted = 0

    def _accepted(self, conn: socket.socket) -> None:
        self.accepted += 1
        # Read the request first, so the reset always comes after the client has sent it (an
        # established connection aborted: "Connection reset by peer" on the response).
        conn.settimeout(2.0)
        received = b""
        try:
            while b"\r\n\r\n" not in received:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                received += chunk
        except OSError:
            pass
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()


class TricklingServer(_RawServer):
    """Answers every request with 200 and a large Content-Length, then sends one byte every `interval_s`.

    Each byte arrives well within any read timeout, so only a per-URL deadline can end the fetch
    (a slow-loris server). robots.txt gets a plain 404.
    """

    def __init__(self, host: str, *, interval_s: float = 0.2) -> None:
        super().__init__(host)
        self._interval = interval_s
        self.bytes_sent = 0

    def _accepted(self, conn: socket.socket) -> None:
        threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(5.0)
        try:
            while not self._stop.is_set():
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    request += chunk
                if b"/robots.txt" in request.split(b"\r\n", 1)[0]:
                    conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                    continue
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000000\r\n\r\n")
                while not self._stop.wait(self._interval):
                    conn.sendall(b"x")
                    self.bytes_sent += 1
                return
        except OSError:
            return
        finally:
            conn.close()

def _closed_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def gzip_bomb(decoded_bytes: int = 100 * 1024 * 1024) -> bytes:
    """`decoded_bytes` of zeros, gzip-compressed (about 1000:1)."""
    return gzip.compress(b"\0" * decoded_bytes, compresslevel=9)


def matrix_settings(**overrides: object) -> FetchSettings:
    """Fast settings for the matrix: only the matrix's own loopback addresses allowed, tiny interval."""
    values: dict[str, object] = dict(
        allow_private_addresses=False,
        allowed_networks=tuple(f"127.0.0.{i}/32" for i in range(1, 6)),
        min_interval_s=0.002,
        connect_timeout_s=0.5,
        read_timeout_s=0.5,
        max_retries=1,
        backoff_factor=0.0,
        backoff_jitter_s=0.0,
        retry_after_cap_s=1.0,
        total_deadline_s=3.0,
        circuit_breaker_failures=3,
        max_bytes=2_000_000,
    )
    values.update(overrides)
    return FetchSettings(**values)  # type: ignore[arg-type]


def time_bound(settings: FetchSettings, urls_per_host: dict[str, int], *, per_request_s: float = 0.25,
               slack_s: float = 15.0) -> float:
    """An upper bound on one fetch_all over the matrix, from the settings alone (hosts taken serially).

    Per host: at most `circuit_breaker_failures` URLs can each spend the whole per-URL deadline before
    the breaker opens (plus one robots.txt fetch that may do the same), and every URL costs at most the
    per-host interval plus one quick loopback exchange (`per_request_s`, retries included).
    """
    bound = slack_s
    for count in urls_per_host.values():
        bound += (settings.circuit_breaker_failures + 1) * settings.total_deadline_s
        bound += count * (settings.min_interval_s + per_request_s * (settings.max_retries + 1))
    return bound


@dataclass
class FaultMatrix:
    """The running servers, every URL with its acceptable outcomes, and helpers to flip hosts to failing."""

    ok_pages: int = 150
    flaky_pages: int = 60
    dead_pages: int = 30
    expected: dict[str, frozenset[str]] = field(default_factory=dict)
    host_of: dict[str, str] = field(default_factory=dict)
    bomb_bytes: int = 100 * 1024 * 1024

    def __enter__(self) -> FaultMatrix:
        self.healthy = LoopbackServer(host="127.0.0.1").start()
        self.flaky = LoopbackServer(host="127.0.0.2").start()
        self.silent = LoopbackServer(host="127.0.0.3", fallback=Reply(hang=True)).start()
        self.resetting = ResettingServer("127.0.0.5").__enter__()
        refused_port = _closed_port("127.0.0.4")

        def add(url: str, host: str, *outcomes: str) -> None:
            self.expected[url] = frozenset(outcomes)
            self.host_of[url] = host

        for i in range(self.ok_pages):
            path = f"/ok/{i}"
            self.healthy.route(path, Reply(200, OK_PAGE.format(i=i).encode(), {"Content-Type": "text/html; charset=utf-8"}))
            add(self.healthy.url(path), "healthy", "ok")
        # Hostile redirects and a gzip bomb on the healthy host.
        self.healthy.route("/redirect/file", Reply(302, headers={"Location": "file:///etc/passwd"}))
        add(self.healthy.url("/redirect/file"), "healthy", "scheme_refused")
        self.healthy.route("/redirect/metadata", Reply(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}))
        add(self.healthy.url("/redirect/metadata"), "healthy", "address_refused")
        self.healthy.route("/redirect/loopback", Reply(301, headers={"Location": f"http://127.0.0.100:{self.healthy.port}/ok/1"}))
        add(self.healthy.url("/redirect/loopback"), "healthy", "address_refused")
        self.healthy.route("/redirect/ipv6-loopback", Reply(307, headers={"Location": f"http://[::1]:{self.healthy.port}/ok/1"}))
        add(self.healthy.url("/redirect/ipv6-loopback"), "healthy", "address_refused")
        self.healthy.route("/redirect/loop-a", Reply(302, headers={"Location": "/redirect/loop-b"}))
        self.healthy.route("/redirect/loop-b", Reply(302, headers={"Location": "/redirect/loop-a"}))
        add(self.healthy.url("/redirect/loop-a"), "healthy", "redirect_loop")
        self.healthy.route("/bomb", Reply(200, gzip_bomb(self.bomb_bytes),
                                          {"Content-Type": "text/html", "Content-Encoding": "gzip"}))
        add(self.healthy.url("/bomb"), "healthy", "too_large")
        self.healthy.route("/silent", Reply(hang=True))
        add(self.healthy.url("/silent"), "healthy", "timeout")

        for i in range(self.flaky_pages):
            path = f"/flaky/{i}"
            page = Reply(200, OK_PAGE.format(i=i).encode(), {"Content-Type": "text/html"})
            kind = i % 4
            if kind == 0:
                self.flaky.route(path, Reply(500, b"oops"), page)
                add(self.flaky.url(path), "flaky", "ok")
            elif kind == 1:
                self.flaky.route(path, Reply(503, b"down"))
                add(self.flaky.url(path), "flaky", "http_error")
            elif kind == 2:
                self.flaky.route(path, Reply(404, b"gone"))
                add(self.flaky.url(path), "flaky", "not_found")
            else:
                self.flaky.route(path, Reply(429, b"slow down", {"Retry-After": "0"}), page)
                add(self.flaky.url(path), "flaky", "ok")

        unreachable = frozenset({"timeout", "connection_error", "host_down"})
        for i in range(self.dead_pages):
            add(self.silent.url(f"/never/{i}"), "silent", *unreachable)
            add(f"http://127.0.0.4:{refused_port}/refused/{i}", "refused", *unreachable)
            add(f"http://127.0.0.5:{self.resetting.port}/reset/{i}", "resetting", *unreachable)
        return self

    def __exit__(self, *exc: object) -> None:
        for server in (self.healthy, self.flaky, self.silent):
            server.stop()
        self.resetting.__exit__()

    @property
    def urls(self) -> list[str]:
        """Every URL, interleaved across hosts (as sheets would cite them)."""
        by_host: dict[str, list[str]] = {}
        for url, host in self.host_of.items():
            by_host.setdefault(host, []).append(url)
        out: list[str] = []
        longest = max(len(v) for v in by_host.values())
        for i in range(longest):
            out += [v[i] for v in by_host.values() if i < len(v)]
        return out

    def urls_per_host(self) -> dict[str, int]:
        """URL count per host (for the time bound)."""
        counts: dict[str, int] = {}
        for host in self.host_of.values():
            counts[host] = counts.get(host, 0) + 1
        return counts

    def break_healthy_host(self) -> None:
        """Make every page of the healthy host answer 500 from now on (the second, failing fetch)."""
        for i in range(self.ok_pages):
            self.healthy.route(f"/ok/{i}", Reply(500, b"broken"))
