"""Content-addressed store of raw response bodies, with an append-only index of every fetch outcome.

Layout under ``root``::

    ab/abcdef...0123.bin   # the raw bytes whose sha256 is abcdef...0123 (never overwritten)
    index.jsonl            # one FetchOutcome record (without body) per line, appended, never rewritten

Nothing is overwritten: a changed page is a new object plus a new index line, so the history of a
URL (and when it changed) can always be replayed. Readers work from these bytes alone.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import threading
from pathlib import Path

from atop_pipeline.sources.http import FetchOutcome

log = logging.getLogger(__name__)

_SHA256 = re.compile(r"[0-9a-f]{64}")
INDEX_NAME = "index.jsonl"


class SnapshotStoreError(Exception):
    """A stored object is missing or does not match its hash."""


class SnapshotStore:
    """Raw bodies by sha256 plus the append-only history of fetch outcomes per URL."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.index_path = self.root / INDEX_NAME
        self._lock = threading.Lock()
        self._history: dict[str, list[dict]] | None = None  # url -> records, loaded lazily

    # -- bodies --

    def path_for(self, sha256: str) -> Path:
        """Where the object with this hash lives (validated, so it cannot escape the root)."""
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / f"{sha256}.bin"

    def put(self, body: bytes) -> str:
        """Store ``body`` (idempotent) and return its sha256."""
        sha = hashlib.sha256(body).hexdigest()
        path = self.path_for(sha)
        if path.exists():
            return sha  # same hash, same bytes: never rewrite an existing object
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".bin")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha

    def has(self, sha256: str) -> bool:
        """True when the object is stored."""
        return self.path_for(sha256).exists()

    def get(self, sha256: str) -> bytes:
        """The stored bytes for ``sha256``; raises SnapshotStoreError if missing or corrupt."""
        path = self.path_for(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise SnapshotStoreError(f"no stored object {sha256}") from exc
        if hashlib.sha256(data).hexdigest() != sha256:
            raise SnapshotStoreError(f"stored object {sha256} is corrupt (hash mismatch)")
        return data

    # -- index --

    def record(self, outcome: FetchOutcome) -> None:
        """Append ``outcome`` to the index, storing its body first when it has one."""
        if outcome.body is not None:
            sha = self.put(outcome.body)
            if outcome.sha256 is None:
                outcome.sha256 = sha
        line = json.dumps(outcome.to_record(), ensure_ascii=False, sort_keys=True)
        with self._lock:
            history = self._load()
            # One write call per line in append mode: concurrent writers do not interleave lines.
            with self.index_path.open("a+b") as handle:
                if handle.tell() > 0:
                    handle.seek(-1, os.SEEK_END)
                    if handle.read(1) != b"\n":
                        handle.write(b"\n")  # close a line torn by an earlier crash
                handle.write((line + "\n").encode("utf-8"))
            history.setdefault(outcome.url, []).append(json.loads(line))

    def history(self, url: str, *, with_bodies: bool = False) -> list[FetchOutcome]:
        """Every recorded outcome for ``url``, oldest first."""
        with self._lock:
            records = list(self._load().get(url, ()))
        return [self._outcome(r, with_bodies) for r in records]

    def last(self, url: str, *, with_body: bool = True) -> FetchOutcome | None:
        """The most recent outcome recorded for ``url``, whatever it was."""
        with self._lock:
            records = self._load().get(url, ())
            record = records[-1] if records else None
        return self._outcome(record, with_body) if record is not None else None

    def last_good(self, url: str, *, with_body: bool = True) -> FetchOutcome | None:
        """The most recent ``ok`` outcome for ``url`` (with its body by default), or None."""
        with self._lock:
            records = self._load().get(url, ())
            record = next((r for r in reversed(records) if r.get("outcome") == "ok"), None)
        return self._outcome(record, with_body) if record is not None else None

    def urls(self) -> list[str]:
        """Every URL with at least one recorded outcome, in first-seen order."""
        with self._lock:
            return list(self._load())

    def _outcome(self, record: dict, with_body: bool) -> FetchOutcome:
        """Rebuild a FetchOutcome from an index record, loading the body when asked."""
        body = None
        sha = record.get("sha256")
        if with_body and sha and self.has(sha):
            body = self.get(sha)
        return FetchOutcome.from_record(record, body=body)

    def _load(self) -> dict[str, list[dict]]:
        """The index grouped by URL, read once (caller holds the lock)."""
        if self._history is not None:
            return self._history
        history: dict[str, list[dict]] = {}
        if self.index_path.exists():
            with self.index_path.open(encoding="utf-8") as handle:
                for number, line in enumerate(handle, start=1):
                    if not line.strip():
                        continue
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError:
                        # A crash mid-append leaves a torn last line; the rest of the history is intact.
                        log.warning("%s line %d is not valid JSON; skipped", self.index_path, number)
                        continue
                    history.setdefault(record.get("url", ""), []).append(record)
        self._history = history
        return history
