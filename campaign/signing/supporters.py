"""The supporter's own page: what is held for an address, and withdrawing, stopping email, erasing.

Its link carries a signed, expiring token naming the person; it is in every
email to a supporter, and anyone can ask for it again by email without
learning whether an address had signed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, select, update

from campaign import clock, dispatch, i18n
from campaign.campaigns import comments
from campaign.campaigns.models import Campaign
from campaign.counts.fold import FOLD_TASK
from campaign.extensions import db
from campaign.ledger import receipts as ledger_receipts
from campaign.links import absolute_url
from campaign.mail import service as mail
from campaign.mail import suppressions
from campaign.mail.models import OutboxMessage, SuppressionReason
from campaign.partners import consents as partner_consents
from campaign.privacy import vault
from campaign.signing import consents, messages
from campaign.signing.models import Person, Personal, Signature, SignatureStatus
from campaign.webhooks import events as webhooks

_SALT = "my-page"
MY_LINK_KIND = "my-link"
# The ref_id of a link asked for an address nobody signed with: owed, never sent.
NOBODY = 0
# Outbox kinds that are about one signature (their ref_id is its id).
_SIGNATURE_KINDS = (messages.CONFIRMATION_KIND, messages.ALREADY_SIGNED_KIND)
WITHDRAWN = "withdrawn"
ERASED = "erased"


def my_token(person_id: int) -> str:
    """The token of a person's own page."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT).dumps(person_id)


def my_url(person_id: int | None, language: str | None = None) -> str | None:
    """The link to a person's own page, for the emails they get (opening in the mail's language)."""
    if person_id is None:
        return None
    return absolute_url("signing.my_page", token=my_token(person_id), **i18n.link_values(language))


def person_of_token(token: str) -> int | None:
    """The person a token names while it is good; None if it expired, was altered, or they were erased."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)
    try:
        payload = serializer.loads(token, max_age=current_app.config["MY_TOKEN_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(payload, int) or isinstance(payload, bool) or db.session.get(Person, payload) is None:
        return None
    return payload


@dataclass(frozen=True)
class Held:
    """One signature as its signer sees it on their page."""

    signature: Signature
    campaign: Campaign
    consents: dict[str, str]
    # Its receipt in the campaign's public ledger, once it has counted.
    receipt: str | None = None
    # The words of each "<partner> may email me" it ticked, and the language they were shown in.
    partner_consents: tuple[tuple[str, str], ...] = ()

    @property
    def state(self) -> str:
        """Pending, counted, withdrawn or removed, in words."""
        if self.signature.status == SignatureStatus.PENDING:
            return _("waiting for your confirmation")
        if self.signature.status == SignatureStatus.VALIDATED:
            return _("confirmed and counted")
        return _("withdrawn") if self.signature.removal_reason == WITHDRAWN else _("no longer counted")


def held_for(person_id: int) -> list[Held]:
    """Every signature held for a person, newest first, with the words of the consents it was given under."""
    rows = db.session.execute(
        select(Signature, Campaign)
        .join(Campaign, Campaign.id == Signature.campaign_id)
        .where(Signature.person_id == person_id)
        .order_by(Signature.created_at.desc(), Signature.id.desc())
    ).all()
    texts: dict[str, dict[str, str]] = {}
    held = []
    ids = [row[0].id for row in rows]
    receipts = ledger_receipts.receipts_of(ids)
    to_partners = partner_consents.given_by(ids)
    for signature, campaign in rows:
        version = signature.consent_version
        if version not in texts:
            texts[version] = consents.texts_of(version)
        given = tuple(to_partners.get(signature.id, ()))
        held.append(Held(signature, campaign, texts[version], receipts.get(signature.id), given))
    return held


def withdraw(person_id: int, signature_id: int, now: datetime | None = None) -> bool:
    """Withdraw one of the person's signatures: it stops counting, nothing owed for it is sent.

    What it held of them is dropped. False if it is not theirs or already withdrawn.
    """
    signature = db.session.get(Signature, signature_id)
    if signature is None or signature.person_id != person_id:
        return False
    if signature.status == SignatureStatus.INVALIDATED:
        return False
    _remove([signature_id], WITHDRAWN, now or clock.now())
    return True


def stop_all_email(
    index: str, now: datetime | None = None, reason: SuppressionReason = SuppressionReason.STOPPED
) -> None:
    """Stop all email to the address with this keyed hash, as its owner asked (on their page, by the
    one-click link in a mail, or by calling our mail spam: `reason`): whoever types it into a form
    later, and after an erasure too.

    Only mail about one's own account, and this page's link once a week, still go to it.
    """
    from campaign.updates import service as updates

    suppressions.suppress(index, reason, now or clock.now())
    person_id = db.session.execute(select(Person.id).where(Person.email_index == index)).scalar()
    if person_id is None:
        return
    # Each campaign's updates are stopped too: they stay so if the owner lets email come again.
    campaign_ids = db.session.execute(
        select(Signature.campaign_id).where(Signature.person_id == person_id)
    ).scalars()
    for campaign_id in campaign_ids:
        updates.unsubscribe(campaign_id, person_id)


def index_of(person_id: int) -> str:
    """The keyed hash of the person's address, which mail to it is bounded and stopped by."""
    return db.session.get_one(Person, person_id).email_index


def is_email_stopped(person_id: int) -> bool:
    """Tell whether all email to the person's address is stopped (by them, or by their complaint)."""
    return suppressions.is_stopped(index_of(person_id))


def resume_email(index: str) -> bool:
    """Let email go to the address with this keyed hash again, as its owner asked (on their page, or
    on the page of a stop link); tell whether it had been stopped.

    Updates stopped campaign by campaign stay stopped: the person chose that for each.
    """
    return suppressions.resume(index)


def erase(person_id: int, now: datetime | None = None) -> int:
    """Erase everything held for a person: their signatures stop counting and name no one; return how many."""
    ids = list(db.session.execute(select(Signature.id).where(Signature.person_id == person_id)).scalars())
    _remove(ids, ERASED, now or clock.now())
    db.session.execute(
        update(Signature)
        .where(Signature.id.in_(ids))
        .values(person_id=None, client_hash=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(delete(Person).where(Person.id == person_id))
    return len(ids)


def _remove(signature_ids: list[int], reason: str, now: datetime) -> None:
    """Stop signatures counting (the fold subtracts them), drop their sealed data and their unsent mail."""
    from campaign.targets import service as targets

    if not signature_ids:
        return
    webhooks.emit(webhooks.SIGNATURE_WITHDRAWN, signature_ids, now)  # before: fraudulent ones are left out
    db.session.execute(
        update(Signature)
        .where(Signature.id.in_(signature_ids), Signature.status != SignatureStatus.INVALIDATED)
        .values(status=SignatureStatus.INVALIDATED, invalidated_at=now, removal_reason=reason)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Signature)
        .where(Signature.id.in_(signature_ids))
        .values(sealed=None, masked_name=None, message_hash=None)
        .execution_options(synchronize_session=False)
    )
    mail.cancel(mail.about(_SIGNATURE_KINDS, signature_ids), f"not sent: the signature was {reason}")
    targets.forget_signatures(signature_ids, f"not sent: the signature was {reason}")
    comments.forget(signature_ids)
    partner_consents.forget(signature_ids)
    dispatch.defer(db.session(), FOLD_TASK)


def send_link(email: str) -> None:
    """Owe the link to the person's own page, sent only if anything is held for the address.

    At most once an hour, and within the address's bound on all unsolicited mail. For an
    address nobody signed with, a row that is never sent is owed under an index of its own
    (as a password reset is), so that the work, and the time of the answer, is the same
    either way and does not tell whether the address signed; the mail is written by the
    worker (_compose_link).
    """
    from campaign.signing.service import email_index

    index = email_index(email)
    person_id = db.session.execute(select(Person.id).where(Person.email_index == index)).scalar()
    nobodys = vault.blind_index(index, purpose="my-link-nobody")  # worked out either way: the same time
    mail.owe(
        kind=MY_LINK_KIND,
        dedupe_key=f"my-link:{index if person_id is not None else nobodys}:{clock.now():%Y%m%d%H}",
        ref_id=NOBODY if person_id is None else person_id,
        recipient_index=nobodys if person_id is None else index,
    )


def _compose_link(row: OutboxMessage) -> mail.Composed | None:
    """The link to a person's own page, to the address and in the language they last signed with;
    None for nobody, or once nothing is held for them (withdrawn, erased)."""
    if row.ref_id == NOBODY:
        return None
    latest = db.session.execute(
        select(Signature.sealed, Signature.language)
        .where(Signature.person_id == row.ref_id, Signature.sealed.is_not(None))
        .order_by(Signature.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        return None
    sealed, language = latest
    with force_locale(language):
        return mail.Composed(
            recipient=mail.address("", Personal.opened(sealed).email),
            subject=_("Your signatures: what we hold about you"),
            body=render_template("mail/my_link.txt", my_url=my_url(row.ref_id, language)),
        )


# The way back for someone who stopped all email: their page, where it can be let through again.
mail.register_kind(MY_LINK_KIND, compose=_compose_link, despite_stop=timedelta(days=7))
