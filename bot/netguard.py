"""Outbound fetches a chat user can point the bot at: resolve, check, then connect to what was checked.

A URL typed in chat (``media:https://…``) makes the bot open a connection. Without care that is a
way into the bot's own network (the cloud metadata service at 169.254.169.254, an admin panel on
10.0.0.5, the database on localhost). Checking the URL's text is not enough: ``2130706433``,
``0x7f000001``, ``127.1`` and ``0`` are all 127.0.0.1/0.0.0.0 to the C resolver, and any DNS name
may resolve to a private address — or to a public one now and a private one a second later.

So every request (the first and every redirect hop) goes through ``GuardedTransport``:

1. only ``http``/``https``;
2. the host is parsed as the C library would (dotted, dword, hex, octal and short IPv4 forms;
   IPv6 with IPv4-mapped / NAT64 / 6to4 forms unwrapped) or else resolved through the injected
   ``Resolver``; every answer must be globally routable unless private addresses are allowed;
   then only the allowed ports (80/443 unless configured);
3. the request is sent to the checked address itself (the URL's host is replaced by it; the
   ``Host`` header and the TLS server name stay the original name, so virtual hosting and
   certificate checks are unchanged) — a second DNS answer is never asked for.

A refused address raises ``Refused`` before any connection is opened. Redirects are followed by
httpx (``max_redirects``), each hop coming back through the transport.

Seams: ``Network(resolve=…, dial=…)``. Tests map names onto addresses with a fake resolver and
dial loopback; production uses ``loop.getaddrinfo`` and ``httpx.AsyncHTTPTransport``.
"""

from __future__ import annotations

import asyncio
import enum
import re
import socket
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

import httpx

from bot.config import MediaRules

IPAddress = IPv4Address | IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]  # (host, port) → address strings
Dialer = Callable[[], httpx.AsyncBaseTransport]

RESOLVE_TIMEOUT = 10.0
_NAT64 = IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = IPv6Network("64:ff9b:1::/48")
_CGNAT = IPv4Network("100.64.0.0/10")
_NUMERIC_V4 = re.compile(r"(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}", re.IGNORECASE)


class Reason(enum.StrEnum):
    SCHEME = "scheme"  # not http/https
    PORT = "port"  # a port that is not allowed
    PRIVATE = "private"  # resolves to an address that is not globally routable
    UNRESOLVED = "unresolved"  # no address for the name
    BAD_HOST = "bad_host"  # a numeric host that is no address (1.2.3.4.5, 999.1.1.1)


class Refused(Exception):
    """A URL the bot will not fetch; raised before any connection is opened."""

    def __init__(self, reason: Reason, url: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.url = url  # the URL of the hop that was refused
        self.detail = detail


def is_public(ip: IPAddress) -> bool:
    """Globally routable unicast: not loopback, private, link-local, CGNAT, multicast, reserved,
    documentation, unspecified; IPv6 forms that embed an IPv4 address are judged by it."""
    if isinstance(ip, IPv6Address):
        embedded = embedded_v4(ip)
        if embedded is not None:
            return is_public(embedded)
        if ip in _NAT64_LOCAL or ip.is_site_local:
            return False
    elif ip in _CGNAT:
        return False
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return False
    if ip.is_loopback or ip.is_link_local or ip.is_private:
        return False
    return ip.is_global


def embedded_v4(ip: IPv6Address) -> IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, NAT64 (64:ff9b::/96) or 6to4 address."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def _number(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8)
    return int(part)


def numeric_v4(host: str) -> IPv4Address | None:
    """IPv4 in every form ``inet_aton`` accepts (``127.1``, ``2130706433``, ``0x7f000001``,
    ``017700000001``, ``0``), None for a name. Raises ``ValueError`` for a number that is no
    address (``1.2.3.4.5``, ``256.1.1.1``, ``08``)."""
    if not _NUMERIC_V4.fullmatch(host):
        if re.fullmatch(r"[0-9.]+", host):
            raise ValueError(host)
        return None
    parts = [_number(p) for p in host.split(".")]  # ValueError for 08, 09 (bad octal)
    *head, last = parts
    if any(p > 255 for p in head) or last >= 256 ** (4 - len(head)):
        raise ValueError(host)
    value = 0
    for p in head:
        value = value << 8 | p
    value = value << 8 * (4 - len(head)) | last
    return IPv4Address(value)


def literal(host: str) -> IPAddress | None:
    """The address a host names literally, or None for a DNS name (``ValueError`` if invalid)."""
    h = host.strip("[]").replace("%25", "%")
    if h.endswith("."):
        h = h[:-1]
    try:
        ip = ip_address(h)
    except ValueError:
        return numeric_v4(h)
    if isinstance(ip, IPv6Address) and ip.scope_id:
        return IPv6Address(h.split("%", 1)[0])
    return ip


def names_inside(host: str) -> bool:
    """Without resolving: a host that is literally a non-public address, or ``localhost``.
    For links the bot hands on without fetching them (an article, a pin's link)."""
    h = host.lower().rstrip(".")
    if h == "localhost" or h.endswith(".localhost"):
        return True
    try:
        ip = literal(h)
    except ValueError:
        return True
    return ip is not None and not is_public(ip)


async def system_resolve(host: str, port: int) -> Sequence[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


_ssl: ssl.SSLContext | None = None


def ssl_context() -> ssl.SSLContext:
    """One verified TLS context for every download (building one costs ~60 ms)."""
    global _ssl
    if _ssl is None:
        _ssl = ssl.create_default_context()
    return _ssl


def default_dial() -> httpx.AsyncBaseTransport:
    return httpx.AsyncHTTPTransport(verify=ssl_context(), trust_env=False, retries=0)


@dataclass(frozen=True)
class Network:
    """The seams of outbound fetches: how names resolve and how connections are made."""

    resolve: Resolver = system_resolve
    dial: Dialer = default_dial


@dataclass
class Guard:
    """Checks URLs against ``MediaRules``; answers for one name are asked once and reused."""

    rules: MediaRules
    resolve: Resolver = system_resolve
    _answers: dict[tuple[str, int], IPAddress] = field(default_factory=dict)

    def port_of(self, url: httpx.URL) -> int:
        return url.port or (443 if url.scheme == "https" else 80)

    def answer(self, url: httpx.URL) -> IPAddress | None:
        """The address ``url`` was checked to (and connected to), or None if never checked."""
        return self._answers.get((url.host, self.port_of(url)))

    async def check(self, url: httpx.URL) -> IPAddress:
        """The address to connect to for ``url``; ``Refused`` if it must not be fetched."""
        text = str(url)
        if url.scheme not in ("http", "https") or not url.host:
            raise Refused(Reason.SCHEME, text, url.scheme)
        port = self.port_of(url)
        key = (url.host, port)
        if key in self._answers:
            return self._answers[key]
        try:
            fixed = literal(url.host)
        except ValueError:
            raise Refused(Reason.BAD_HOST, text, url.host) from None
        if fixed is not None:
            addresses: list[IPAddress] = [fixed]
        else:
            addresses = await self._lookup(url.host, port, text)
        if not self.rules.allow_private and not all(is_public(a) for a in addresses):
            raise Refused(Reason.PRIVATE, text, url.host)
        if self.rules.ports is not None and port not in self.rules.ports:
            raise Refused(Reason.PORT, text, str(port))
        chosen = min(addresses, key=lambda a: a.version)  # IPv4 first: not every host has v6
        if isinstance(chosen, IPv6Address) and chosen.ipv4_mapped is not None:
            chosen = chosen.ipv4_mapped
        self._answers[key] = chosen
        return chosen

    async def _lookup(self, host: str, port: int, text: str) -> list[IPAddress]:
        try:
            async with asyncio.timeout(RESOLVE_TIMEOUT):
                answers = await self.resolve(host, port)
        except (OSError, TimeoutError):
            raise Refused(Reason.UNRESOLVED, text, host) from None
        out: list[IPAddress] = []
        for a in answers:
            try:
                out.append(ip_address(a.split("%", 1)[0]))
            except ValueError:
                continue
        if not out:
            raise Refused(Reason.UNRESOLVED, text, host)
        return out


class GuardedTransport(httpx.AsyncBaseTransport):
    """Checks each request's URL, then sends it to the checked address (one inner transport per
    host name, so a pooled TLS connection is never reused for another name)."""

    def __init__(self, guard: Guard, dial: Dialer = default_dial) -> None:
        self._guard = guard
        self._dial = dial
        self._inner: dict[str, httpx.AsyncBaseTransport] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        ip = await self._guard.check(url)
        extensions = dict(request.extensions)
        if url.scheme == "https" and literal(url.host) is None:
            extensions["sni_hostname"] = url.host  # certificate checked against the name
        pinned = httpx.Request(
            request.method,
            url.copy_with(host=str(ip)),
            headers=request.headers,  # carries Host: the original name
            stream=request.stream,
            extensions=extensions,
        )
        inner = self._inner.get(url.host)
        if inner is None:
            inner = self._inner[url.host] = self._dial()
        return await inner.handle_async_request(pinned)

    async def aclose(self) -> None:
        for t in self._inner.values():
            await t.aclose()
        self._inner.clear()
