"""The one polite HTTP seam: every source document and downloaded codesheet is fetched through here.

What "polite and robust" means, and where each rule lives:

- robots.txt (protego) is fetched once per origin per fetcher and checked before every request,
  including redirect hops; its Crawl-delay / Request-rate raise that host's interval.
- At most one request in flight per host (``host:port``) and at least ``min_interval_s`` between the
  *starts* of requests to it - robots.txt, retries and redirect hops included. Time comes from an
  injectable ``clock``/``sleep`` pair so the spacing can be checked exactly with a fake clock.
- Retries are urllib3's ``Retry`` mounted on a ``requests`` adapter (timeouts, connection errors,
  429 and 5xx, Retry-After honoured but capped); a small subclass routes its sleeps through the
  per-host pacer and feeds connection failures to the circuit breaker.
- Redirects are followed by hand so every hop is checked against the scheme and address policy
  (``addresses.py``) and robots.txt; loops and over-long chains become recorded outcomes.
- The body is streamed and capped *after* content decoding, so a gzip bomb stops at ``max_bytes``.
- The headers, and then the body, must each arrive within ``response_deadline_s`` (and within the URL's
  ``total_deadline_s``): a host that trickles bytes, each read well within the read timeout, is cut off
  (a ``timeout`` whose message starts with ``too_slow``) and counted against the host's circuit breaker
  like a host that never answers. Headers are watched by a timer (``_WatchedAdapter``), the body by
  the read loop in ``_read_body``.
- TLS is always verified: ``ca_bundle`` only chooses *which* CAs to trust (adilet.zan.kz sends an
  incomplete chain), and a certificate failure is a recorded ``connection_error`` naming the URL.
- Failures are values: ``fetch`` returns a ``FetchOutcome`` for every network or HTTP problem.
"""

from __future__ import annotations

import codecs
import dataclasses
import datetime as dt
import errno
import hashlib
import json
import logging
import os
import re
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import charset_normalizer
import requests
import urllib3.connection
import urllib3.connectionpool
import urllib3.exceptions
import urllib3.poolmanager
from protego import Protego
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from atop_pipeline.sources.addresses import AddressPolicy, Resolver, check_address, check_url, host_key

if TYPE_CHECKING:
    from atop_pipeline.sources.store import SnapshotStore

log = logging.getLogger(__name__)

#: Every value ``FetchOutcome.outcome`` can take. ``spa_shell`` is set by the reader layer.
OUTCOMES: tuple[str, ...] = (
    "ok",
    "not_modified",
    "http_error",
    "not_found",
    "robots_disallowed",
    "timeout",
    "connection_error",
    "offline",
    "host_down",
    "too_large",
    "bad_content_type",
    "redirect_loop",
    "too_many_redirects",
    "address_refused",
    "scheme_refused",
    "spa_shell",
)

#: Outcomes that say the host could not be reached (never evidence about the document itself).
UNREACHABLE_OUTCOMES: frozenset[str] = frozenset({"timeout", "connection_error", "offline", "host_down"})

RETRY_STATUSES: tuple[int, ...] = (429, 500, 502, 503, 504)
REDIRECT_STATUSES: frozenset[int] = frozenset({301, 302, 303, 307, 308})
#: ``error_message`` prefix of a body that did not arrive within its deadline (outcome ``timeout``).
TOO_SLOW = "too_slow"
ROBOTS_MAX_BYTES = 512_000  # Google reads the first 500 KiB of a robots.txt and ignores the rest
_CHUNK = 64 * 1024
_DEFAULT_CONTACT = "atop-pipeline@example.org"
_UA_TEMPLATE = "Mozilla/5.0 (compatible; atop-pipeline/0.1; +https://github.com/atop-pipeline; mailto:{contact})"


@dataclass(frozen=True)
class FetchSettings:
    """Everything that makes the fetcher polite; defaults suit a real run, tests shrink the times."""

    contact: str = _DEFAULT_CONTACT
    user_agent: str = ""  # empty -> built from ``contact``
    robots_user_agent: str = "atop-pipeline"  # the product token matched against robots.txt groups
    min_interval_s: float = 3.0  # per host, between request starts
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    max_retries: int = 4
    backoff_factor: float = 1.0
    backoff_jitter_s: float = 0.5
    retry_after_cap_s: float = 60.0
    max_redirects: int = 5
    max_bytes: int = 10_000_000
    allowed_content_types: tuple[str, ...] = (
        "text/html",
        "application/xhtml+xml",
        "text/plain",
        "application/pdf",
        "application/zip",
        "application/x-zip-compressed",
        "application/octet-stream",
    )
    allow_private_addresses: bool = False
    allowed_networks: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    respect_robots: bool = True
    max_crawl_delay_s: float = 60.0  # a larger robots Crawl-delay is clamped so a run stays bounded
    circuit_breaker_failures: int = 3
    total_deadline_s: float = 120.0  # per URL, all retries and hops included
    # Per response: the headers must arrive within it, then the body within it again (each capped by what
    # is left of total_deadline_s). A host trickling bytes is cut off ("too_slow") and counts as a failure.
    response_deadline_s: float = 60.0
    accept_language: str = "ru, kk;q=0.9, en;q=0.8"
    accept: str = "text/html,application/xhtml+xml,application/pdf;q=0.9,text/plain;q=0.8,*/*;q=0.5"
    ca_bundle: str | None = None  # path to a CA bundle (adilet sends an incomplete chain); never verify=False

    def __post_init__(self) -> None:
        if not self.user_agent:
            object.__setattr__(self, "user_agent", _UA_TEMPLATE.format(contact=self.contact))

    def address_policy(self) -> AddressPolicy:
        """The address policy these settings describe."""
        return AddressPolicy(
            allow_private_addresses=self.allow_private_addresses,
            allowed_networks=tuple(self.allowed_networks),
            allowed_hosts=tuple(self.allowed_hosts),
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> FetchSettings:
        """Settings from ``ATOP_HTTP_<FIELD>`` variables (e.g. ATOP_HTTP_MIN_INTERVAL_S), then overrides.

        Tuples are comma-separated; booleans accept 1/0, true/false, yes/no. A malformed value raises
        ValueError naming the variable, because a misconfigured run must stop.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            name = f"ATOP_HTTP_{f.name.upper()}"
            if name not in env:
                continue
            raw = env[name].strip()
            try:
                values[f.name] = _convert(raw, f.type)
            except ValueError as exc:
                raise ValueError(f"{name}={raw!r}: {exc}") from exc
        values.update(overrides)
        return cls(**values)


def _convert(raw: str, type_name: Any) -> Any:
    """Convert an environment string to a settings field's annotated type (annotations are strings)."""
    t = str(type_name)
    if t.startswith("tuple"):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if t == "bool":
        lowered = raw.lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ValueError("expected a boolean (1/0, true/false, yes/no)")
    if t == "int":
        return int(raw)
    if t == "float":
        return float(raw)
    if "None" in t:
        return raw or None
    return raw


@dataclass
class FetchOutcome:
    """One fetch attempt of one URL and what came of it; its fields are ``source_snapshots`` columns."""

    snapshot_id: str
    url: str
    final_url: str
    fetched_at: dt.datetime  # UTC
    outcome: str  # one of OUTCOMES
    status_code: int | None = None
    headers_json: str = "{}"
    content_type: str | None = None
    encoding: str | None = None  # a Python codec name that decodes ``body`` (e.g. "windows-1251")
    sha256: str | None = None
    size: int | None = None
    body: bytes | None = None
    fetched_via: str = "direct"  # "direct", "proxy", or a fallback host chosen by the caller
    attempts: int = 0  # requests sent for this URL: retries and redirect hops, not robots.txt
    elapsed_s: float = 0.0
    error_message: str | None = None
    previous_sha256: str | None = None  # sha256 of the last ok snapshot of the same URL
    changed: bool | None = None  # None when there is no previous ok snapshot to compare

    @property
    def ok(self) -> bool:
        """True when a usable body was received."""
        return self.outcome == "ok"

    @property
    def headers(self) -> dict[str, str]:
        """The response headers, decoded from ``headers_json``."""
        return json.loads(self.headers_json or "{}")

    def to_record(self) -> dict[str, Any]:
        """A JSON-safe dict of every field except ``body``."""
        record = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "body"}
        record["fetched_at"] = self.fetched_at.isoformat()
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any], body: bytes | None = None) -> FetchOutcome:
        """Rebuild an outcome from ``to_record`` output (unknown keys are ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in record.items() if k in names and k != "body"}
        values["fetched_at"] = dt.datetime.fromisoformat(values["fetched_at"])
        return cls(**values, body=body)


# --- charset detection ------------------------------------------------------------------------

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
# Servers that declare these usually mean "nobody configured a charset" (Apache's old default).
_WEAK_HEADER_CHARSETS = frozenset({"iso-8859-1", "ascii"})
_TEXTUAL = ("text/", "application/xhtml+xml", "application/xml", "application/json")


def _charset_label(name: str) -> str | None:
    """A canonical, Python-decodable label for a charset name, or None if Python does not know it."""
    try:
        codec = codecs.lookup(name.strip().strip("\"'")).name
    except (LookupError, ValueError):
        return None
    if re.fullmatch(r"cp125\d", codec):
        return "windows-" + codec[2:]
    match = re.fullmatch(r"iso8859-(\d+)", codec)
    if match:
        return f"iso-8859-{match.group(1)}"
    return codec.replace("_", "-")


def _header_charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header, if any."""
    if not content_type:
        return None
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def detect_encoding(body: bytes, content_type: str | None = None) -> str | None:
    """The charset of a text body: BOM, then the header's charset, then <meta>, then charset-normalizer.

    Never falls back to ISO-8859-1 just because the header is silent (requests' RFC 2616 default),
    which is what turns windows-1251 pages into mojibake. Returns None for an empty body or when
    nothing can be determined.
    """
    if not body:
        return None
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return codec
    weak_header: str | None = None
    declared = _header_charset(content_type)
    if declared:
        label = _charset_label(declared)
        if label and label not in _WEAK_HEADER_CHARSETS:
            return label
        weak_header = label
    match = _META_CHARSET.search(body[:4096])
    if match:
        label = _charset_label(match.group(1).decode("ascii", "ignore"))
        if label and label.startswith("utf-16"):
            label = "utf-8"  # an ASCII-readable <meta> cannot be in UTF-16 (WHATWG rule)
        if label:
            return label
    if weak_header and body.isascii():
        return weak_header
    best = charset_normalizer.from_bytes(body[:200_000]).best()
    label = _charset_label(best.encoding) if best is not None and best.encoding else None
    if label == "ascii":
        return "utf-8"  # ASCII is a subset; UTF-8 is the safer label downstream
    if label != "utf-8":
        label = _prefer_cyrillic(body, label or weak_header)
    return label or weak_header


_CYRILLIC_CANDIDATES = ("windows-1251", "koi8-r")
_HIGH_BYTES = bytes(range(0x80, 0x100))
_ASCII_LETTERS = bytes(range(0x41, 0x5B)) + bytes(range(0x61, 0x7B))


def _cyrillic_score(text: str) -> float:
    """How much a decoded text looks like Russian/Kazakh prose: Cyrillic, mostly lower-case, no U+FFFD."""
    letters = [c for c in text if c.isalpha() and not c.isascii()]
    if not letters:
        return 0.0
    cyrillic = [c for c in letters if "\u0400" <= c <= "\u04ff"]
    lower = sum(c.islower() for c in cyrillic)
    replaced = text.count("\ufffd") / max(len(text), 1)
    return len(cyrillic) / len(letters) + 0.5 * lower / max(len(cyrillic), 1) - 10 * replaced


def _latin_score(text: str) -> float:
    """How much the non-ASCII letters of a decoded text look like accented Latin letters."""
    letters = [c for c in text if c.isalpha() and not c.isascii()]
    if not letters:
        return 0.0
    latin = sum("\u00c0" <= c <= "\u024f" for c in letters)
    replaced = text.count("\ufffd") / max(len(text), 1)
    return latin / len(letters) - 10 * replaced


def _prefer_cyrillic(body: bytes, label: str | None) -> str | None:
    """A second opinion on the detector, which errs on short pages (cp1251 read as Shift-JIS...).

    When most letters are non-ASCII bytes (Russian or Kazakh prose) the Cyrillic single-byte codecs
    compete; when they are sparse (a Western page with a few accents, like old Avalon pages)
    windows-1252 does, so that such a page is never "corrected" into Cyrillic or CJK.
    """
    sample = body[:200_000]
    high = len(sample) - len(sample.translate(None, _HIGH_BYTES))
    ascii_letters = len(sample) - len(sample.translate(None, _ASCII_LETTERS))
    if high == 0:
        return label
    dense = high / (high + ascii_letters) >= 0.3
    candidates = _CYRILLIC_CANDIDATES if dense else ("windows-1252",)
    score = _cyrillic_score if dense else _latin_score
    scores: dict[str, float] = {}
    for candidate in (label, *candidates):
        if candidate is None or candidate in scores:
            continue
        try:
            scores[candidate] = score(sample.decode(candidate, errors="replace"))
        except LookupError:
            continue
    if not scores:
        return label
    best = max(scores, key=lambda c: scores[c])
    return best if scores[best] > scores.get(label or "", -1.0) else label


# --- internals: per-fetch context, host state, retry subclass ---------------------------------


class _DeadlineExceeded(Exception):
    """Raised inside the pacer when waiting would overrun the URL's total deadline."""


class _BreakerOpened(Exception):
    """Raised from Retry.increment when a connection failure opens the host's circuit breaker."""

    def __init__(self, error: Exception, message: str) -> None:
        super().__init__(message)
        self.error = error


@dataclass
class _FetchContext:
    """Mutable state of one ``fetch`` call, kept thread-local so the Retry hooks can reach it."""

    deadline: float
    attempts: int = 0
    counting: bool = True  # False while fetching robots.txt: those requests are not the URL's attempts
    current_key: str = ""
    current_url: str = ""


@dataclass
class _HostState:
    """Per ``host:port``: the in-flight lock, the pacing clock, and the circuit breaker."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    last_start: float | None = None
    interval: float = 0.0
    failures: int = 0
    down_reason: str | None = None


@dataclass(frozen=True)
class _RobotsRules:
    """A parsed robots.txt, or a blanket decision when it could not be used."""

    parser: Protego | None = None
    disallow_reason: str | None = None  # set -> every URL on the origin is disallowed this run


@dataclass
class _Hop:
    """The result of one request (or of a refusal before sending one)."""

    url: str
    outcome: str | None = None  # None -> a response to classify
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    size: int | None = None
    location: str | None = None
    error: str | None = None
    via: str = "direct"
    host_failure: bool = False  # counted against the host's breaker (a stalled or too slow body)


class _PoliteRetry(Retry):
    """urllib3 Retry whose sleeps go through the per-host pacer and whose failures feed the breaker."""

    hooks: PoliteFetcher | None = None

    def new(self, **kw: Any) -> _PoliteRetry:  # type: ignore[override]
        """Copy, keeping the hooks (urllib3 builds a new Retry on every increment)."""
        retry = super().new(**kw)
        retry.hooks = self.hooks
        return retry

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):  # type: ignore[no-untyped-def]
        """Count a connection failure against the host before deciding whether to retry."""
        if error is not None and self.hooks is not None:
            self.hooks._on_attempt_error(error)
        if error is not None and _certificate_failure(error) is not None:
            # A certificate the trust store cannot verify will not verify on a second try either.
            raise urllib3.exceptions.MaxRetryError(_pool, url, reason=error) from error
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def get_retry_after(self, response: Any) -> float | None:
        """Retry-After in seconds, capped by ``retry_after_max``; None when absent or unparseable."""
        try:
            return super().get_retry_after(response)
        except urllib3.exceptions.InvalidHeader:
            return None

    def sleep(self, response: Any = None) -> None:
        """Wait Retry-After (capped) or the backoff, then for the host's interval, via the pacer."""
        wait: float | None = None
        if self.respect_retry_after_header and response is not None:
            wait = self.get_retry_after(response)
        if wait is None:
            wait = self.get_backoff_time()
        if self.hooks is None:
            if wait > 0:
                time.sleep(wait)
            return
        self.hooks._pause_before_retry(wait)


def _exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (MaxRetryError.reason, args, __cause__, __context__)."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        nested = [getattr(current, "reason", None), getattr(current, "original_error", None), current.__cause__, current.__context__]
        nested += [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
        stack.extend(n for n in nested if isinstance(n, BaseException))


_OFFLINE_ERRNOS = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN})


def classify_error(exc: BaseException) -> tuple[str, bool]:
    """Map a requests/urllib3/socket exception to (outcome, is_connection_level_failure)."""
    chain = list(_exception_chain(exc))
    if any(isinstance(e, (urllib3.exceptions.NameResolutionError, socket.gaierror)) for e in chain):
        return "offline", True
    if any(isinstance(e, OSError) and e.errno in _OFFLINE_ERRNOS for e in chain):
        return "offline", True
    if any(isinstance(e, requests.exceptions.ConnectTimeout) for e in chain) or any(
        isinstance(e, urllib3.exceptions.ConnectTimeoutError)
        and not isinstance(e, urllib3.exceptions.NewConnectionError)
        for e in chain
    ):
        return "timeout", True
    if any(isinstance(e, urllib3.exceptions.NewConnectionError) for e in chain):
        return "connection_error", True
    if any(isinstance(e, (requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema, requests.exceptions.InvalidURL)) for e in chain):
        return "scheme_refused", False
    if any(isinstance(e, (urllib3.exceptions.ReadTimeoutError, requests.exceptions.ReadTimeout, TimeoutError, socket.timeout)) for e in chain):
        return "timeout", False
    return "connection_error", False


def _certificate_failure(error: BaseException) -> BaseException | None:
    """The certificate-verification error inside ``error`` (bad chain, unknown CA, wrong host name), if any."""
    return next(
        (e for e in _exception_chain(error) if isinstance(e, (ssl.SSLCertVerificationError, ssl.CertificateError))),
        None,
    )


def _tls_failure(error: BaseException) -> BaseException | None:
    """The TLS error inside ``error`` (certificate or handshake), if any."""
    tls = next((e for e in _exception_chain(error) if isinstance(e, ssl.SSLError)), None)
    return tls or _certificate_failure(error)


def _counts_against_host(error: BaseException) -> bool:
    """True for errors that say the host is unreachable or unresponsive: refused, DNS, any timeout.

    A read timeout is counted too: a host that accepts connections and never answers is as dead,
    for this run, as one that refuses them, and would otherwise cost a full deadline per URL.
    """
    return any(
        isinstance(e, (urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.ReadTimeoutError, socket.timeout,
                       # a host that accepts and then resets every connection is as unreachable as one that refuses
                       ConnectionResetError, ConnectionAbortedError))
        for e in _exception_chain(error)
    )


def _media_type(content_type: str | None) -> str | None:
    """The lower-cased media type of a Content-Type header without parameters."""
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def _tls_verify(ca_bundle: str | None) -> str | bool:
    """What requests' ``verify`` gets: the CA bundle path, else True (the default trust store); never False.

    A ca_bundle that is not an existing file or folder raises ValueError naming it: requests would
    otherwise fail every HTTPS URL with a message about a "TLS CA certificate bundle", and a value like
    "false" or "0" (meant to switch verification off) must never be taken for anything but a path.
    """
    if ca_bundle is None or not str(ca_bundle).strip():
        return True
    path = os.path.expanduser(str(ca_bundle).strip())
    if not (os.path.isfile(path) or os.path.isdir(path)):
        raise ValueError(
            f"ca_bundle {ca_bundle!r} is not a CA bundle file or folder (TLS verification cannot be switched off;"
            " unset ATOP_HTTP_CA_BUNDLE to use the system trust store)"
        )
    return os.path.abspath(path)


def _response_socket(response: requests.Response) -> socket.socket | None:
    """The socket a streamed response is read from, when urllib3 still exposes it."""
    try:
        sock = response.raw.connection.sock  # type: ignore[union-attr]
    except AttributeError:
        return None
    return sock if hasattr(sock, "settimeout") else None


def _peer_address(response: requests.Response) -> str | None:
    """The IP address of the connected peer, when urllib3 still exposes the socket."""
    try:
        sock = response.raw.connection.sock  # type: ignore[union-attr]
        return str(sock.getpeername()[0])
    except (AttributeError, OSError, IndexError, TypeError):
        return None


# --- the header watchdog ----------------------------------------------------------------------
#
# A read timeout bounds each socket read, not a response: a server sending one header byte per
# read timeout would hold ``getresponse`` for days (http.client reads a 64 KiB line a byte at a time).
# The fetcher's pools use connections whose ``getresponse`` runs under a timer that shuts the socket
# down when the headers are late; the body has its own deadline in ``PoliteFetcher._read_body``.

_header_watch = threading.local()  # .seconds: how long this thread's next response headers may take


class _HeadersTooSlow(Exception):
    """Raised from getresponse when the header watchdog cut the connection (never retried by urllib3)."""


class _WatchedResponseMixin:
    """``getresponse`` under a watchdog timer (the limit comes from the calling thread's ``_header_watch``)."""

    sock: Any

    def getresponse(self):  # type: ignore[no-untyped-def]
        """The response headers, or _HeadersTooSlow once the watched thread's limit has passed."""
        limit = getattr(_header_watch, "seconds", None)
        sock = self.sock
        if limit is None or sock is None:
            return super().getresponse()  # type: ignore[misc]
        fired = threading.Event()

        def cut() -> None:
            fired.set()
            try:
                # The plain socket's shutdown, also for TLS: the reader thread owns the SSL object;
                # shutting the descriptor down makes its blocked read return at once.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except (OSError, TypeError):
                pass

        timer = threading.Timer(limit, cut)
        timer.daemon = True
        timer.start()
        message = f"the response headers did not arrive within {limit:.1f} s"
        try:
            response = super().getresponse()  # type: ignore[misc]
        except BaseException as exc:
            if fired.is_set():
                raise _HeadersTooSlow(message) from exc
            raise
        finally:
            timer.cancel()
        if fired.is_set():
            # http.client takes the shut-down socket's EOF for the end of the headers: they are partial.
            response.close()
            raise _HeadersTooSlow(message)
        return response


class _WatchedHTTPConnection(_WatchedResponseMixin, urllib3.connection.HTTPConnection):
    """urllib3's HTTP connection with the header watchdog."""


class _WatchedHTTPSConnection(_WatchedResponseMixin, urllib3.connection.HTTPSConnection):
    """urllib3's HTTPS connection with the header watchdog."""


class _WatchedHTTPConnectionPool(urllib3.connectionpool.HTTPConnectionPool):
    """HTTP pool handing out watched connections."""

    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSConnectionPool(urllib3.connectionpool.HTTPSConnectionPool):
    """HTTPS pool handing out watched connections."""

    ConnectionCls = _WatchedHTTPSConnection


def _watch_pools(manager: Any) -> Any:
    """Make a urllib3 pool/proxy manager build watched pools (a SOCKS manager's own pools are left alone)."""
    if getattr(manager, "pool_classes_by_scheme", None) is urllib3.poolmanager.pool_classes_by_scheme:
        manager.pool_classes_by_scheme = {"http": _WatchedHTTPConnectionPool, "https": _WatchedHTTPSConnectionPool}
    return manager


class _WatchedAdapter(HTTPAdapter):
    """requests' adapter whose pools (direct and through a proxy) use watched connections."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """The usual pool manager, with watched pools."""
        super().init_poolmanager(*args, **kwargs)
        _watch_pools(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        """The usual proxy manager, with watched pools."""
        return _watch_pools(super().proxy_manager_for(proxy, **proxy_kwargs))


# --- the fetcher ------------------------------------------------------------------------------


class PoliteFetcher:
    """Fetches URLs politely and records every result as a ``FetchOutcome``; safe to share across threads."""

    def __init__(
        self,
        settings: FetchSettings | None = None,
        *,
        store: SnapshotStore | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        resolver: Resolver = socket.getaddrinfo,
    ) -> None:
        self.settings = settings or FetchSettings()
        self.store = store
        self._clock = clock
        self._sleep = sleep
        self._resolver = resolver
        self._policy = self.settings.address_policy()
        self._verify = _tls_verify(self.settings.ca_bundle)
        self._hosts: dict[str, _HostState] = {}
        self._hosts_lock = threading.Lock()
        self._robots: dict[str, _RobotsRules] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        self._local = threading.local()
        self._network_failures = 0
        self._network_down_reason: str | None = None
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        #: (host key, url, clock time) of every request start, in order: the pacing audit trail.
        self.request_starts: list[tuple[str, str, float]] = []

    # -- public API --

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchOutcome:
        """Fetch one URL and return what happened; never raises for network or HTTP problems.

        With a store, the conditional validators come from the URL's last good snapshot unless given,
        ``previous_sha256``/``changed`` are filled from it, and the outcome is recorded.
        """
        fetched_at = dt.datetime.now(dt.timezone.utc)
        started = self._clock()
        previous = self.store.last_good(url, with_body=False) if self.store is not None else None
        if previous is not None and etag is None and last_modified is None:
            etag, last_modified = _validators(previous)
        headers = self._base_headers()
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        context = _FetchContext(deadline=started + self.settings.total_deadline_s, current_url=url)
        outer = getattr(self._local, "context", None)
        self._local.context = context
        try:
            hop = self._fetch_chain(url, headers, check_robots=True, max_bytes=self.settings.max_bytes)
        finally:
            self._local.context = outer
        outcome = self._to_outcome(url, hop, fetched_at, context.attempts, self._clock() - started)
        if previous is not None:
            outcome.previous_sha256 = previous.sha256
            if outcome.outcome == "ok":
                outcome.changed = outcome.sha256 != previous.sha256
            elif outcome.outcome == "not_modified":
                outcome.changed = False
        if self.store is not None:
            self.store.record(outcome)
        return outcome

    def is_host_down(self, url: str) -> bool:
        """True once the circuit breaker has opened for the URL's host."""
        return self._host(host_key(url)).down_reason is not None

    def close(self) -> None:
        """Close every HTTP session this fetcher opened."""
        with self._sessions_lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    def __enter__(self) -> PoliteFetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the redirect chain --

    def _fetch_chain(self, url: str, headers: dict[str, str], *, check_robots: bool, max_bytes: int) -> _Hop:
        """Follow redirects by hand, checking scheme, addresses, the breaker and robots at every hop."""
        chain = [url]
        current = url
        while True:
            key = host_key(current)
            self._context().current_key = key
            if self._network_down_reason is not None:
                return _Hop(current, "offline", error=self._network_down_reason)
            state = self._host(key)
            if state.down_reason is not None:
                # Checked before resolving: a dead or offline host costs nothing more this run.
                return _Hop(current, "host_down", error=state.down_reason)
            decision = check_url(current, self._policy, resolver=self._resolver)
            if not decision.allowed:
                if decision.outcome == "offline":
                    self._record_connect_failure(key, decision.reason)
                    if decision.network_down:
                        self._record_network_failure(decision.reason)
                return _Hop(current, decision.outcome, error=decision.reason, via=decision.via)
            if check_robots and self.settings.respect_robots:
                refusal = self._robots_refusal(current)
                if refusal is not None:
                    refusal.via = decision.via
                    return refusal
            hop = self._request(current, headers, max_bytes=max_bytes, via=decision.via)
            if hop.location is None:
                return hop
            target = urljoin(current, hop.location).split("#", 1)[0]
            if target in chain:
                hop.outcome = "redirect_loop"
                hop.error = "redirect loop: " + " -> ".join([*chain, target])
                return hop
            if len(chain) > self.settings.max_redirects:
                hop.outcome = "too_many_redirects"
                hop.error = f"more than {self.settings.max_redirects} redirects: " + " -> ".join([*chain, target])
                return hop
            chain.append(target)
            current = target

    # -- one request --

    def _request(self, url: str, headers: dict[str, str], *, max_bytes: int, via: str) -> _Hop:
        """Send one GET (urllib3 retries included) under the host's lock and read the capped body."""
        key = host_key(url)
        state = self._host(key)
        context = self._context()
        context.current_url = url  # retries of this request (robots.txt included) are logged under it
        with state.lock:
            try:
                self._wait_turn(key, url)
                _header_watch.seconds = self._header_limit(context)
                response = self._session().get(
                    url,
                    headers=headers,
                    stream=True,
                    allow_redirects=False,
                    timeout=self._timeouts(),
                    # Per request, not only on the session: requests lets REQUESTS_CA_BUNDLE /
                    # CURL_CA_BUNDLE replace a session-level bundle, which silently ignored ca_bundle.
                    verify=self._verify,
                )
            except _DeadlineExceeded as exc:
                return _Hop(url, "timeout", error=str(exc), via=via)
            except _HeadersTooSlow as exc:
                error = f"{TOO_SLOW}: {url}: {exc} ({self._deadline_name(context)})"
                self._record_connect_failure(key, error)
                return _Hop(url, "timeout", error=error, via=via, host_failure=True)
            except _BreakerOpened as exc:
                outcome, _ = classify_error(exc.error)
                return _Hop(url, outcome, error=f"{exc} (last error: {exc.error})", via=via)
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                outcome, _ = classify_error(exc)
                tls = _tls_failure(exc)
                if tls is not None:
                    return _Hop(url, outcome, error=self._tls_message(url, tls), via=via)
                return _Hop(url, outcome, error=f"{type(exc).__name__}: {exc}", via=via)
            finally:
                _header_watch.seconds = None
            hop: _Hop | None = None
            try:
                with self._hosts_lock:
                    self._network_failures = 0  # something answered: the network is up
                hop = _Hop(url, status=response.status_code, headers=dict(response.headers), via=via)
                if via == "direct":
                    peer = _peer_address(response)
                    refused = check_address(peer, self._policy) if peer else None
                    if refused is not None:
                        hop.outcome, hop.error = "address_refused", f"connected peer: {refused}"
                        return hop
                if response.status_code in REDIRECT_STATUSES:
                    hop.location = response.headers.get("Location")
                    if hop.location is None:
                        hop.error = f"HTTP {response.status_code} without a Location header"
                    return hop
                self._read_body(response, hop, max_bytes, context)
                return hop
            finally:
                response.close()
                if hop is not None and not hop.host_failure:
                    # The host answered in full: the breaker counts *consecutive* failures. Reset only
                    # now, not when the headers arrive, or a host that answers headers promptly and then
                    # trickles or stalls the body would never open it.
                    with self._hosts_lock:
                        state.failures = 0

    def _header_limit(self, context: _FetchContext) -> float:
        """Seconds the next response's headers may take: the response deadline or what is left of the URL's.

        Never under a second (or the response deadline, if shorter): the watchdog runs on real time, and
        a URL deadline nearly used up (or a fake test clock far along) must not cut a prompt answer.
        """
        deadline = self.settings.response_deadline_s
        return max(min(deadline, context.deadline - self._clock()), min(deadline, 1.0))

    def _deadline_name(self, context: _FetchContext, started: float | None = None) -> str:
        """Which deadline bounds a response that started at ``started`` (now by default), for messages."""
        started = self._clock() if started is None else started
        if started + self.settings.response_deadline_s <= context.deadline:
            return f"response deadline of {self.settings.response_deadline_s:g} s"
        return f"total deadline of {self.settings.total_deadline_s:g} s for the URL"

    def _tls_message(self, url: str, error: BaseException) -> str:
        """A TLS failure as a recorded message: the URL, OpenSSL's reason and which CAs were trusted."""
        trusted = f"ca_bundle {self._verify}" if isinstance(self._verify, str) else "the system trust store"
        reason = getattr(error, "verify_message", None) or getattr(error, "reason", None) or str(error)
        kind = "certificate verification failed" if _certificate_failure(error) is not None else "TLS handshake failed"
        hint = " (a server sending an incomplete chain needs a ca_bundle holding its intermediate)" \
            if "local issuer" in str(error) else ""
        return f"TLS error for {url}: {kind}: {reason} (trusting {trusted}){hint}"

    def _read_body(self, response: requests.Response, hop: _Hop, max_bytes: int, context: _FetchContext) -> None:
        """Stream the decoded body into ``hop``, stopping at ``max_bytes`` or the body's deadline.

        The deadline is ``response_deadline_s`` from the headers, or the URL's total deadline if that
        comes first. A body that misses it is a ``timeout`` whose message starts with ``too_slow`` and
        names the URL and the deadline; nothing of it is kept, and it counts against the host.
        """
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        declared = response.headers.get("Content-Length", "").strip()
        if declared.isdigit() and int(declared) > max_bytes and encoding in ("", "identity"):
            hop.outcome, hop.size = "too_large", int(declared)
            hop.error = f"Content-Length {declared} exceeds the cap of {max_bytes} bytes"
            return
        started = self._clock()
        response_deadline = started + self.settings.response_deadline_s
        deadline = min(response_deadline, context.deadline)
        limit = self._deadline_name(context, started)
        sock = _response_socket(response)
        read_timeout = self.settings.read_timeout_s
        buffer = bytearray()

        def too_slow() -> None:
            hop.outcome, hop.size, hop.host_failure = "timeout", len(buffer), True
            hop.error = (
                f"{TOO_SLOW}: {hop.url} sent {len(buffer)} bytes of its body in {self._clock() - started:.1f} s"
                f" and did not finish within the {limit}"
            )
            self._record_connect_failure(context.current_key, hop.error)

        try:
            # urllib3 (>= 2.6) bounds each decoded chunk by the amount asked for, so a gzip bomb is
            # stopped after max_bytes + one chunk of *decoded* data, never inflated whole.
            # read1 returns whatever one read brings (stream() would keep reading until 64 KB arrive),
            # so the deadline is checked after every read and a byte-trickling server is cut off; the
            # socket timeout is shortened to what is left of the deadline, so a server sending one
            # byte just inside every read timeout cannot overrun it by a whole read timeout either.
            while True:
                remaining = deadline - self._clock()
                if remaining <= 0:
                    too_slow()
                    return
                bounded = remaining < read_timeout
                if sock is not None:
                    sock.settimeout(max(min(read_timeout, remaining), 0.01))
                try:
                    chunk = response.raw.read1(_CHUNK, decode_content=True)
                except (urllib3.exceptions.ReadTimeoutError, TimeoutError, socket.timeout):
                    if bounded:  # the wait was cut short by the deadline, not by the read timeout
                        too_slow()
                        return
                    raise
                if not chunk:
                    break
                buffer += chunk
                if len(buffer) > max_bytes:
                    hop.outcome, hop.size = "too_large", len(buffer)
                    hop.error = f"body exceeds the cap of {max_bytes} bytes (after content decoding)"
                    return
        except urllib3.exceptions.DecodeError as exc:
            hop.outcome, hop.error = "http_error", f"undecodable Content-Encoding {encoding!r}: {exc}"
            return
        except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
            hop.outcome, _ = classify_error(exc)
            hop.error = f"while reading the body of {hop.url}: {type(exc).__name__}: {exc}"
            hop.size = len(buffer)
            if _counts_against_host(exc):
                hop.host_failure = True
                self._record_connect_failure(context.current_key, hop.error)
            return
        hop.body = bytes(buffer)
        hop.size = len(buffer)

    # -- pacing, breaker and retry hooks --

    def _host(self, key: str) -> _HostState:
        """The state of ``host:port``, created on first use."""
        with self._hosts_lock:
            state = self._hosts.get(key)
            if state is None:
                state = self._hosts[key] = _HostState(interval=self.settings.min_interval_s)
            return state

    def _context(self) -> _FetchContext:
        """The running fetch's context (a throwaway one outside ``fetch``)."""
        context = getattr(self._local, "context", None)
        if context is None:
            context = _FetchContext(deadline=self._clock() + self.settings.total_deadline_s)
            self._local.context = context
        return context

    def _wait_turn(self, key: str, url: str) -> None:
        """Block until the host's interval since its last request start has passed, then mark a start.

        The caller holds the host's lock, so this is also the "one request in flight" guarantee.
        """
        state = self._host(key)
        context = self._context()
        if state.last_start is not None:
            target = state.last_start + state.interval
            while (now := self._clock()) < target:
                if target > context.deadline:
                    raise _DeadlineExceeded(
                        f"total deadline of {self.settings.total_deadline_s} s would pass waiting for {key}'s interval"
                    )
                self._sleep(target - now)
        state.last_start = self._clock()
        if context.counting:
            context.attempts += 1
        self.request_starts.append((key, url, state.last_start))

    def _pause_before_retry(self, wait: float) -> None:
        """Retry hook: sleep the Retry-After/backoff wait, then the host's interval, then mark a start."""
        context = self._context()
        if wait > 0:
            if self._clock() + wait > context.deadline:
                raise _DeadlineExceeded(
                    f"total deadline of {self.settings.total_deadline_s} s would pass before the next retry"
                    f" (server asked for {wait:g} s)"
                )
            self._sleep(wait)
        self._wait_turn(context.current_key, context.current_url)

    def _on_attempt_error(self, error: Exception) -> None:
        """Retry hook: count a connection-level failure; raise to stop retrying once the breaker opens."""
        if not _counts_against_host(error):
            return
        if classify_error(error)[0] == "offline":
            self._record_network_failure(f"{type(error).__name__}: {error}")
        key = self._context().current_key
        if self._record_connect_failure(key, f"{type(error).__name__}: {error}"):
            raise _BreakerOpened(error, self._host(key).down_reason or "host down")

    def _record_connect_failure(self, key: str, reason: str) -> bool:
        """Count one failure to reach, hear from or finish reading ``key``; True when this opens the breaker."""
        state = self._host(key)
        with self._hosts_lock:
            if state.down_reason is not None:
                return True
            state.failures += 1
            if state.failures >= self.settings.circuit_breaker_failures:
                state.down_reason = (
                    f"circuit breaker open for {key} after {state.failures} consecutive failures"
                    f" (unreachable, unresponsive or too slow); last: {reason}"
                )
                log.warning("%s", state.down_reason)
                return True
        return False

    def _record_network_failure(self, reason: str) -> None:
        """Count a "network unreachable" failure (any host); after N in a row every fetch is offline."""
        with self._hosts_lock:
            if self._network_down_reason is not None:
                return
            self._network_failures += 1
            if self._network_failures >= self.settings.circuit_breaker_failures:
                self._network_down_reason = (
                    f"network unreachable: {self._network_failures} consecutive lookups/connections failed "
                    f"on any host; last: {reason}"
                )
                log.warning("%s", self._network_down_reason)

    # -- robots.txt --

    def _robots_refusal(self, url: str) -> _Hop | None:
        """A hop refusing ``url`` per robots.txt (or the failure to fetch it), or None when allowed."""
        parts = urlsplit(url)
        origin = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
        with self._hosts_lock:
            lock = self._robots_locks.setdefault(origin, threading.Lock())
        with lock:
            rules = self._robots.get(origin)
            if rules is None:
                loaded = self._load_robots(origin)
                if isinstance(loaded, _Hop):
                    loaded.url = url
                    loaded.error = f"{url} not requested: {loaded.error}"
                    return loaded
                rules = self._robots[origin] = loaded
        if rules.disallow_reason is not None:
            return _Hop(url, "robots_disallowed", error=rules.disallow_reason)
        token = self.settings.robots_user_agent
        if rules.parser is not None and not rules.parser.can_fetch(url, token):
            return _Hop(url, "robots_disallowed", error=f"{origin}/robots.txt disallows {parts.path or '/'} for {token}")
        return None

    def _load_robots(self, origin: str) -> _RobotsRules | _Hop:
        """Fetch and interpret ``origin``/robots.txt; an unreachable host comes back as a failed hop."""
        robots_url = origin + "/robots.txt"
        context = self._context()
        counting, context.counting = context.counting, False
        try:
            headers = self._base_headers() | {"Accept": "text/plain,*/*;q=0.5"}
            hop = self._fetch_chain(robots_url, headers, check_robots=False, max_bytes=ROBOTS_MAX_BYTES)
        finally:
            context.counting = counting
        if hop.outcome in UNREACHABLE_OUTCOMES:
            # Not cached: the breaker decides whether the host gets another try.
            hop.error = f"fetching {robots_url}: {hop.error}"
            return hop
        status = hop.status
        if hop.outcome is None and status is not None and 200 <= status < 300:
            text = (hop.body or b"").decode("utf-8", errors="replace")
            parser = Protego.parse(text)
            self._apply_crawl_delay(host_key(origin), parser)
            return _RobotsRules(parser=parser)
        if status in (401, 403):
            return _RobotsRules(disallow_reason=f"{robots_url} answered {status}: treated as disallow-all")
        if status == 429 or (status is not None and status >= 500):
            return _RobotsRules(disallow_reason=f"{robots_url} answered {status}: not crawling this host this run")
        if hop.outcome is None and status is not None and 400 <= status < 500:
            return _RobotsRules()  # no robots.txt: everything allowed
        if hop.outcome in ("redirect_loop", "too_many_redirects"):
            return _RobotsRules()  # treated like a missing file, as major crawlers do
        return _RobotsRules(disallow_reason=f"{robots_url} unusable ({hop.outcome}: {hop.error}): not crawling this run")

    def _apply_crawl_delay(self, key: str, parser: Protego) -> None:
        """Raise the host's interval to robots' Crawl-delay / Request-rate (clamped to max_crawl_delay_s)."""
        token = self.settings.robots_user_agent
        delays = [self.settings.min_interval_s]
        crawl_delay = parser.crawl_delay(token)
        if crawl_delay:
            delays.append(float(crawl_delay))
        rate = parser.request_rate(token)
        if rate is not None and rate.requests:
            delays.append(float(rate.seconds) / float(rate.requests))
        interval = max(delays)
        if interval > self.settings.max_crawl_delay_s:
            log.warning("robots.txt for %s asks for %.0f s between requests; clamped to %.0f s", key, interval, self.settings.max_crawl_delay_s)
            interval = self.settings.max_crawl_delay_s
        self._host(key).interval = max(interval, self.settings.min_interval_s)

    # -- plumbing --

    def _base_headers(self) -> dict[str, str]:
        """Identifying request headers sent with every request."""
        return {
            "User-Agent": self.settings.user_agent,
            "Accept": self.settings.accept,
            "Accept-Language": self.settings.accept_language,
            # Only codings we decode with a bounded decoder; no br/zstd surprises.
            "Accept-Encoding": "gzip, deflate",
        }

    def _timeouts(self) -> tuple[float, float]:
        """(connect, read) timeouts for requests, shortened so one attempt cannot outlive the URL's deadline."""
        remaining = max(self._context().deadline - self._clock(), 0.1)
        return (min(self.settings.connect_timeout_s, remaining), min(self.settings.read_timeout_s, remaining))

    def _session(self) -> requests.Session:
        """This thread's Session (requests sessions are not documented as thread-safe)."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            retries = self.settings.max_retries
            retry = _PoliteRetry(
                total=retries,
                connect=retries,
                read=retries,
                status=retries,
                other=min(retries, 1),  # e.g. one transient SSL record error, seen on adilet
                redirect=0,
                backoff_factor=self.settings.backoff_factor,
                backoff_max=self.settings.retry_after_cap_s,
                backoff_jitter=self.settings.backoff_jitter_s,
                retry_after_max=self.settings.retry_after_cap_s,
                status_forcelist=RETRY_STATUSES,
                allowed_methods=frozenset({"GET", "HEAD"}),
                respect_retry_after_header=True,
                raise_on_status=False,
                raise_on_redirect=False,
            )
            retry.hooks = self
            adapter = _WatchedAdapter(max_retries=retry)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.verify = self._verify
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def _to_outcome(self, url: str, hop: _Hop, fetched_at: dt.datetime, attempts: int, elapsed: float) -> FetchOutcome:
        """Turn the last hop into the recorded outcome, classifying status and content type."""
        content_type = next((v for k, v in hop.headers.items() if k.lower() == "content-type"), None)
        outcome, error = hop.outcome, hop.error
        if outcome is None:
            status = hop.status or 0
            media = _media_type(content_type)
            if status == 304:
                outcome = "not_modified"
            elif status in (404, 410):
                outcome = "not_found"
            elif 200 <= status < 300:
                if media is not None and media not in self.settings.allowed_content_types:
                    outcome, error = "bad_content_type", f"content type {media} is not accepted"
                else:
                    outcome = "ok"
            else:
                outcome = "http_error"
                error = error or f"HTTP {status}"
        body = hop.body
        encoding = None
        media = _media_type(content_type)
        if body and (media is None or media.startswith(_TEXTUAL)):
            encoding = detect_encoding(body, content_type)
        return FetchOutcome(
            snapshot_id=uuid.uuid4().hex,
            url=url,
            final_url=hop.url,
            fetched_at=fetched_at,
            outcome=outcome,
            status_code=hop.status,
            headers_json=json.dumps(hop.headers, ensure_ascii=False),
            content_type=content_type,
            encoding=encoding,
            sha256=hashlib.sha256(body).hexdigest() if body is not None else None,
            size=len(body) if body is not None else hop.size,
            body=body,
            fetched_via=hop.via,
            attempts=attempts,
            elapsed_s=round(elapsed, 6),
            error_message=error,
        )


def _validators(previous: FetchOutcome) -> tuple[str | None, str | None]:
    """The ETag and Last-Modified of a previous snapshot, for a conditional GET."""
    headers = {k.lower(): v for k, v in previous.headers.items()}
    return headers.get("etag"), headers.get("last-modified")
