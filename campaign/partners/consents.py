"""Supporters' consents to hear from a campaign's partners: stored with the signature, deleted with it.

The sign form offers one unticked box per accepted partner, named `partners`
with the partner organization's id as its value. Only a new signature
records them, as with the other consents, in the sign request's transaction,
in one INSERT; an id that is not one of the campaign's partners is ignored.
The embedded widget and the API's record helpers record them the same way.
A supporter withdraws one consent from their own page (/my/): from then on
that partner's export leaves them out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import delete, insert, select

from campaign import clock
from campaign.accounts.models import Organization
from campaign.audit.service import record as audit
from campaign.extensions import db
from campaign.partners.models import PartnerConsent
from campaign.partners.public import Versioned, partners_of
from campaign.signing.models import Signature
from campaign.validation import whole_number

# The sign form's field: one checkbox per partner, its value the organization's id.
FIELD = "partners"
# No campaign has more partners than this; more ticked boxes are ignored.
MAX_PARTNERS = 50
# Ids outside PostgreSQL's integer never name a row (and must not reach a query).
_MAX_ID = 2**31 - 1
# Who withdrew a consent from the supporter's own page: the audit log names no person.
SUPPORTER_ACTOR = "supporter:own-page"


def wording(name: str) -> str:
    """The words beside a partner's box, in the reader's language (the template says the same)."""
    return gettext("%(name)s may email me", name=name)


def ticked(sent: Sequence[str]) -> tuple[int, ...]:
    """The partner ids a sign POST ticked, in order, once each; anything that is not an id is ignored."""
    found: list[int] = []
    for value in sent[:MAX_PARTNERS]:
        value = value.strip()
        number = whole_number(value)
        if number is not None and number not in found:
            found.append(number)
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


@dataclass(frozen=True)
class Given:
    """A partner consent as its supporter's own page offers to withdraw it."""

    signature_id: int
    organization_id: int
    # The partner's name as it is now (the stored words keep the name it had then).
    partner: str


def withdrawable(signature_ids: Sequence[int]) -> dict[int, list[Given]]:
    """The partners each of these signatures consented to, by signature, oldest consent first (one query)."""
    given: dict[int, list[Given]] = {}
    if not signature_ids:
        return given
    rows = db.session.execute(
        select(PartnerConsent.signature_id, PartnerConsent.organization_id, Organization.name)
        .join(Organization, Organization.id == PartnerConsent.organization_id)
        .where(PartnerConsent.signature_id.in_(signature_ids))
        .order_by(PartnerConsent.id)
    )
    for signature_id, organization_id, name in rows:
        given.setdefault(signature_id, []).append(Given(signature_id, organization_id, name))
    return given


def withdraw(person_id: int, signature_id: int, organization_id: int) -> str | None:
    """Delete one consent a person gave to a partner, audited; the partner's name, or None if not theirs.

    The audit event says which campaign, partner and signature, never who.
    """
    if not (0 < signature_id <= _MAX_ID and 0 < organization_id <= _MAX_ID):
        return None
    found = db.session.execute(
        select(PartnerConsent.id, Signature.campaign_id, Organization.name)
        .join(Signature, Signature.id == PartnerConsent.signature_id)
        .join(Organization, Organization.id == PartnerConsent.organization_id)
        .where(
            PartnerConsent.signature_id == signature_id,
            PartnerConsent.organization_id == organization_id,
            Signature.person_id == person_id,
        )
    ).one_or_none()
    if found is None:
        return None
    consent_id, campaign_id, name = found
    db.session.execute(
        delete(PartnerConsent)
        .where(PartnerConsent.id == consent_id)
        .execution_options(synchronize_session=False)
    )
    audit(
        SUPPORTER_ACTOR,
        "partner.consent_withdrawn",
        f"campaign:{campaign_id}",
        organization_id=organization_id,
        signature_id=signature_id,
    )
    return str(name)
