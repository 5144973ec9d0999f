"""Address policy for outgoing requests: which schemes and which resolved addresses may be contacted.

The fetcher only talks to public http(s) hosts. A cited URL (or a redirect it leads to) that names
``file://``, a cloud metadata address such as 169.254.169.254, or a host on the local network is
refused unless configuration explicitly allows it (tests allow 127.0.0.0/8).

When a proxy carries a request the client never resolves the target itself - the proxy does - so the
address policy applies to direct connections only; the decision then says ``via="proxy"``.

Known limit (TOCTOU): the policy resolves the name, and the HTTP library resolves it again when it
connects, so a hostile DNS server could answer differently the second time. The fetcher narrows this
by also checking the peer address of the connected socket before it reads the body (see
``check_address``), but the request line has by then already been sent.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests.utils

ALLOWED_SCHEMES: tuple[str, ...] = ("http", "https")

DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: getaddrinfo errors that mean "no resolver reachable" rather than "no such name".
_NETWORK_DOWN_EAI = frozenset(getattr(socket, name) for name in ("EAI_AGAIN", "EAI_FAIL") if hasattr(socket, name))

#: getaddrinfo-compatible resolver, injectable for tests.
Resolver = Callable[..., Sequence[tuple]]


@dataclass(frozen=True)
class AddressPolicy:
    """Which non-public destinations are nevertheless allowed."""

    allow_private_addresses: bool = False
    #: CIDR blocks allowed even though they are not public, e.g. ("127.0.0.0/8",).
    allowed_networks: tuple[str, ...] = ()
    #: Host names (exact, case-insensitive) whose addresses are not checked.
    allowed_hosts: tuple[str, ...] = ()

    def networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """The allowed networks, parsed."""
        return tuple(ipaddress.ip_network(n, strict=False) for n in self.allowed_networks)


@dataclass(frozen=True)
class AddressDecision:
    """The verdict on one URL: refused (with the outcome to record) or allowed, and how it travels."""

    outcome: str | None  # None when allowed; else "scheme_refused", "address_refused" or "offline"
    reason: str
    via: str  # "direct" or "proxy"
    addresses: tuple[str, ...] = ()
    proxy: str | None = None
    #: The lookup failed because the resolver or network is unreachable (not because the name is
    #: unknown): evidence that the whole machine is offline, not just this host.
    network_down: bool = False

    @property
    def allowed(self) -> bool:
        """True when the request may be sent."""
        return self.outcome is None


def host_key(url: str) -> str:
    """The politeness/breaker key of a URL: lower-cased ``host:port`` (default port by scheme)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = DEFAULT_PORTS.get(parts.scheme.lower(), 0)
    return f"{host}:{port}"


def check_scheme(url: str) -> str | None:
    """Why the URL's scheme or shape is refused, or None when it is plain http(s) with a host."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        return f"malformed URL {url!r}: {exc}"
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        return f"scheme {scheme or '(none)'!r} is not allowed (only http and https)"
    if not parts.hostname:
        return f"URL {url!r} has no host"
    return None


def proxy_for(url: str) -> str | None:
    """The proxy that ``requests`` would use for this URL from HTTP(S)_PROXY/NO_PROXY, or None."""
    if requests.utils.should_bypass_proxies(url, no_proxy=None):
        return None
    proxies = requests.utils.get_environ_proxies(url, no_proxy=None)
    return requests.utils.select_proxy(url, proxies) or None


def _plain_address(address: IPAddress) -> IPAddress:
    """Unwrap IPv4-mapped (::ffff:a.b.c.d) and 6to4/Teredo-free forms to the address really reached."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_public_address(address: IPAddress) -> bool:
    """True for a globally routable unicast address (not loopback, private, link-local, reserved...)."""
    address = _plain_address(address)
    return (
        address.is_global
        and not address.is_multicast
        and not address.is_loopback
        and not address.is_link_local
        and not address.is_private
        and not address.is_reserved
        and not address.is_unspecified
    )


def check_address(address: str, policy: AddressPolicy) -> str | None:
    """Why connecting to this IP address is refused, or None when the policy allows it."""
    try:
        parsed = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return f"{address!r} is not an IP address"
    if policy.allow_private_addresses or is_public_address(parsed):
        return None
    plain = _plain_address(parsed)
    for network in policy.networks():
        if plain.version == network.version and plain in network:
            return None
    return f"address {address} is not public (loopback, private, link-local or reserved)"


def check_url(
    url: str,
    policy: AddressPolicy,
    *,
    resolver: Resolver = socket.getaddrinfo,
) -> AddressDecision:
    """Decide whether ``url`` may be fetched: scheme, then proxy, then every resolved address."""
    reason = check_scheme(url)
    if reason is not None:
        return AddressDecision("scheme_refused", reason, via="direct")
    proxy = proxy_for(url)
    if proxy is not None:
        # The proxy resolves and connects; resolving here would leak the lookup and may be impossible.
        return AddressDecision(None, f"sent through proxy {proxy}", via="proxy", proxy=proxy)
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host.lower() in {h.lower() for h in policy.allowed_hosts}:
        return AddressDecision(None, f"host {host} explicitly allowed", via="direct")
    port = parts.port or DEFAULT_PORTS[parts.scheme.lower()]
    try:
        infos = resolver(host, port, type=socket.SOCK_STREAM)
    except UnicodeError as exc:
        return AddressDecision("scheme_refused", f"invalid host name {host!r}: {exc}", via="direct")
    except socket.gaierror as exc:
        down = exc.errno in _NETWORK_DOWN_EAI
        return AddressDecision("offline", f"cannot resolve {host}: {exc}", via="direct", network_down=down)
    except OSError as exc:
        return AddressDecision("offline", f"cannot resolve {host}: {exc}", via="direct", network_down=True)
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        return AddressDecision("offline", f"{host} resolved to no address", via="direct")
    for address in addresses:
        refused = check_address(address, policy)
        if refused is not None:
            # One bad record is enough: the HTTP library may pick any of them.
            return AddressDecision("address_refused", f"{host}: {refused}", via="direct", addresses=addresses)
    return AddressDecision(None, "public address", via="direct", addresses=addresses)
