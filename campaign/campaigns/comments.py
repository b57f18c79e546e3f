"""Reasons for signing: the comments signers asked to show on the campaign page, and their moderation.

A signer's comment is sealed with the rest of their data, which the web tier
cannot open. When they tick "show my comment", a separate clear copy of only
what they agreed to publish is kept here: the comment as plain text (markup
and links taken out), their first name and their country. It is shown once
the signature is validated, newest first; the campaign's organizers and staff
may hide one (and show it again), each time recorded in the audit log. The
copy goes when the signature is withdrawn, erased or anonymised; exports still
read the sealed comment.
"""

from __future__ import annotations

import html
import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import nh3
from flask import current_app, render_template
from markupsafe import Markup
from sqlalchemy import ForeignKey, Index, Select, String, Text, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column

from campaign import clock, i18n
from campaign.audit.service import record
from campaign.extensions import db
from campaign.signing.models import Signature, SignatureStatus

# Links of every form a reader could follow or copy: a scheme or www., an
# email address, or a bare domain with an ASCII top-level domain written in
# lower case ("example.com/x"; "St.Petersburg" and words in other scripts stay).
_LINK = re.compile(
    r"(?:\b[a-z][a-z0-9+.-]*:/+|\bwww\.|\bmailto:)\S*"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|\b(?:[a-zA-Z0-9-]+\.)+[a-z]{2,24}\b(?:/\S*)?",
    re.IGNORECASE,
)
_BARE_DOMAIN_TLD = re.compile(r"\.([A-Za-z]{2,24})\b(?:/\S*)?$")
_SPACES = re.compile(r"\s+")
FIRST_NAME_MAX = 100
PAGE_SIZE = 50


class PublicComment(db.Model):  # type: ignore[name-defined]
    """The clear copy of a comment its signer asked to show: plain text, first name and country."""

    __tablename__ = "public_comments"
    __table_args__ = (Index("ix_public_comments_campaign_id_created_at", "campaign_id", "created_at"),)

    signature_id: Mapped[int] = mapped_column(
        ForeignKey("signatures.id", ondelete="CASCADE"), primary_key=True
    )
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    first_name: Mapped[str] = mapped_column(String(FIRST_NAME_MAX))
    country: Mapped[str] = mapped_column(String(2))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # Set while an organizer or staff keep it off the page; who did it, as the audit log names them.
    hidden_at: Mapped[datetime | None]
    hidden_by: Mapped[str | None] = mapped_column(String(64))


def plain_text(value: str) -> str:
    """Text with markup and links taken out and its spacing folded: what may be shown as it is."""
    text = value
    # Unescaping may reveal markup written as entities ("&lt;b&gt;"): clean until nothing changes.
    for _ in range(3):
        cleaned = html.unescape(nh3.clean(text, tags=set(), clean_content_tags={"script", "style"}))
        if cleaned == text:
            break
        text = cleaned
    text = _LINK.sub(_drop_link, text)
    return _SPACES.sub(" ", text).strip()


def _drop_link(match: re.Match[str]) -> str:
    """Nothing in place of a link; a bare word.word is a link only when its last part is lower case."""
    found = match.group(0)
    if "@" in found or ":" in found or found.lower().startswith("www."):
        return ""
    tld = _BARE_DOMAIN_TLD.search(found)
    return "" if tld is not None and tld.group(1).islower() else found


def keep(signature_id: int, campaign_id: int, first_name: str, country: str, comment: str) -> bool:
    """Keep the public copy of a new signature's comment; False when nothing is left to show."""
    text = plain_text(comment)
    if not text:
        return False
    db.session.add(
        PublicComment(
            signature_id=signature_id,
            campaign_id=campaign_id,
            first_name=plain_text(first_name)[:FIRST_NAME_MAX],
            country=country,
            text=text,
            created_at=clock.now(),
        )
    )
    db.session.flush()
    return True


def forget(signature_ids: list[int] | Select[Any]) -> None:
    """Delete the public copies of these signatures' comments (withdrawn, erased, anonymised)."""
    db.session.execute(
        delete(PublicComment)
        .where(PublicComment.signature_id.in_(signature_ids))
        .execution_options(synchronize_session=False)
    )
    _blocks.clear()


@dataclass(frozen=True)
class Shown:
    """One reason for signing as the public sees it."""

    first_name: str
    country: str
    text: str
    created_at: datetime


def shown(campaign_id: int, limit: int) -> list[Shown]:
    """The comments the public sees: validated signatures, not hidden, newest first."""
    rows = db.session.execute(
        select(PublicComment.first_name, PublicComment.country, PublicComment.text, PublicComment.created_at)
        .join(Signature, Signature.id == PublicComment.signature_id)
        .where(
            PublicComment.campaign_id == campaign_id,
            PublicComment.hidden_at.is_(None),
            Signature.status == SignatureStatus.VALIDATED,
        )
        .order_by(PublicComment.created_at.desc(), PublicComment.signature_id.desc())
        .limit(limit)
    ).all()
    return [Shown(*row) for row in rows]


# (campaign id, its version, language) -> (rendered at, the block). Every visitor in a
# language sees the same block; a process renders it again after PUBLIC_COMMENTS_SECONDS.
_blocks: dict[tuple[int, datetime, str], tuple[float, Markup]] = {}


def block_html(campaign_id: int, version: datetime) -> Markup:
    """The reasons-for-signing block of a campaign page in the reader's language, briefly kept.

    `version` is the campaign's updated_at: with the id, it names one campaign for good.
    """
    key = (campaign_id, version, i18n.current_language())
    now = time.monotonic()
    kept = _blocks.get(key)
    if kept is not None and kept[0] > now - current_app.config["PUBLIC_COMMENTS_SECONDS"]:
        return kept[1]
    limit = current_app.config["PUBLIC_COMMENTS_SHOWN"]
    block = Markup(render_template("campaigns/_comments.html", comments=shown(campaign_id, limit)))  # noqa: S704 - Jinja escaped it
    if len(_blocks) > 1000:
        _blocks.clear()
    _blocks[key] = (now, block)
    return block


def forget_blocks() -> None:
    """Drop the rendered blocks of this process (after a change here; tests)."""
    _blocks.clear()


@dataclass(frozen=True)
class Moderated:
    """One comment as the campaign's organizers see it, with where it stands."""

    comment: PublicComment
    status: SignatureStatus

    @property
    def is_waiting(self) -> bool:
        """The signer has not confirmed yet: not shown whatever the organizers decide."""
        return self.status == SignatureStatus.PENDING


def for_organizers(campaign_id: int, page: int = 1) -> tuple[list[Moderated], bool]:
    """A page of the campaign's public comments, newest first, and whether there is a next page.

    Comments of signatures that stopped counting (invalidated, fraudulent) are
    never shown and are left out.
    """
    rows = db.session.execute(
        select(PublicComment, Signature.status)
        .join(Signature, Signature.id == PublicComment.signature_id)
        .where(
            PublicComment.campaign_id == campaign_id,
            Signature.status.in_([SignatureStatus.PENDING, SignatureStatus.VALIDATED]),
        )
        .order_by(PublicComment.created_at.desc(), PublicComment.signature_id.desc())
        .offset((max(page, 1) - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    ).all()
    return [Moderated(comment, status) for comment, status in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE


def set_hidden(campaign_id: int, signature_id: int, is_hidden: bool, actor: str) -> bool:
    """Hide a comment from the campaign page, or show it again, recording who did; False if none."""
    now = clock.now()
    result = db.session.execute(
        update(PublicComment)
        .where(PublicComment.campaign_id == campaign_id, PublicComment.signature_id == signature_id)
        .values(hidden_at=now if is_hidden else None, hidden_by=actor if is_hidden else None)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        return False
    action = "comment.hidden" if is_hidden else "comment.shown"
    record(actor, action, f"campaign:{campaign_id}", signature=signature_id)
    return True
