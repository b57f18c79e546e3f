"""Posting an event to an endpoint: only to public addresses, with short timeouts, never following redirects.

The standard library's http.client rather than an HTTP package: it follows
no redirect by itself, and it lets us connect to the very address we checked
(a name that resolves to a public address when checked and to a private one
when connected, DNS rebinding, cannot lead the worker into the network).
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from campaign.webhooks import reasons

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# What is read of an answer at most (it is not kept): enough to finish the exchange.
ANSWER_READ_LIMIT = 4096
USER_AGENT = "Campaign-Webhooks/1"


class Refused(Exception):
    """An endpoint the platform will not post to (its scheme, its address); its code says why
    (campaign.webhooks.reasons), with a technical detail such as the host."""

    def __init__(self, code: str, detail: str | None = None) -> None:
        self.code, self.detail = code, detail
        super().__init__(self.stored)

    @property
    def stored(self) -> str:
        """The reason as the database keeps it ("private-address:10.0.0.5")."""
        return reasons.stored(self.code, self.detail)


@dataclass(frozen=True)
class Target:
    """Where a checked URL leads: the address to connect to, and what to ask it."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


@dataclass(frozen=True)
class Answer:
    """What an endpoint answered: its status code."""

    status: int

    @property
    def is_success(self) -> bool:
        """2xx only: a redirect is not followed, so it is not a delivery."""
        return 200 <= self.status < 300


def allowed_networks(setting: str | None) -> list[Network]:
    """The networks WEBHOOK_ALLOWED_NETWORKS lets endpoints be in though not public ("127.0.0.1/32,::1")."""
    found: list[Network] = []
    for item in (setting or "").replace(" ", ",").split(","):
        if item.strip():
            found.append(ipaddress.ip_network(item.strip(), strict=False))
    return found


# IPv6 addresses that carry an IPv4 one in their last 32 bits, which a gateway on the way (NAT64,
# or an old host taking IPv4-compatible ones) would reach: each is judged as the IPv4 it carries.
# Python's is_global takes them for public (CPython 3.11), whatever they carry.
_CARRYING_IPV4 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("::/96"))
# The local-use NAT64 prefix (RFC 8215) leads into a network of its own: never public.
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")


def _as_reached(address: IPAddress) -> IPAddress:
    """The address a connection to this one would reach in the end: the IPv4 an IPv6 one carries."""
    if isinstance(address, ipaddress.IPv4Address):
        return address
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:  # 2002::/16, 6to4
        return address.sixtofour
    if any(address in network for network in _CARRYING_IPV4):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def _is_allowed(address: IPAddress, allowed: Iterable[Network]) -> bool:
    """A public address, or one in a network the configuration allows."""
    reached = _as_reached(address)
    for each in (address, reached):
        if any(each in network for network in allowed if network.version == each.version):
            return True
    address = reached
    if isinstance(address, ipaddress.IPv6Address) and (address.is_site_local or address in _LOCAL_NAT64):
        return False
    return address.is_global and not address.is_multicast


def _resolve(host: str, port: int) -> list[IPAddress]:
    """Every address a host name resolves to (an address literal: itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise Refused(reasons.UNRESOLVABLE, host) from error
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def check(url: str, allowed: list[Network], *, is_testing: bool = False) -> Target:
    """Where a URL leads, if the platform may post there; Refused with the reason otherwise.

    HTTPS only; plain HTTP only to a loopback address the configuration allows
    (or while testing). Every address the host resolves to must be public or
    in an allowed network: a private, loopback or link-local one is refused.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise Refused(reasons.INVALID_URL) from error
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host or parts.username or parts.password:
        raise Refused(reasons.NOT_HTTP_URL)
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = _resolve(host, port)
    if not addresses:
        raise Refused(reasons.NO_ADDRESS, host)
    for address in addresses:
        if not _is_allowed(address, allowed):
            raise Refused(reasons.PRIVATE_ADDRESS, str(address))
    if parts.scheme == "http" and not (is_testing or all(address.is_loopback for address in addresses)):
        raise Refused(reasons.PLAIN_HTTP)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, str(addresses[0]))


class _Pinned:
    """Connects to the checked address only, and can be cut from another thread at any moment."""

    _address: str
    _raw: socket.socket | None = None
    was_cut = False
    port: int
    timeout: float | None

    def _open(self) -> socket.socket:
        """The TCP connection to the checked address, kept so that cut() reaches it mid-handshake."""
        self._raw = socket.create_connection((self._address, self.port), self.timeout)
        if self.was_cut:  # the time ran out while it connected
            self.cut()
        return self._raw

    def cut(self) -> None:
        """End the exchange wherever it is: every read or write on it fails or ends at once."""
        self.was_cut = True
        if self._raw is not None:
            with contextlib.suppress(OSError):  # closed already
                self._raw.shutdown(socket.SHUT_RDWR)


class _PinnedHTTPSConnection(_Pinned, http.client.HTTPSConnection):
    """HTTPS to the checked address, with the certificate checked against the host's name."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = target.address

    def connect(self) -> None:
        """Connect to the checked address, then speak TLS for the host name."""
        self.sock = self._context.wrap_socket(self._open(), server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTPConnection(_Pinned, http.client.HTTPConnection):
    """Plain HTTP (tests, loopback only) to the checked address."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        """Connect to the checked address."""
        self.sock = self._open()


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST the body to a checked target; OSError (refused, timed out, TLS) when there was no answer.

    `timeout` bounds the whole exchange, not each read: an endpoint that drips its answer a
    byte at a time (or its TLS handshake) is cut when the time is up, so that no endpoint can
    hold a worker longer than that.
    """
    connection: _PinnedHTTPSConnection | _PinnedHTTPConnection
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(target, timeout)
    else:
        connection = _PinnedHTTPConnection(target, timeout)
    deadline = threading.Timer(timeout, connection.cut)
    deadline.daemon = True
    deadline.start()
    status = 0
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={**headers, "User-Agent": USER_AGENT, "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        response.read(ANSWER_READ_LIMIT)  # read a little, keep nothing
        status = response.status
    except http.client.HTTPException as error:
        if not connection.was_cut:
            raise OSError(f"bad answer: {type(error).__name__}") from error
    except OSError:
        if not connection.was_cut:
            raise
    finally:
        deadline.cancel()
        connection.close()
    if connection.was_cut:  # an answer cut short is no answer, however it parsed
        raise TimeoutError(f"no whole answer within {timeout:g} s")
    return Answer(status)
