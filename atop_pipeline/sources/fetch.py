"""Batch fetching of many URLs (hosts in parallel, each host strictly serial) and single-file download.

``fetch_all`` is what the source-documents step calls with every URL the sheets cite;
``download`` is what the reading step calls when the configured codesheet source is a URL.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from atop_pipeline.sources.addresses import host_key
from atop_pipeline.sources.http import FetchOutcome, PoliteFetcher

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_EXTENSION_BY_TYPE = {
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "application/x-zip-compressed": ".zip",
    "text/plain": ".txt",
    "text/html": ".html",
}


class DownloadError(Exception):
    """A URL could not be downloaded; the message names the URL and the recorded outcome."""

    def __init__(self, url: str, outcome: FetchOutcome | None, message: str) -> None:
        super().__init__(message)
        self.url = url
        self.outcome = outcome


def fetch_all(urls: Iterable[str], fetcher: PoliteFetcher, *, max_workers: int = 4) -> list[FetchOutcome]:
    """Fetch each distinct URL once, hosts concurrently and each host serially; outcomes in input order.

    One bad host never holds up the others beyond its own circuit breaker, because every host has
    its own worker and the fetcher turns every network problem into an outcome.
    """
    unique = list(dict.fromkeys(u.strip() for u in urls if u and u.strip()))
    by_host: dict[str, list[str]] = {}
    for url in unique:
        by_host.setdefault(_safe_host_key(url), []).append(url)

    def fetch_host(host_urls: list[str]) -> list[FetchOutcome]:
        return [fetcher.fetch(url) for url in host_urls]

    results: dict[str, FetchOutcome] = {}
    with ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="fetch") as pool:
        for outcomes in pool.map(fetch_host, by_host.values()):
            for outcome in outcomes:
                results[outcome.url] = outcome
    return [results[url] for url in unique]


def _safe_host_key(url: str) -> str:
    """The host key, or the URL itself when it is too malformed to have one (refused later)."""
    try:
        return host_key(url)
    except ValueError:
        return url


def safe_file_name(url: str, sha256: str, content_type: str | None = None) -> str:
    """``<sha256[:16]>-<sanitised basename of the URL path>``, with an extension from the content type if missing."""
    path = unquote(urlsplit(url).path)
    base = PurePosixPath(path.replace("\\", "/")).name
    base = _UNSAFE.sub("_", base).strip("._")[:100] or "download"
    if not PurePosixPath(base).suffix and content_type:
        base += _EXTENSION_BY_TYPE.get(content_type.split(";", 1)[0].strip().lower(), "")
    return f"{sha256[:16]}-{base}"


def download(url: str, dest_dir: Path | str, fetcher: PoliteFetcher) -> Path:
    """Fetch ``url`` and keep its bytes under ``dest_dir``; returns the file's path.

    The name is derived from the content's sha256 and the URL's basename, so the same content is
    kept once and a hostile URL cannot name a file outside ``dest_dir``. Raises DownloadError naming
    the URL when the fetch does not yield a body.
    """
    outcome = fetcher.fetch(url)
    body = outcome.body
    if outcome.outcome == "not_modified" and fetcher.store is not None:
        last = fetcher.store.last_good(url)
        if last is not None:
            outcome, body = last, last.body
    if not outcome.ok or body is None or outcome.sha256 is None:
        detail = outcome.error_message or (f"HTTP {outcome.status_code}" if outcome.status_code else "no body")
        raise DownloadError(url, outcome, f"could not download {url}: {outcome.outcome} ({detail})")
    root = Path(dest_dir)
    root.mkdir(parents=True, exist_ok=True)
    name = safe_file_name(outcome.final_url or url, outcome.sha256, outcome.content_type)
    target = (root / name).resolve()
    if not target.is_relative_to(root.resolve()):
        raise DownloadError(url, outcome, f"could not download {url}: file name {name!r} escapes {root}")
    if target.exists():
        return target  # same content hash and name: already kept
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".download-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
