"""The form a campaign's owner invites a partner organization with."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from campaign.partners.models import PartnerStatus
from campaign.validation import single_line

# How each state of a partnership is named on the pages.
STATUS_LABELS = {
    PartnerStatus.INVITED: _l("Invited, waiting for an answer"),
    PartnerStatus.ACCEPTED: _l("Partner"),
    PartnerStatus.DECLINED: _l("Declined"),
    PartnerStatus.REMOVED: _l("Removed"),
}


class InviteForm(FlaskForm):
    """Which organization to invite: its name or its short name."""

    organization = StringField(
        _l("The organization's name or short name"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            DataRequired(_l("Please give the organization's name or short name.")),
            Length(max=200, message=_l("Please shorten the name to 200 characters.")),
            single_line,
        ],
    )
