"""The letter a signer sees before signing: the templates with what they typed so far, and to whom."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from flask import current_app
from sqlalchemy import select

from campaign.extensions import db
from campaign.i18n import current_language
from campaign.targets import letters
from campaign.targets.models import LetterCampaign, Official, Targeting
from campaign.targets.service import letter_settings, officials_for


@dataclass(frozen=True)
class LetterPreview:
    """What a signer is about to send: the letter with what they typed so far, and to whom."""

    subject: list[letters.Segment]
    body: list[letters.Segment]
    is_routed: bool
    is_signer_editable: bool
    # Whether the signer may rewrite the whole letter, and the text the form offers them to edit.
    is_letter_editable: bool
    editable_text: str
    # The fixed list, or the routed officials once the signer's country is known.
    officials: list[Official]
    # For routed campaigns: the regions that have officials of their own, as (code, name).
    regions: list[tuple[str, str]]


def build_preview(campaign_id: int, signer: dict[str, str | None]) -> LetterPreview | None:
    """The preview of a campaign's letter, for a signer who filled in these fields (None: not yet)."""
    settings = letter_settings(campaign_id)
    if settings is None:
        return None
    country, region = signer.get("country"), signer.get("region")
    whole = settings.signers_may_edit_letter
    values: dict[str, str | None] = {
        "given_name": signer.get("given_name"),
        "family_name": signer.get("family_name"),
        "postal_code": signer.get("postal_code"),
        "message": signer.get("message") if settings.is_signer_editable and not whole else "",
        "place": letter_place(settings, country, region) if country else None,
    }
    if values["given_name"] and values["family_name"]:
        values["name"] = f"{values['given_name']} {values['family_name']}"
    is_routed = settings.targeting == Targeting.ROUTED
    site = current_app.config["BASE_URL"]
    editable = letters.editable_text(settings, current_language()) if whole else ""
    if whole:
        # The letter as the signer edits it, shown as written: letter.js follows the field as they type.
        own = letters.Segment(reflow(signer.get("message") or editable), slot="message")
        body = [own, *letters.segments(letters.signer_body("", site), values)]
    else:
        body = letters.segments(reflow(letters.body_template(settings, site, current_language())), values)
    return LetterPreview(
        subject=letters.segments(letters.templates_in(settings, current_language())[0], values),
        body=body,
        is_routed=is_routed,
        is_signer_editable=settings.is_signer_editable,
        is_letter_editable=whole,
        editable_text=editable,
        officials=officials_for(settings, country, region) if (country or not is_routed) else [],
        regions=routed_regions() if is_routed else [],
    )


def letter_place(settings: LetterCampaign, country: str, region: str | None) -> str:
    """The signer's place as the letter they would send names it: in the letter's language, which is
    the campaign's own where the letter is not translated into the reader's (letters.signer_values)."""
    return letters.place_of(country, region, letters.letter_language(settings, current_language()))


# A line that starts an item of a list ("- ", "* ", "1. ", "2) "): its line break stays.
_LIST_ITEM = re.compile(r"\s*(?:[-*\u2022]|\d+[.)])\s")
# Templates whose longest line is under this were wrapped by hand (at 72 or 80 characters, say).
_HAND_WRAPPED_WIDTH = 120


def reflow(template: str) -> str:
    """The template with the line breaks of hand-wrapped paragraphs turned into spaces, for the page.

    The letter is sent as it was written; on a page, hard breaks at 80 characters make
    ragged lines on a phone. A break stays where a paragraph or a list item starts, and
    after a short line (a greeting, a signature's lines), which was not wrapped at the margin.
    """
    lines = template.split("\n")
    longest = max((len(line) for line in lines), default=0)
    if longest > _HAND_WRAPPED_WIDTH:
        return template
    margin = max(40, longest * 2 // 3)
    out = [lines[0]]
    for previous, line in pairwise(lines):
        is_wrapped = len(previous) >= margin and bool(line.strip()) and not _LIST_ITEM.match(line)
        if is_wrapped:
            out[-1] = out[-1].rstrip() + " " + line.lstrip()
        else:
            out.append(line)
    return "\n".join(out)


def routed_regions() -> list[tuple[str, str]]:
    """The regions with officials of their own, as (ISO 3166-2 code, 'Region, Country'), by name."""
    codes = db.session.execute(
        select(Official.region, Official.country).where(Official.region.is_not(None)).distinct()
    ).all()
    named = [(str(code), letters.place_of(country, code)) for code, country in codes]
    return sorted(named, key=lambda pair: pair[1])
