"""Deleting on schedule what is no longer needed: each rule a function, run nightly by beat.

- Pending signatures never confirmed: deleted once their confirmation link expired.
- Outbox rows: what they said is dropped as soon as they are sent or given up (the pump does it;
  this sweeps anything left over), keeping status, kind and time.
- Client-address hashes, and the client's address range (hashed and sealed): cleared after
  CLIENT_HASH_DAYS (30).
- Signatures of a campaign that ended (closed, past its deadline, or taken down): anonymised
  ANONYMISE_AFTER_DAYS (about six months) later: the sealed data, initials, the link to the
  person, the hashes and the comment shown publicly go; status, country and region stay, so the
  counts stand.
- People with no signature left: deleted.
- Trending reports (address ranges and email domains in clear): deleted after TRENDING_REPORT_DAYS (30).
Letters hold no text of their own (the worker writes each one when it is sent), so they
hold nothing to clear once sent; their signature's anonymisation clears what they were made of.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, exists, func, or_, select, update

from campaign import clock
from campaign.campaigns import comments
from campaign.campaigns.models import Campaign, CampaignStatus
from campaign.extensions import db
from campaign.mail import outbox
from campaign.moderation import trending
from campaign.signing.models import Person, Signature, SignatureStatus
from campaign.targets import copies


@dataclass(frozen=True)
class Swept:
    """How many rows each rule touched in one run."""

    unconfirmed_deleted: int
    outbox_cleared: int
    client_hashes_cleared: int
    signatures_anonymised: int
    people_deleted: int
    trending_reports_deleted: int

    def as_dict(self) -> dict[str, int]:
        """The figures, for the task's result and the log."""
        return asdict(self)


def run(now: datetime | None = None) -> Swept:
    """Apply every rule once, each in its own commit; return what each did."""
    now = now or clock.now()
    swept = Swept(
        unconfirmed_deleted=_committed(delete_unconfirmed(now)),
        outbox_cleared=_committed(outbox.forget_what_was_said()),
        client_hashes_cleared=_committed(clear_client_hashes(now)),
        signatures_anonymised=_committed(anonymise_ended_campaigns(now)),
        people_deleted=_committed(delete_people_without_signatures()),
        trending_reports_deleted=_committed(trending.delete_old_reports(now)),
    )
    return swept


def _committed(count: int) -> int:
    """Commit one rule's work and pass its count on."""
    db.session.commit()
    return count


def _rowcount(result: object) -> int:
    """How many rows a bulk statement touched."""
    return int(getattr(result, "rowcount", 0) or 0)


def delete_unconfirmed(now: datetime) -> int:
    """Delete pending signatures whose confirmation link has expired; return how many."""
    expired = now - timedelta(seconds=current_app.config["CONFIRM_TOKEN_MAX_AGE"])
    return _rowcount(
        db.session.execute(
            delete(Signature)
            .where(Signature.status == SignatureStatus.PENDING, Signature.created_at < expired)
            .execution_options(synchronize_session=False)
        )
    )


def clear_client_hashes(now: datetime) -> int:
    """Clear the client-address hashes older than CLIENT_HASH_DAYS; return how many."""
    before = now - timedelta(days=current_app.config["CLIENT_HASH_DAYS"])
    return _rowcount(
        db.session.execute(
            update(Signature)
            .where(
                or_(Signature.client_hash.is_not(None), Signature.client_range_hash.is_not(None)),
                Signature.created_at < before,
            )
            .values(client_hash=None, client_range_hash=None, client_range_sealed=None)
            .execution_options(synchronize_session=False)
        )
    )


def anonymise_ended_campaigns(now: datetime) -> int:
    """Anonymise the signatures of campaigns that ended ANONYMISE_AFTER_DAYS ago; return how many."""
    before = now - timedelta(days=current_app.config["ANONYMISE_AFTER_DAYS"])
    ended_at = func.coalesce(Campaign.taken_down_at, Campaign.closed_at, Campaign.closes_at)
    ended = select(Campaign.id).where(
        or_(
            Campaign.status.in_([CampaignStatus.CLOSED, CampaignStatus.TAKEN_DOWN]),
            Campaign.closes_at <= now,
        ),
        ended_at < before,
    )
    to_anonymise = (Signature.campaign_id.in_(ended), Signature.anonymised_at.is_(None))
    # The keyed sketches of their own words go with the words, and so does their public comment.
    copies.forget(select(Signature.id).where(*to_anonymise))
    comments.forget(select(Signature.id).where(*to_anonymise))
    return _rowcount(
        db.session.execute(
            update(Signature)
            .where(*to_anonymise)
            .values(
                sealed=None,
                masked_name=None,
                message_hash=None,
                person_id=None,
                client_hash=None,
                client_range_hash=None,
                client_range_sealed=None,
                email_domain_index=None,
                is_comment_public=False,
                has_email_opt_in=False,
                anonymised_at=now,
            )
            .execution_options(synchronize_session=False)
        )
    )


def delete_people_without_signatures() -> int:
    """Delete the people no signature names any more; return how many."""
    return _rowcount(
        db.session.execute(
            delete(Person)
            .where(~exists().where(Signature.person_id == Person.id))
            .execution_options(synchronize_session=False)
        )
    )
