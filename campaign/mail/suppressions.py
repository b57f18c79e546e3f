"""Addresses mail no longer goes to, known by their keyed hash only: one that bounced for good gets
nothing; one whose owner stopped all email, or called our mail spam, gets only what its kind sends
despite a stop (campaign.mail.kinds: mail about one's own account, and the link to one's own page
at most once a week, the way back).

A stop outlives the person's erasure: whoever types the address into a form
later, nothing is sent to it. The link in the mail to supporters and
invitees (List-Unsubscribe, RFC 8058) stops it in one click.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import ColumnElement, Exists, ScalarSelect, Select, delete, func, select
from sqlalchemy.orm import InstrumentedAttribute

from campaign import clock
from campaign.database import insert
from campaign.extensions import db
from campaign.i18n import link_values
from campaign.links import absolute_url
from campaign.mail.kinds import kind_of
from campaign.mail.models import MailSuppression, OutboxMessage, OutboxStatus, SuppressionReason

# Why a message was not sent: kept in the outbox row's last_error.
BOUNCED = "not sent: the address bounced for good"
STOPPED = "not sent: its owner stopped all email to it"
STOPPED_AND_SENT_LATELY = "not sent: its owner stopped all email to it, and one was sent lately"
# What the owner of an address can stop, and take back.
_STOPS = (SuppressionReason.STOPPED, SuppressionReason.COMPLAINT)
_SALT = "stop-all-email"
_INDEX_LENGTH = 64


def _stops_of(index: str | ColumnElement[str] | InstrumentedAttribute[str]) -> Select[Any]:
    """The stops of the address (a keyed hash, or the column holding one) by its owner."""
    return select(MailSuppression.created_at).where(
        MailSuppression.recipient_index == index, MailSuppression.reason.in_(_STOPS)
    )


def is_stopped(index: str) -> bool:
    """Tell whether the address's owner stopped all email to it (or called our mail spam)."""
    return db.session.execute(_stops_of(index).limit(1)).first() is not None


def stopped_at(index: str | ColumnElement[str] | InstrumentedAttribute[str]) -> ScalarSelect[datetime]:
    """When the address's owner stopped all email to it (or called our mail spam), as SQL; NULL if
    mail goes to it."""
    return _stops_of(index).with_only_columns(func.min(MailSuppression.created_at)).scalar_subquery()


def closes(index: str | ColumnElement[str] | InstrumentedAttribute[str]) -> Exists:
    """Whether mail a supporter did not ask for again goes nowhere, as SQL: the address (a keyed hash,
    or the column holding one) bounced for good, or its owner stopped all email to it; any reason does."""
    return select(MailSuppression.reason).where(MailSuppression.recipient_index == index).exists()


def is_closed(index: str) -> bool:
    """`closes`, asked of one address."""
    return bool(db.session.execute(select(closes(index))).scalar())


def suppress(index: str, reason: SuppressionReason, now: datetime | None = None) -> None:
    """Record that the address with this keyed hash bounced, complained or was stopped (once per reason)."""
    db.session.execute(
        insert(MailSuppression)
        .values(recipient_index=index, reason=reason, created_at=now or clock.now())
        .on_conflict_do_nothing()
    )


def resume(index: str) -> bool:
    """Let mail go to the address again, as its owner asked; tell whether it had been stopped.

    A hard bounce stays: that is about the address, not its owner's wish.
    """
    removing = delete(MailSuppression).where(
        MailSuppression.recipient_index == index, MailSuppression.reason.in_(_STOPS)
    )
    return bool(db.session.execute(removing.returning(MailSuppression.reason)).all())


def stop_token(index: str) -> str:
    """The token of the link that stops all email to the address with this keyed hash; it does not expire."""
    return str(URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT).dumps(index))


def stop_url(index: str | None, language: str | None = None) -> str | None:
    """The one-click link that stops all email to an address, opening in the mail's language."""
    if index is None:
        return None
    return absolute_url("stop_email.offer", token=stop_token(index), **link_values(language))


def index_of_stop_token(token: str) -> str | None:
    """The keyed hash a stop link names; None if it was forged, altered or cut short."""
    if len(token) > 200:
        return None
    try:
        payload = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT).loads(token)
    except BadSignature:
        return None
    if not isinstance(payload, str) or len(payload) != _INDEX_LENGTH:
        return None
    return payload


class Suppressions:
    """What stops the messages of one batch: one read for the indexes known before sending (owed
    with the recipient's keyed hash), one more per other address asked about."""

    def __init__(self, known: Iterable[str]) -> None:
        self._reasons: dict[str, set[SuppressionReason]] = {}
        self._read(sorted(set(known)))

    def _read(self, indexes: list[str]) -> None:
        """Read the suppressions of these addresses."""
        self._reasons.update({index: set() for index in indexes})
        if not indexes:
            return
        found = select(MailSuppression.recipient_index, MailSuppression.reason).where(
            MailSuppression.recipient_index.in_(indexes)
        )
        for index, reason in db.session.execute(found):
            self._reasons[index].add(reason)

    def why_not(self, row: OutboxMessage, index: str) -> str | None:
        """Why the row's message may not go to the address with this keyed hash; None if it may."""
        if index not in self._reasons:
            self._read([index])
        reasons = self._reasons[index]
        if SuppressionReason.HARD_BOUNCE in reasons:
            return BOUNCED
        if reasons.isdisjoint(_STOPS):
            return None
        every = kind_of(row.kind).despite_stop
        if every is None:
            return STOPPED
        if every and _sent_since(row.kind, index, clock.now() - every):
            return STOPPED_AND_SENT_LATELY
        return None


def _sent_since(kind: str, index: str, since: datetime) -> bool:
    """Tell whether a message of this kind went to the address since then."""
    sent = select(OutboxMessage.id).where(
        OutboxMessage.sent_to_index == index,
        OutboxMessage.kind == kind,
        OutboxMessage.status == OutboxStatus.SENT,
        OutboxMessage.sent_at >= since,
    )
    return db.session.execute(sent.limit(1)).first() is not None
