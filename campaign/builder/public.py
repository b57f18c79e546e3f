"""What the public campaign page shows from the builder: the outcome, the image, the share text, and
what supporters trust: who runs it (the organization's name and logo) and whom it addresses.

The page is rendered from a CampaignView (in the reader's language, campaign.campaigns.translations)
and cached per campaign version and language; these parts are read for the same version when a
skeleton is rendered, so an edit or a translation (each moves `updated_at`) shows at once and
nothing here is user-specific.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from sqlalchemy import func, select

from campaign.accounts.models import Organization
from campaign.builder.lifecycle import Outcome, outcome_of
from campaign.campaigns.models import Campaign, CampaignKind
from campaign.campaigns.service import CampaignView
from campaign.campaigns.translations import LocalizedView
from campaign.extensions import db
from campaign.links import absolute_url
from campaign.targets.models import LetterCampaign, LetterTarget, Official, Targeting

# The picture a campaign without an image of its own shows, per kind (drawn for the project).
DEFAULT_IMAGES = {
    CampaignKind.PETITION: "img/default-petition.svg",
    CampaignKind.LETTER: "img/default-letter.svg",
}
# A letter campaign's card lists at most this many of its officials.
OFFICIALS_SHOWN = 12


@dataclass(frozen=True)
class Addressee:
    """An official a letter campaign writes to, as its page names them: never their address."""

    name: str
    title: str
    body: str


@dataclass(frozen=True)
class Host:
    """The organization running a campaign, as its page shows it."""

    name: str
    logo_path: str | None = None
    logo_width: int | None = None
    logo_height: int | None = None


@dataclass(frozen=True)
class PageExtras:
    """The builder's parts of a campaign's public page."""

    outcome: Outcome | None = None
    # The image's path for the page (same origin, as the CSP wants) and its absolute URL for og:image.
    image_path: str | None = None
    image_url: str | None = None
    image_width: int | None = None
    image_height: int | None = None
    # What the banner's crop keeps in view (top, center, bottom): its .focus-* class.
    image_focus: str = "center"
    share_text: str = ""
    # What the image shows ("" for none: the default picture is decorative), and that picture.
    image_alt: str = ""
    default_image_path: str = ""
    # Who a petition is addressed to (in the reader's language where translated, in
    # `decision_maker_language`); a letter campaign's officials (fixed list) or routing.
    decision_maker: str = ""
    decision_maker_language: str = ""
    addressees: tuple[Addressee, ...] = ()
    more_addressees: int = 0
    is_routed: bool = False
    host: Host | None = None


def page_extras(view: CampaignView) -> PageExtras:
    """The outcome, image, share text, organization and addressees of the campaign a public page shows.

    Read when a page's skeleton is rendered (once per campaign version and
    minute in each process, campaign.campaigns.pages), never per visitor.
    """
    campaign = db.session.get(Campaign, view.id)
    if campaign is None:
        return PageExtras()
    addressees, more, is_routed = _addressees(campaign)
    decision_maker, decision_maker_language = _decision_maker(view, campaign)
    return PageExtras(
        outcome=outcome_of(campaign),
        image_path=url_for("builder.image", name=campaign.image_name) if campaign.image_name else None,
        image_url=absolute_url("builder.image", name=campaign.image_name) if campaign.image_name else None,
        image_width=campaign.image_width,
        image_height=campaign.image_height,
        image_focus=str(campaign.image_focus),
        share_text=campaign.share_text,
        image_alt=campaign.image_alt or "",
        default_image_path=url_for("static", filename=DEFAULT_IMAGES[campaign.kind]),
        decision_maker=decision_maker,
        decision_maker_language=decision_maker_language,
        addressees=addressees,
        more_addressees=more,
        is_routed=is_routed,
        host=_host(campaign.organization_id),
    )


def _decision_maker(view: CampaignView, campaign: Campaign) -> tuple[str, str]:
    """Whom the campaign addresses, as the page's reader reads it (a translated view's), and its language."""
    if isinstance(view, LocalizedView):
        return view.decision_maker, view.decision_maker_language
    return campaign.decision_maker, campaign.language


def _host(organization_id: int | None) -> Host | None:
    """The organization's name and logo, for the page."""
    organization = db.session.get(Organization, organization_id) if organization_id else None
    if organization is None:
        return None
    if organization.logo_name is None:
        return Host(organization.name)
    path = url_for("accounts.logo", name=organization.logo_name)
    return Host(organization.name, path, organization.logo_width, organization.logo_height)


def _addressees(campaign: Campaign) -> tuple[tuple[Addressee, ...], int, bool]:
    """A letter campaign's officials (the first OFFICIALS_SHOWN, how many more), or that it is routed."""
    settings = db.session.get(LetterCampaign, campaign.id) if campaign.is_letter else None
    if settings is None:
        return (), 0, False
    if settings.targeting == Targeting.ROUTED:
        return (), 0, True
    rows = db.session.execute(
        select(Official.name, Official.title, Official.body)
        .join(LetterTarget, LetterTarget.official_id == Official.id)
        .where(LetterTarget.campaign_id == campaign.id, ~Official.is_paused)
        .order_by(Official.name, Official.id)
        .limit(OFFICIALS_SHOWN + 1)
    ).all()
    shown = tuple(Addressee(name, title, body) for name, title, body in rows[:OFFICIALS_SHOWN])
    more = 0
    if len(rows) > OFFICIALS_SHOWN:
        more = _fixed_count(campaign.id) - OFFICIALS_SHOWN
    return shown, more, False


def _fixed_count(campaign_id: int) -> int:
    """How many officials with a working address a fixed-list campaign writes to."""
    query = (
        select(func.count())
        .select_from(LetterTarget)
        .join(Official, Official.id == LetterTarget.official_id)
        .where(LetterTarget.campaign_id == campaign_id, ~Official.is_paused)
    )
    return int(db.session.execute(query).scalar_one())
