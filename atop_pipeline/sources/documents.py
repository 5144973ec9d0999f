"""Source documents: fetch every cited URL once, fall back from the adilet SPA shell, and read each page.

`fetch_source_documents` is the one orchestration the command, the pipeline and the Dagster layer call.
It returns every outcome it produced (the shell response as well as the fallback's), each with the
reading of its bytes when there was a page to read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit, urlunsplit

from atop_pipeline.sources.adilet_urls import (
    OLD_HOST,
    document_key,
    fallback_urls,
    is_adilet_host,
    is_spa_shell,
)
from atop_pipeline.sources.fetch import fetch_all
from atop_pipeline.sources.http import FetchOutcome
from atop_pipeline.sources.readers import SourceReading, host_of, read_source

#: Outcomes whose body (or, for a 304, the stored body) is a page worth reading.
READABLE_OUTCOMES = frozenset({"ok", "not_modified"})

Document = tuple[FetchOutcome, "SourceReading | None"]


def source_key(url: str) -> str:
    """A key shared by the renderings of one source: adilet by document, others by normalised URL."""
    key = document_key(url)
    if key is not None:
        return key
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    path = parts.path.rstrip("/") or "/"
    # Scheme and fragment do not change the document; host case never does.
    return urlunsplit(("", (parts.hostname or "").lower(), path, parts.query, ""))


def unique_sources(urls: Iterable[str]) -> list[str]:
    """The URLs with duplicates (same `source_key`) removed, first citation kept, order preserved."""
    seen: dict[str, str] = {}
    for url in urls:
        if url and url.strip():
            seen.setdefault(source_key(url), url.strip())
    return list(seen.values())


def _body_for(outcome: FetchOutcome, fetcher: object) -> bytes | None:
    """The bytes to read: the body, or for a 304 the last good stored body of the URL."""
    if outcome.outcome == "ok":
        return outcome.body
    if outcome.outcome == "not_modified":
        if outcome.body:
            return outcome.body
        store = getattr(fetcher, "store", None)
        last = store.last_good(outcome.url) if store is not None else None
        return last.body if last is not None else None
    return None


def read_outcome(outcome: FetchOutcome, body: bytes | None) -> SourceReading | None:
    """The reading of an outcome's bytes, or None when it has no page to read.

    A reader that fails on odd bytes must not stop the batch: the page is then read by the generic
    reader, and the failure is named in the reading's evidence.
    """
    if body is None or outcome.outcome not in READABLE_OUTCOMES | {"spa_shell"}:
        return None
    headers = outcome.headers
    try:
        return read_source(outcome.url, body, headers, snapshot_id=outcome.snapshot_id)
    except Exception as exc:  # noqa: BLE001 - errors are values where a batch must go on
        from atop_pipeline.sources.readers.generic import read_generic

        try:
            generic = read_generic(outcome.url, body, headers, snapshot_id=outcome.snapshot_id)
        except Exception:  # noqa: BLE001
            return None
        return dataclasses.replace(generic, evidence_text=f"site reader failed ({type(exc).__name__}: {exc}); "
                                                          "read with the generic reader")


def _fetch_one_with_fallback(url: str, outcome: FetchOutcome, fetcher: object) -> list[Document]:
    body = _body_for(outcome, fetcher)
    if body is None:
        return [(outcome, None)]
    if not (is_adilet_host(host_of(url)) and is_spa_shell(body)):
        return [(outcome, read_outcome(outcome, body))]
    # adilet answered 200 with the JavaScript shell: that proves nothing about the document (notes §1.11).
    shell = dataclasses.replace(outcome, outcome="spa_shell",
                                error_message=outcome.error_message or "adilet served the JavaScript shell")
    documents: list[Document] = [(shell, read_outcome(shell, body))]
    for alternative in fallback_urls(url):
        fallback = fetcher.fetch(alternative)  # type: ignore[attr-defined]
        fallback = dataclasses.replace(fallback, fetched_via=host_of(alternative) or OLD_HOST)
        alt_body = _body_for(fallback, fetcher)
        if alt_body is not None and is_spa_shell(alt_body):
            fallback = dataclasses.replace(fallback, outcome="spa_shell")
            documents.append((fallback, read_outcome(fallback, alt_body)))
            continue
        documents.append((fallback, read_outcome(fallback, alt_body)))
        if alt_body is not None:
            break
    return documents


def fetch_source_documents(urls: Iterable[str], fetcher: object, *, max_workers: int = 4) -> list[Document]:
    """Fetch each distinct source once and read it; adilet shells fall back to old.adilet.zan.kz.

    Returns (outcome, reading or None) for every fetch made, in citation order, the fallback's right
    after the shell it replaces (its `fetched_via` names the fallback host). Failures are outcomes.
    """
    unique = unique_sources(urls)
    outcomes = fetch_all(unique, fetcher, max_workers=max_workers)  # type: ignore[arg-type]
    documents: list[Document] = []
    for url, outcome in zip(unique, outcomes):
        documents.extend(_fetch_one_with_fallback(url, outcome, fetcher))
    return documents


class DocumentIndex:
    """`documents_for` over many URL lists: each document is keyed once, not once per lookup."""

    def __init__(self, documents: Sequence[Document]) -> None:
        self._documents = list(documents)
        self._by_key: dict[str, list[int]] = {}
        for i, (outcome, _) in enumerate(self._documents):
            self._by_key.setdefault(source_key(outcome.url), []).append(i)

    def documents_for(self, urls: Sequence[str]) -> tuple[list[FetchOutcome], list[SourceReading]]:
        """Same result as `documents_for(urls, documents)`, in document order."""
        hits = sorted({i for key in {source_key(u) for u in urls} for i in self._by_key.get(key, ())})
        outcomes = [self._documents[i][0] for i in hits]
        readings = [r for i in hits if (r := self._documents[i][1]) is not None]
        return outcomes, readings


def documents_for(urls: Sequence[str], documents: Sequence[Document]) -> tuple[list[FetchOutcome], list[SourceReading]]:
    """The outcomes and readings (of any rendering, fallbacks included) that belong to `urls`."""
    keys = {source_key(u) for u in urls}
    outcomes: list[FetchOutcome] = []
    readings: list[SourceReading] = []
    for outcome, reading in documents:
        if source_key(outcome.url) in keys:
            outcomes.append(outcome)
            if reading is not None:
                readings.append(reading)
    return outcomes, readings
