"""The wording each consent was given under: one text per version, kept for as long as the consents.

The sign form's labels are read from here, and the texts of every version
are stored in the database (`consent_texts`), so that the supporter's own
page can show each person exactly what they agreed to. A change of wording
is a new version: add it here and to a migration.
"""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from campaign.extensions import db

# version -> consent (the form field it labels) -> the words shown beside the checkbox
TEXTS: dict[str, dict[str, str]] = {
    "2026-11": {
        "email_opt_in": "Email me updates about this campaign",
        "comment_public": "Show my comment on this page, with my first name",
        "reply_to_opt_in": "Let the officials reply to me: show them my email address",
    },
    # The comment is shown with the first name and the country: the words say both.
    "2026-12": {
        "email_opt_in": "Email me updates about this campaign",
        "comment_public": "Show my comment on this page, with my first name and country",
        "reply_to_opt_in": "Let the officials reply to me: show them my email address",
    },
}
CURRENT = "2026-12"


class ConsentText(db.Model):  # type: ignore[name-defined]
    """The words of one consent in one version of the wording."""

    __tablename__ = "consent_texts"

    version: Mapped[str] = mapped_column(String(32), primary_key=True)
    consent: Mapped[str] = mapped_column(String(32), primary_key=True)
    text: Mapped[str] = mapped_column(Text)


# The current words as the forms show them, in the reader's language (the stored English
# text stays the record; its translation is the same promise in another language).
_LABELS = {
    "email_opt_in": _l("Email me updates about this campaign"),
    "comment_public": _l("Show my comment on this page, with my first name and country"),
    "reply_to_opt_in": _l("Let the officials reply to me: show them my email address"),
}


def label(consent: str) -> LazyString:
    """The current words of a consent, for the sign form, in the reader's language."""
    return _LABELS[consent]


def texts_of(version: str) -> dict[str, str]:
    """The stored words of every consent of a version."""
    rows = db.session.execute(select(ConsentText).where(ConsentText.version == version)).scalars()
    return {row.consent: row.text for row in rows}
