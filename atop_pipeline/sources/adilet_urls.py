"""adilet.zan.kz URLs: recognising them, normalising them, and the old.adilet.zan.kz fallback.

ATOP sheets cite `http://adilet.zan.kz/rus/docs/ID`. Since 2026 the main host may serve a React shell
for document URLs while `old.adilet.zan.kz` still renders the classic HTML (notes §1.11), so a fetch of
the main host that returns the shell falls back to the same path on the old host.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

#: Hosts that serve adilet document pages (notes §1.1: http/www variants, the old host, a mirror).
ADILET_HOSTS: frozenset[str] = frozenset(
    {"adilet.zan.kz", "www.adilet.zan.kz", "old.adilet.zan.kz", "insecure.zan.kz", "base.adilet.zan.kz"}
)
CANONICAL_HOST = "adilet.zan.kz"
OLD_HOST = "old.adilet.zan.kz"
LANGUAGES = ("rus", "kaz", "eng")

# The ID keeps a trailing "_" (P090000452_, U910000541_): it is part of the ID, never normalised away.
_PATH = re.compile(r"^/(rus|kaz|eng)/(docs|origins)/([A-Za-z0-9_]+)(/[A-Za-z/]*)?/?$")


@dataclass(frozen=True)
class AdiletRef:
    """The parts of an adilet document URL."""

    host: str
    lang: str  # "rus" | "kaz" | "eng"
    section: str  # "docs" | "origins"
    doc_id: str  # as written, e.g. "Z1400000246", "P090000452_"
    view: str  # "" for the text, else "info", "history", "links", "compare", "download", ...
    fragment: str  # e.g. "to" for /links#to
    scheme: str = "https"
    port: int | None = None  # only when the URL names one explicitly

    def url(self, *, host: str | None = None, lang: str | None = None) -> str:
        """This reference as a URL (fragment dropped), optionally on another host or language.

        https unless the URL named an explicit port (a test server or a mirror), which is then kept
        with its scheme.
        """
        view = f"/{self.view}" if self.view else ""
        netloc = host or self.host
        scheme = "https"
        if self.port is not None:
            netloc, scheme = f"{netloc}:{self.port}", self.scheme
        return f"{scheme}://{netloc}/{lang or self.lang}/{self.section}/{self.doc_id}{view}"


def is_adilet_host(host: str | None) -> bool:
    """True when `host` serves adilet pages."""
    return (host or "").lower().rstrip(".") in ADILET_HOSTS


def parse_adilet_url(url: str) -> AdiletRef | None:
    """The parts of an adilet document URL, or None when `url` is not one."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower().rstrip(".")
    if not is_adilet_host(host):
        return None
    m = _PATH.match(parts.path)
    if not m:
        return None
    view = (m.group(4) or "").strip("/")
    try:
        port = parts.port
    except ValueError:
        return None
    return AdiletRef(host=host, lang=m.group(1), section=m.group(2), doc_id=m.group(3), view=view,
                     fragment=parts.fragment, scheme=parts.scheme.lower() or "https", port=port)


def normalize_adilet_url(url: str) -> str:
    """The canonical form of an adilet URL: https, no `www.`, no trailing slash or fragment.

    The old host stays the old host (it is a different rendering); other URLs come back stripped only.
    """
    ref = parse_adilet_url(url)
    if ref is None:
        return url.strip()
    host = OLD_HOST if ref.host == OLD_HOST else CANONICAL_HOST
    return ref.url(host=host)


def document_key(url: str) -> str | None:
    """A key shared by every rendering of one adilet document view (any host, scheme or language)."""
    ref = parse_adilet_url(url)
    if ref is None:
        return None
    return f"adilet:{ref.doc_id}:{ref.section}:{ref.view}"


def fallback_urls(url: str) -> list[str]:
    """Where to fetch the same document when `url` gives the SPA shell: the old host, then Russian.

    Only `/rus/` is complete (about 2,241 acts have English versions), so a kaz/eng URL also falls back
    to the Russian page on the old host.
    """
    ref = parse_adilet_url(url)
    if ref is None:
        return []
    out: list[str] = []
    if ref.host != OLD_HOST:
        out.append(ref.url(host=OLD_HOST))
    if ref.lang != "rus":
        out.append(ref.url(host=OLD_HOST, lang="rus"))
    return out


_SLOGAN = re.compile(rb"class=[\"'][^\"']*\bcontainer_alpha\b[^\"']*\bslogan\b", re.IGNORECASE)
_ROOT = re.compile(rb"<div\s+id=[\"']root[\"']", re.IGNORECASE)
#: The shell is ~1.5 KB; a rendered document page with its chrome is far larger (notes §1.11).
SHELL_MAX_BYTES = 5 * 1024


def is_spa_shell(body: bytes) -> bool:
    """True when an adilet response is the JavaScript shell rather than a rendered document.

    Notes §1.11: no `div.container_alpha.slogan`, and either a `<div id="root">` or a body under 5 KB.
    """
    if _SLOGAN.search(body):
        return False
    return bool(_ROOT.search(body)) or len(body) < SHELL_MAX_BYTES
