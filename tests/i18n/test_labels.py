"""Stored English values (roles, states, outcomes) are named in the reader's language on every page.

The database keeps "organizer", "in_review", "queued"; a French reader must
read "Organisateur", "En cours d'examen", not the stored word. campaign.labels
names every value of every such enum, and the pages show them through the
`label` filter.
"""

# French text with its typographic apostrophe.
# ruff: noqa: RUF001

from __future__ import annotations

import enum
from typing import Any

import pytest
from flask_babel import gettext

from campaign import labels
from campaign.accounts.models import MemberRole, Role
from campaign.api.resources import STATUS_CHOICES
from campaign.builder.lifecycle import Stage
from campaign.builder.models import ChangeKind, ChangeStatus
from campaign.campaigns.models import CampaignStatus, OutcomeKind
from campaign.exports import filters as exports
from campaign.exports.models import ExportStatus
from campaign.moderation import criteria
from campaign.moderation.models import InvalidationStatus
from campaign.signing.models import SignatureStatus
from campaign.targets.delivery import DELIVERY_STATES
from campaign.targets.models import AddressProblem
from campaign.updates.models import UpdateStatus
from tests.support.organizations import make_organization, signed_in

ENUMS: list[tuple[type[enum.Enum], str]] = [
    (Role, "role"),
    (MemberRole, "member_role"),
    (CampaignStatus, "campaign_status"),
    (SignatureStatus, "signature_status"),
    (ExportStatus, "export_status"),
    (InvalidationStatus, "invalidation_status"),
    (UpdateStatus, "update_status"),
    (ChangeStatus, "change_status"),
    (ChangeKind, "change_kind"),
    (OutcomeKind, "outcome"),
    (AddressProblem, "address_problem"),
]


@pytest.mark.parametrize(("values", "kind"), ENUMS, ids=[kind for _, kind in ENUMS])
def test_every_value_of_every_stored_enum_has_a_name(values: type[enum.Enum], kind: str) -> None:
    named = labels.KINDS[kind]
    assert {member.value for member in values} <= set(named), kind
    assert all(str(name).strip() for name in named.values())


def test_every_stored_constant_has_a_name() -> None:
    # A campaign's stage (the builder's and moderation's badge) has a campaign status's name.
    stages = {value for name, value in vars(Stage).items() if name.isupper()}
    assert stages and stages <= set(labels.CAMPAIGN_STATUSES)
    assert set(DELIVERY_STATES) == set(labels.DELIVERY_STATES)
    assert set(exports.COLUMNS) == set(labels.EXPORT_COLUMNS)
    assert set(exports.STATUSES) | set(STATUS_CHOICES) <= set(labels.SIGNATURE_CHOICES)
    assert set(criteria.STATUSES) <= set(labels.SIGNATURE_STATUSES)


def test_the_filter_gives_the_name_in_the_reader_language(app: Any) -> None:
    with app.test_request_context("/?lang=fr"):
        render = app.jinja_env.from_string(
            "{{ status|label('campaign_status') }}/{{ role|label('role') }}"
        ).render
        shown = render(status=CampaignStatus.IN_REVIEW, role="organizer")
        assert shown == f"{gettext('In review')}/{gettext('Organizer')}"
        # The French catalog names both already: the reader sees no English word.
        assert shown == "En cours d’examen/Organisateur"
    with app.test_request_context("/?lang=en"):
        assert labels.label(CampaignStatus.TAKEN_DOWN, "campaign_status") == "Taken down"
        # A value no one named yet is shown as stored rather than breaking the page.
        assert labels.label("someday", "campaign_status") == "someday"


def test_pages_show_roles_and_states_by_their_names(app: Any, db: Any, make_campaign: Any) -> None:
    relief = make_organization(db, "Armenian Relief")
    make_campaign(title="Waiting for staff", status=CampaignStatus.IN_REVIEW, organization_id=relief.id)
    browser = signed_in(app, db, "organizer@example.org", Role.ORGANIZER, organization=relief)

    overview = browser.get("/organize/overview?lang=fr").get_data(as_text=True)
    assert "Waiting for staff" in overview
    assert "<td>En cours d’examen</td>" in overview and "in_review" not in overview

    account = browser.get("/account?lang=fr").get_data(as_text=True)
    assert "organizer@example.org&gt;, Organisateur." in account

    english = browser.get("/organize/overview?lang=en").get_data(as_text=True)
    assert "<td>In review</td>" in english
