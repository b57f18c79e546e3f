"""Email domains for the flood rules: one spelling of a domain, its keyed hash, and the disposable ones.

A domain is compared in one spelling (lower case, ASCII). The list of
disposable-address services is the packaged one until `campaign floods
update-disposable` stores a newer one under the instance folder, which every
process picks up within a minute.

domain_index is relied on by the staff tools (campaign/moderation) and keeps its name.
"""

from __future__ import annotations

import re
import time
import urllib.request
from pathlib import Path

import disposable_email_domains
import idna
from flask import current_app

from campaign.privacy import vault

# Blind-index purpose of a domain: its hash never compares with an address range's or an email's.
DOMAIN_PURPOSE = "email-domain"

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


def canonical_domain(domain: str) -> str:
    """An email domain in one spelling: lower case, ASCII (IDNA), no trailing dot."""
    name = domain.strip().rstrip(".").lower()
    if name.isascii():
        # IDNA gives an ASCII name back as it is, or refuses it (kept as it is then too): the sign
        # path asks three times a request, and the codec's label checks cost more than the rest.
        return name
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
