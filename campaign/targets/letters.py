"""Letter text: organizer templates filled in safely, and the preview a signer sees before signing.

Organizer text is a string.Template: `$name` and friends are replaced, nothing
else is evaluated, and a signer's words are inserted once and never read as a
template themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from string import Template

import pycountry

from campaign import labels
from campaign.campaigns.models import Campaign
from campaign.campaigns.translations import letter_templates
from campaign.extensions import db
from campaign.mail.service import header_safe
from campaign.signing.models import Signature
from campaign.targets.models import LetterCampaign, Official

# The placeholders an organizer may use, and how the preview shows each one
# before the signer has filled in the form, in the reader's language.
PLACEHOLDERS = labels.PLACEHOLDERS

# Added under every letter so an official knows how it reached them.
FOOTER = "\n\n-- \nSent on behalf of $name through $site.\n"


@dataclass(frozen=True)
class Segment:
    """A piece of a previewed template: literal text, or a placeholder with its value if known."""

    text: str
    slot: str | None = None


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill in the placeholders; unknown ones and stray dollar signs stay as written."""
    return Template(template).safe_substitute(values)


def templates_in(settings: LetterCampaign, language: str | None) -> tuple[str, str]:
    """The subject and body templates in `language` where the letter is translated into it, else its own."""
    campaign = db.session.get_one(Campaign, settings.campaign_id)
    return letter_templates(campaign, language) or (settings.subject_template, settings.body_template)


def body_template(settings: LetterCampaign, site: str, language: str | None = None) -> str:
    """The organizer's body (in `language` if translated) with the platform's footer under it."""
    return templates_in(settings, language)[1].strip() + Template(FOOTER).safe_substitute(site=site)


def letter_text(
    settings: LetterCampaign, values: Mapping[str, str], site: str, language: str | None = None
) -> tuple[str, str]:
    """The subject and body of one letter, footer included, in the signer's language if translated."""
    subject = templates_in(settings, language)[0]
    return render(subject, values).strip(), render(body_template(settings, site, language), values)


def segments(template: str, values: Mapping[str, str | None]) -> list[Segment]:
    """Split a template into literal text and placeholders (None: not known yet), for a preview."""
    pieces: list[Segment] = []
    position = 0
    for match in Template.pattern.finditer(template):
        pieces.append(Segment(template[position : match.start()]))
        name = match.group("named") or match.group("braced")
        if match.group("escaped") is not None:
            pieces.append(Segment("$"))
        elif name in PLACEHOLDERS:
            value = values.get(name)
            pieces.append(Segment(str(PLACEHOLDERS[name]) if value is None else value, slot=name))
        else:
            pieces.append(Segment(match.group(0)))
        position = match.end()
    pieces.append(Segment(template[position:]))
    return [piece for piece in pieces if piece.text or piece.slot]


def place_of(country: str, region: str | None) -> str:
    """'Ontario, Canada' from 'CA' and 'CA-ON'; the country alone without a region."""
    found = pycountry.countries.get(alpha_2=country)
    country_name = found.name if found else country
    subdivision = pycountry.subdivisions.get(code=region) if region else None
    return f"{subdivision.name}, {country_name}" if subdivision else country_name


def signer_values(signature: Signature, settings: LetterCampaign) -> dict[str, str]:
    """What a signature puts into the letter."""
    # Names and codes are one line each, wherever they end up.
    personal = signature.personal
    given_name, family_name = header_safe(personal.given_name), header_safe(personal.family_name)
    return {
        "name": f"{given_name} {family_name}".strip(),
        "given_name": given_name,
        "family_name": family_name,
        "place": place_of(signature.country, signature.region),
        "postal_code": header_safe(personal.postal_code),
        "message": personal.message if settings.is_signer_editable else "",
    }


def official_values(official: Official) -> dict[str, str]:
    """What an official puts into the letter."""
    return {"official_name": official.name, "official_title": official.title}
