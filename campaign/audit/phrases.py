"""What an audit event did, as pages say it: the log's "campaign.approved" becomes "approved the campaign".

The log keeps each action as a short code, which stays the same in every
language and in every release; a page that shows a history says it in the
reader's language through the `action_phrase` filter:
`{{ names[event.actor] }} {{ event.action|action_phrase }}`. Every action the
app writes has its phrase here (tests/test_audit_phrases.py reads the code for
every `record(...)` and fails on a code without one). A code the app stops
writing keeps its phrase: the events already in the log still carry it. A code
this table does not know is shown as stored.

Each phrase is a verb phrase that follows the name of who acted ("Anahit
approved the campaign"), and names its object, so that no two codes share a
phrase and none needs a translation context.
"""

from __future__ import annotations

from flask_babel import LazyString, lazy_gettext

# Each phrase follows the name of who did it: "Anahit approved the campaign".
PHRASES: dict[str, LazyString] = {
    # A campaign's life, by its organizers and by staff (campaign.builder, campaign.moderation).
    "campaign.created": lazy_gettext("created the campaign"),
    "campaign.submitted": lazy_gettext("submitted the campaign for review"),
    "campaign.approved": lazy_gettext("approved the campaign"),
    "campaign.rejected": lazy_gettext("sent the campaign back for changes"),
    "campaign.taken_down": lazy_gettext("took the campaign down"),
    "campaign.closed": lazy_gettext("closed the campaign"),
    "campaign.outcome_published": lazy_gettext("published the campaign's outcome"),
    "campaign.text_changed": lazy_gettext("changed the campaign's text"),
    "campaign.letter_changed": lazy_gettext("changed the letter's words"),
    "campaign.translation_changed": lazy_gettext("changed a translation of the campaign"),
    "campaign.image_changed": lazy_gettext("changed the campaign's image"),
    "campaign.image_removed": lazy_gettext("removed the campaign's image"),
    "campaign.image_alt_changed": lazy_gettext("changed the description of the campaign's image"),
    "campaign.contact_changed": lazy_gettext("changed the campaign's contact address"),
    "campaign.delivery_changed": lazy_gettext("changed how the letters are delivered"),
    # Changes to an open campaign, proposed and decided (campaign.builder.changes).
    "change.proposed": lazy_gettext("proposed a change"),
    "change.approved": lazy_gettext("approved a change"),
    "change.rejected": lazy_gettext("rejected a change"),
    "change.withdrawn": lazy_gettext("withdrew a change"),
    # Signers' comments on the campaign page (campaign.campaigns.comments).
    "comment.hidden": lazy_gettext("hid a signer's comment"),
    "comment.shown": lazy_gettext("showed a signer's comment again"),
    # Partner organizations (campaign.partners).
    "partner.invited": lazy_gettext("invited an organization to be a partner"),
    "partner.accepted": lazy_gettext("accepted the invitation to be a partner"),
    "partner.declined": lazy_gettext("declined the invitation to be a partner"),
    "partner.removed": lazy_gettext("removed a partner organization"),
    "partner.consent_withdrawn": lazy_gettext("withdrew their consent to a partner's emails"),
    # Signers' personal data leaving the platform (campaign.exports, campaign.api, campaign.webhooks).
    "export.requested": lazy_gettext("asked for an export of the signers"),
    "export.downloaded": lazy_gettext("downloaded an export of the signers"),
    "api.signers_read": lazy_gettext("read signers' data through the API"),
    "webhooks.signers_sent": lazy_gettext("sent signers' data to a webhook"),
    # Letters to officials (campaign.targets).
    "letter.released": lazy_gettext("released a held letter"),
    "official.resumed": lazy_gettext("let letters go to an official's paused address again"),
    # Addresses mail was stopped to after a bounce or a complaint (campaign.mail.commands).
    "mail.unsuppressed": lazy_gettext("let mail go to a suppressed email address again"),
    # Invalidating signatures in bulk (campaign.moderation.invalidation).
    "signatures.invalidation_started": lazy_gettext("started invalidating signatures"),
    "signatures.invalidated": lazy_gettext("invalidated signatures"),
    # Accounts, by staff and by their owners (campaign.accounts).
    "user.created": lazy_gettext("created the account"),
    "user.invited": lazy_gettext("sent the account's invitation again"),
    "user.enabled": lazy_gettext("enabled the account"),
    "user.disabled": lazy_gettext("disabled the account"),
    "user.role_changed": lazy_gettext("changed the account's role"),
    "user.two_factor_reset": lazy_gettext("reset the account's two-factor sign-in"),
    "account.signed_out_everywhere": lazy_gettext("signed out on every device"),
    "api_token.created": lazy_gettext("created an API token"),
    "api_token.revoked_all": lazy_gettext("revoked every API token of the account"),
    # Organizations and their owners' policies (campaign.accounts, campaign.builder.change_rules).
    "organization.logo_changed": lazy_gettext("changed the organization's logo"),
    "organization.logo_removed": lazy_gettext("removed the organization's logo"),
    "organization.member_removed": lazy_gettext("removed a member from the organization"),
    "organization.invitation_revoked": lazy_gettext("withdrew an invitation to the organization"),
    "organization.exports": lazy_gettext("changed whether members may export signers"),
    "organization.two_factor": lazy_gettext("changed whether members need two-factor sign-in"),
    "organization.change_review": lazy_gettext("changed who approves members' changes"),
    # Webhooks, by their organization and by the platform (campaign.webhooks).
    "webhooks.added": lazy_gettext("added a webhook"),
    "webhooks.removed": lazy_gettext("removed a webhook"),
    "webhooks.secret_rotated": lazy_gettext("changed a webhook's secret"),
    "webhooks.enabled": lazy_gettext("turned a webhook back on"),
    "webhooks.disabled": lazy_gettext("turned a webhook off"),
}


def action_phrase(action: object) -> str:
    """What an audit event did, in the reader's language ('campaign.approved' -> 'approved the campaign')."""
    code = str(action or "")
    phrase = PHRASES.get(code)
    # An unknown code (an older release's, a new one before its phrase) is shown as stored, never an error.
    return str(phrase) if phrase is not None else code
