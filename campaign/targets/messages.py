"""Letters as mail: writing one from the sealed signature when its slot comes, and the letter kind.

The outbox owes a letter by kind and id; the worker composes it here only
when it is sent, so the signer's data is read where the key is held.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from campaign.extensions import db
from campaign.mail import service as mail
from campaign.mail.models import OutboxMessage
from campaign.signing.models import SignatureStatus
from campaign.targets import letters
from campaign.targets.bounces import record_bounce, record_complaint
from campaign.targets.models import Letter, LetterCampaign, ReplyConsent
from campaign.webhooks.events import letters_sent

LETTER_KIND = "letter"


@dataclass(frozen=True)
class WrittenLetter:
    """A letter as it is sent: its subject and body, and the name it is sent on behalf of."""

    subject: str
    body: str
    signer_name: str


def has_reply_consent(signature_id: int) -> bool:
    """Tell whether the signer agreed to receive the officials' replies."""
    return db.session.get(ReplyConsent, signature_id) is not None


def write_letter(letter: Letter) -> WrittenLetter:
    """Write a letter from the sealed signature (only where the key is held)."""
    settings = db.session.get_one(LetterCampaign, letter.campaign_id)
    values = letters.signer_values(letter.signature, settings)
    # In the language the supporter signed in where the campaign's letter is translated into it.
    subject, body = letters.letter_text(
        settings,
        {**values, **letters.official_values(letter.official)},
        current_app.config["BASE_URL"],
        letter.signature.language,
    )
    return WrittenLetter(mail.header_safe(subject)[:300], body, values["name"])


def _compose_letter(row: OutboxMessage) -> mail.Composed | None:
    """One letter, from the signer's name at our address; not sent if the signature stopped counting."""
    letter = db.session.get(Letter, row.ref_id)
    if letter is None or letter.signature.status != SignatureStatus.VALIDATED or letter.official.is_paused:
        return None
    if letter.signature.sealed is None:
        return None  # anonymised: it still counts, but there is no one left to write on behalf of
    written = write_letter(letter)
    # The signer's address is shown to the official only with their consent.
    reply_to = (
        mail.address(written.signer_name, letter.signature.personal.email)
        if has_reply_consent(letter.signature_id)
        else None
    )
    return mail.Composed(
        recipient=mail.address(letter.official.name, letter.official.email),
        subject=written.subject,
        body=written.body,
        sender_name=written.signer_name,
        reply_to=reply_to,
    )


# A letter goes to an official's office: that a supporter's stop of the same address holds it back
# would let one person silence every campaign's letters (an official's bounces do stop them).
mail.register_kind(
    LETTER_KIND,
    compose=_compose_letter,
    on_refused=record_bounce,
    on_complaint=record_complaint,
    on_sent=letters_sent,
    despite_stop=mail.ALWAYS,
)
