"""Canonical email addresses: one person, however they write their address."""

from __future__ import annotations

GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def canonical_email(email: str) -> str:
    """Lower-case the address, drop +tags, and for Gmail drop dots and use one domain."""
    local, _, domain = email.strip().lower().rpartition("@")
    untagged = local.split("+", 1)[0] or local
    if domain in GMAIL_DOMAINS:
        return untagged.replace(".", "") + "@gmail.com"
    return f"{untagged}@{domain}"
