"""Posting an event to an endpoint: only to public addresses, with short timeouts, never following redirects.

The standard library's http.client rather than an HTTP package: it follows
no redirect by itself, and it lets us connect to the very address we checked
(a name that resolves to a public address when checked and to a private one
when connected, DNS rebinding, cannot lead the worker into the network).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
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


def _is_allowed(address: IPAddress, allowed: Iterable[Network]) -> bool:
    """A public address, or one in a network the configuration allows."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in network for network in allowed if network.version == address.version):
        return True
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


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the checked address, with the certificate checked against the host's name."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = target.address

    def connect(self) -> None:
        """Connect to the checked address, then speak TLS for the host name."""
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP (tests, loopback only) to the checked address."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        """Connect to the checked address."""
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST the body to a checked target; OSError (refused, timed out, TLS) when there was no answer."""
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(target, timeout)
    else:
        connection = _PinnedHTTPConnection(target, timeout)
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={**headers, "User-Agent": USER_AGENT, "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        response.read(ANSWER_READ_LIMIT)  # read a little, keep nothing
        return Answer(response.status)
    except http.client.HTTPException as error:
        raise OSError(f"bad answer: {type(error).__name__}") from error
    finally:
        connection.close()
