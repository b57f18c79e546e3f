"""How the pages name the values we store in English: roles, states, outcomes, placeholders, export columns.

The database keeps short English words ("owner", "in_review", "queued"); a
page shows each one through the `label` filter (`{{ user.role|label('role') }}`),
which finds its name here, in the reader's language. One dictionary per kind
of value, because the same word means different things in different places:
a "pending" change waits for approval, a "pending" signature for its
confirmation. Every value of every enum has its name (tests/i18n/test_labels.py).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from flask_babel import LazyString, lazy_gettext

from campaign.accounts.models import MemberRole, Role
from campaign.builder.models import ChangeKind, ChangeStatus
from campaign.campaigns.models import CampaignStatus, OutcomeKind
from campaign.exports.models import ExportStatus
from campaign.moderation.models import InvalidationStatus
from campaign.signing.models import SignatureStatus
from campaign.targets.models import AddressProblem
from campaign.updates.models import UpdateStatus

ROLES: dict[str, LazyString] = {
    Role.ADMIN: lazy_gettext("Admin"),
    Role.STAFF: lazy_gettext("Staff"),
    Role.ORGANIZER: lazy_gettext("Organizer"),
}

MEMBER_ROLES: dict[str, LazyString] = {
    MemberRole.OWNER: lazy_gettext("Owner"),
    MemberRole.MEMBER: lazy_gettext("Member"),
}

# A campaign's stage as organizers and staff see it (campaign.builder.lifecycle.Stage has the same values).
CAMPAIGN_STATUSES: dict[str, LazyString] = {
    CampaignStatus.DRAFT: lazy_gettext("Draft"),
    CampaignStatus.IN_REVIEW: lazy_gettext("In review"),
    CampaignStatus.OPEN: lazy_gettext("Open"),
    CampaignStatus.CLOSED: lazy_gettext("Closed"),
    CampaignStatus.TAKEN_DOWN: lazy_gettext("Taken down"),
}

SIGNATURE_STATUSES: dict[str, LazyString] = {
    SignatureStatus.PENDING: lazy_gettext("Pending"),
    SignatureStatus.VALIDATED: lazy_gettext("Validated"),
    SignatureStatus.INVALIDATED: lazy_gettext("Invalidated"),
    SignatureStatus.FRAUDULENT: lazy_gettext("Fraudulent"),
}

# Which signatures an export or the API takes: a status, or all of them.
SIGNATURE_CHOICES: dict[str, LazyString] = {
    SignatureStatus.VALIDATED: SIGNATURE_STATUSES[SignatureStatus.VALIDATED],
    SignatureStatus.PENDING: SIGNATURE_STATUSES[SignatureStatus.PENDING],
    SignatureStatus.INVALIDATED: SIGNATURE_STATUSES[SignatureStatus.INVALIDATED],
    "all": lazy_gettext("All"),
}

EXPORT_STATUSES: dict[str, LazyString] = {
    ExportStatus.QUEUED: lazy_gettext("Waiting to start"),
    ExportStatus.RUNNING: lazy_gettext("In progress"),
    ExportStatus.DONE: lazy_gettext("Done"),
    ExportStatus.FAILED: lazy_gettext("Failed"),
    ExportStatus.EXPIRED: lazy_gettext("Expired"),
}

INVALIDATION_STATUSES: dict[str, LazyString] = {
    InvalidationStatus.COUNTING: lazy_gettext("Counting"),
    InvalidationStatus.COUNTED: lazy_gettext("Counted, waiting for your word"),
    InvalidationStatus.QUEUED: lazy_gettext("Waiting to start"),
    InvalidationStatus.RUNNING: lazy_gettext("In progress"),
    InvalidationStatus.DONE: lazy_gettext("Done"),
    InvalidationStatus.FAILED: lazy_gettext("Failed"),
}

UPDATE_STATUSES: dict[str, LazyString] = {
    UpdateStatus.DRAFT: lazy_gettext("Draft"),
    UpdateStatus.SENDING: lazy_gettext("Sending"),
    UpdateStatus.SENT: lazy_gettext("Sent"),
}

CHANGE_STATUSES: dict[str, LazyString] = {
    ChangeStatus.PENDING: lazy_gettext("Waiting for approval"),
    ChangeStatus.APPROVED: lazy_gettext("Approved and applied"),
    ChangeStatus.REJECTED: lazy_gettext("Rejected"),
    ChangeStatus.WITHDRAWN: lazy_gettext("Withdrawn"),
}

# What a change does, inside a sentence ("Proposed: the outcome"); capitalized where it stands alone.
CHANGE_KINDS: dict[str, LazyString] = {
    ChangeKind.OUTCOME: lazy_gettext("the outcome"),
    ChangeKind.TEXT: lazy_gettext("the campaign's text"),
    ChangeKind.LETTER: lazy_gettext("the letter's words"),
    ChangeKind.UPDATE: lazy_gettext("an update to the signers"),
    ChangeKind.CLOSE: lazy_gettext("closing the campaign"),
    ChangeKind.TRANSLATION: lazy_gettext("a translation of the campaign"),
}

# The heading above a published outcome.
OUTCOME_HEADINGS: dict[str, LazyString] = {
    OutcomeKind.VICTORY: lazy_gettext("Victory"),
    OutcomeKind.RESPONSE: lazy_gettext("The decision makers responded"),
}

# Where a letter to an official is (campaign.targets.delivery.DELIVERY_STATES).
DELIVERY_STATES: dict[str, LazyString] = {
    "queued": lazy_gettext("Queued"),
    "held": lazy_gettext("Held"),
    "sent": lazy_gettext("Sent"),
    "failed": lazy_gettext("Failed"),
    "bounced": lazy_gettext("Bounced"),
}

# Why no letters go to an official's address (campaign.targets.bounces).
ADDRESS_PROBLEMS: dict[str, LazyString] = {
    AddressProblem.REFUSED: lazy_gettext("address refused mail"),
    AddressProblem.COMPLAINT: lazy_gettext("letters paused: the office reported them as spam"),
}

# The placeholders of a letter, as its preview shows them before the signer has filled in the form
# (campaign.targets.letters: the names are the ones organizers write after a dollar sign).
PLACEHOLDERS: dict[str, LazyString] = {
    "name": lazy_gettext("[your name]"),
    "given_name": lazy_gettext("[your first name]"),
    "family_name": lazy_gettext("[your last name]"),
    "place": lazy_gettext("[your region and country]"),
    "postal_code": lazy_gettext("[your postal code]"),
    "message": lazy_gettext("[your own words]"),
    "official_name": lazy_gettext("[the official's name]"),
    "official_title": lazy_gettext("[the official's title]"),
}

# The columns of an export as the export form names them. The file's own header row stays in
# English (campaign.exports.filters.COLUMNS): the tools that read it look for those names.
EXPORT_COLUMNS: dict[str, LazyString] = {
    "id": lazy_gettext("Signature ID"),
    "given_name": lazy_gettext("First name"),
    "family_name": lazy_gettext("Last name"),
    "email": lazy_gettext("Email"),
    "country": lazy_gettext("Country"),
    "region": lazy_gettext("Region"),
    "postal_code": lazy_gettext("Postal code"),
    "status": lazy_gettext("Status"),
    "created_at": lazy_gettext("Signed at (UTC)"),
    "validated_at": lazy_gettext("Confirmed at (UTC)"),
    "email_opt_in": lazy_gettext("Agreed to updates"),
    "consent_version": lazy_gettext("Consent wording"),
    "source": lazy_gettext("Source"),
    "comment": lazy_gettext("Comment"),
    "message": lazy_gettext("Own words"),
}

# The `label` filter's kinds of value: `{{ value|label('kind') }}`.
KINDS: dict[str, Mapping[str, LazyString]] = {
    "role": ROLES,
    "member_role": MEMBER_ROLES,
    "campaign_status": CAMPAIGN_STATUSES,
    "signature_status": SIGNATURE_STATUSES,
    "signature_choice": SIGNATURE_CHOICES,
    "export_status": EXPORT_STATUSES,
    "invalidation_status": INVALIDATION_STATUSES,
    "update_status": UPDATE_STATUSES,
    "change_status": CHANGE_STATUSES,
    "change_kind": CHANGE_KINDS,
    "address_problem": ADDRESS_PROBLEMS,
    "outcome": OUTCOME_HEADINGS,
    "delivery_state": DELIVERY_STATES,
    "placeholder": PLACEHOLDERS,
    "export_column": EXPORT_COLUMNS,
}


def label(value: object, kind: str) -> str:
    """The name of a stored value in the reader's language ('in_review' -> 'In review').

    A value this module does not know (a new enum member before its name is
    written) is shown as stored rather than breaking the page.
    """
    key = str(value.value) if isinstance(value, enum.Enum) else str(value)
    found = KINDS[kind].get(key)
    return str(found) if found is not None else key
