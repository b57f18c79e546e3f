"""Supporters' consents to hear from a campaign's partners: stored with the signature, deleted with it.

The sign form offers one unticked box per accepted partner, named `partners`
with the partner organization's id as its value. Only a new signature
records them, as with the other consents, in the sign request's transaction,
in one INSERT; an id that is not one of the campaign's partners is ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from flask_babel import gettext
from sqlalchemy import delete, insert, select

from campaign import clock
from campaign.extensions import db
from campaign.partners.models import PartnerConsent
from campaign.partners.public import Versioned, partners_of

# The sign form's field: one checkbox per partner, its value the organization's id.
FIELD = "partners"
# No campaign has more partners than this; more ticked boxes are ignored.
MAX_PARTNERS = 50


def wording(name: str) -> str:
    """The words beside a partner's box, in the reader's language (the template says the same)."""
    return gettext("%(name)s may email me", name=name)


def ticked(sent: Sequence[str]) -> tuple[int, ...]:
    """The partner ids a sign POST ticked, in order, once each; anything that is not an id is ignored."""
    found: list[int] = []
    for value in sent[:MAX_PARTNERS]:
        value = value.strip()
        if value.isascii() and value.isdigit() and len(value) <= 9 and int(value) not in found:
            found.append(int(value))
    return tuple(found)


def record(signature_id: int, campaign: Versioned, organization_ids: Iterable[int], language: str) -> int:
    """Store the consents a new signature gave to the campaign's partners; return how many.

    The words are those the form showed: the sign POST is read in the language
    the page was (campaign.i18n), which is `language`.
    """
    wanted = set(organization_ids)
    chosen = [card for card in partners_of(campaign) if card.organization_id in wanted]
    if not chosen:
        return 0
    now = clock.now()
    rows = [
        {
            "signature_id": signature_id,
            "organization_id": card.organization_id,
            "wording": wording(card.name),
            "language": language,
            "created_at": now,
        }
        for card in chosen
    ]
    db.session.execute(insert(PartnerConsent).values(rows))
    return len(rows)


def forget(signature_ids: Sequence[int]) -> None:
    """Delete the partner consents of signatures withdrawn or erased."""
    if signature_ids:
        db.session.execute(
            delete(PartnerConsent)
            .where(PartnerConsent.signature_id.in_(signature_ids))
            .execution_options(synchronize_session=False)
        )


def given_by(signature_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    """The partner consents of these signatures (their words and language, oldest first), in one query:
    what the supporter's own page shows they agreed to."""
    given: dict[int, list[tuple[str, str]]] = {}
    if not signature_ids:
        return given
    rows = db.session.execute(
        select(PartnerConsent.signature_id, PartnerConsent.wording, PartnerConsent.language)
        .where(PartnerConsent.signature_id.in_(signature_ids))
        .order_by(PartnerConsent.id)
    )
    for signature_id, words, language in rows:
        given.setdefault(signature_id, []).append((words, language))
    return given
