"""A loopback HTTP server that misbehaves on purpose, for tests of the fetcher and the readers.

Usage::

    with LoopbackServer() as server:
        server.route("/robots.txt", Reply(404))
        server.route("/page", Reply(429, headers={"Retry-After": "1"}), Reply(200, b"<html>..."))
        fetcher.fetch(server.url("/page"))
        server.times("/page")  # monotonic arrival times of each request for that path

A route is a single ``Reply``, a sequence of replies served in order (the last one repeats), or a
callable ``(RecordedRequest) -> Reply``. Unrouted paths get ``fallback`` (404 by default). The server
binds 127.0.0.1 port 0, serves each connection on its own thread, and records every request.
Used as a forward proxy it receives absolute-form request lines ("GET http://host/x HTTP/1.1"); the
route key is then the absolute URL.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Reply:
    """What the server answers (or how it misbehaves)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # wait this long before sending anything (read timeouts)
    hang: bool = False  # never answer at all, until the server stops
    send_content_length: bool = True
    trickle_s: float = 0.0  # send the body one byte at a time, this long apart (a slow-loris server)
    trickle_headers_s: float = 0.0  # send the status line, then one header byte this often, forever


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it."""

    method: str
    path: str  # as on the request line (absolute form when used as a proxy)
    request_line: str
    headers: dict[str, str]
    time: float  # time.monotonic() when the request line had been read
    client: tuple[str, int]


Route = Reply | Sequence[Reply] | Callable[[RecordedRequest], Reply]


def html(text: str, *, charset: str | None = "utf-8", status: int = 200, **headers: str) -> Reply:
    """A text/html reply whose body is ``text`` encoded in ``charset`` (utf-8 when None is given)."""
    content_type = "text/html" if charset is None else f"text/html; charset={charset}"
    body = text.encode(charset or "utf-8")
    return Reply(status, body, {"Content-Type": content_type, **{k.replace("_", "-"): v for k, v in headers.items()}})


class _QuietHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that stays silent when a client hangs up first (the tests do that on purpose)."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionError, socket.timeout, ssl.SSLError)):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 with configurable routes; a context manager."""

    def __init__(
        self,
        routes: dict[str, Route] | None = None,
        *,
        fallback: Reply | None = Reply(404, b"not found", {"Content-Type": "text/plain"}),
        host: str = "127.0.0.1",
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._routes: dict[str, Route] = dict(routes or {})
        self._served: dict[str, int] = {}
        self.fallback = fallback
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._in_flight = 0
        self.max_in_flight = 0
        self._httpd = _QuietHTTPServer((host, 0), self._handler_class())
        self.scheme = "http"
        if ssl_context is not None:
            # The handshake happens on the handler's thread (first read), so a client that rejects the
            # certificate never blocks the accepting thread.
            self._httpd.socket = ssl_context.wrap_socket(self._httpd.socket, server_side=True,
                                                         do_handshake_on_connect=False)
            self.scheme = "https"
        self.bytes_trickled = 0
        self._thread: threading.Thread | None = None

    # -- configuration and inspection --

    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return self.base_url + path

    def route(self, path: str, *replies: Reply | Callable[[RecordedRequest], Reply]) -> None:
        """Set what ``path`` answers: one reply, several in order (last repeats), or one callable."""
        with self._lock:
            if len(replies) == 1:
                self._routes[path] = replies[0]
            else:
                self._routes[path] = list(replies)  # type: ignore[arg-type]
            self._served[path] = 0

    def requests_for(self, path: str) -> list[RecordedRequest]:
        """The recorded requests for ``path``, in arrival order."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def times(self, path: str) -> list[float]:
        """Arrival times (time.monotonic) of the requests for ``path``."""
        return [r.time for r in self.requests_for(path)]

    def count(self, path: str) -> int:
        """How many requests ``path`` received."""
        return len(self.requests_for(path))

    # -- lifecycle --

    def start(self) -> LoopbackServer:
        """Serve on a background thread."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release hanging handlers, stop serving and close the socket."""
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- serving --

    def _reply_for(self, request: RecordedRequest) -> Reply | None:
        with self._lock:
            route = self._routes.get(request.path)
            if route is None:
                return self.fallback
            if isinstance(route, Reply):
                return route
            if callable(route):
                handler = route
            else:
                index = min(self._served.get(request.path, 0), len(route) - 1)
                self._served[request.path] = self._served.get(request.path, 0) + 1
                return route[index]
        return handler(request)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - keep test output quiet
                pass

            def do_GET(self) -> None:
                self._serve(send_body=True)

            def do_HEAD(self) -> None:
                self._serve(send_body=False)

            def _serve(self, *, send_body: bool) -> None:
                recorded = RecordedRequest(
                    method=self.command,
                    path=self.path,
                    request_line=self.requestline,
                    headers={k: v for k, v in self.headers.items()},
                    time=time.monotonic(),
                    client=self.client_address[:2],
                )
                with server._lock:
                    server.requests.append(recorded)
                    server._in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server._in_flight)
                try:
                    reply = server._reply_for(recorded)
                    if reply is None or reply.hang:
                        server._stopping.wait()
                        self.close_connection = True
                        return
                    if reply.delay_s and server._stopping.wait(reply.delay_s):
                        self.close_connection = True
                        return
                    if reply.trickle_headers_s:
                        self._trickle_headers(reply)
                        return
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    if reply.send_content_length and "Content-Length" not in reply.headers:
                        self.send_header("Content-Length", str(len(reply.body)))
                    if not reply.send_content_length:
                        self.send_header("Connection", "close")
                        self.close_connection = True
                    self.end_headers()
                    if send_body and reply.status not in (204, 304):
                        if reply.trickle_s:
                            self._trickle(reply)
                        else:
                            self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError, socket.timeout, ssl.SSLError):
                    self.close_connection = True  # the client gave up first; that is the test's point
                finally:
                    with server._lock:
                        server._in_flight -= 1

            def _trickle_headers(self, reply: Reply) -> None:
                # A status line, then one endless header line, a byte at a time: headers never end.
                self.close_connection = True
                self.wfile.write(f"HTTP/1.1 {reply.status} OK\r\nX-Slow: ".encode("ascii"))
                while not server._stopping.wait(reply.trickle_headers_s):
                    self.wfile.write(b"a")
                    with server._lock:
                        server.bytes_trickled += 1

            def _trickle(self, reply: Reply) -> None:
                # One byte now and one every trickle_s after, each flushed, until the body is sent,
                # the client hangs up (BrokenPipe) or the server stops.
                self.close_connection = True
                for i in range(len(reply.body)):
                    self.wfile.write(reply.body[i : i + 1])
                    self.wfile.flush()
                    with server._lock:
                        server.bytes_trickled += 1
                    if server._stopping.wait(reply.trickle_s):
                        return

        return Handler


def closed_port() -> int:
    """A loopback port with nothing listening (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FakeClock:
    """A clock that only moves when ``sleep`` is called: pacing becomes exact and instant to test."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += max(seconds, 0.0)
