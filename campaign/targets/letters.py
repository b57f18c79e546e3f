"""Letter text: organizer templates filled in safely, and the preview a signer sees before signing.

Organizer text is a string.Template: `$name` and friends are replaced, nothing
else is evaluated, and a signer's paragraph is inserted once and never read as
a template itself. Where signers may edit the whole letter, the letter they
leave takes the organizer's place, and is filled in as the organizer's is.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from string import Template

import pycountry

from campaign import i18n, labels
from campaign.campaigns.models import Campaign
from campaign.campaigns.translations import letter_templates
from campaign.extensions import db
from campaign.mail.service import header_safe
from campaign.privacy import vault
from campaign.signing.models import Signature
from campaign.targets import copies
from campaign.targets.models import LetterCampaign, Official

# The placeholders an organizer may use, and how the preview shows each one
# before the signer has filled in the form, in the reader's language.
PLACEHOLDERS = labels.PLACEHOLDERS

# Added under every letter so an official knows how it reached them.
FOOTER = "\n\n-- \nSent on behalf of $name through $site.\n"
# The signer's paragraph in an organizer's body ($message or ${message}, not an escaped $$message).
_MESSAGE_SLOT = re.compile(r"(?<!\$)\$(?:message\b|\{message\})")


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


def without_message_slot(body: str) -> str:
    """A body template without its $message slot and the blank lines it leaves, trimmed."""
    return re.sub(r"\n{3,}", "\n\n", _MESSAGE_SLOT.sub("", body)).strip()


def editable_text(settings: LetterCampaign, language: str | None = None) -> str:
    """The letter a signer who may edit it whole starts from (in `language` if translated)."""
    return without_message_slot(templates_in(settings, language)[1])


def signer_body(text: str, site: str) -> str:
    """The letter a signer rewrote, as a template, with the platform's footer under it."""
    return text.strip() + Template(FOOTER).safe_substitute(site=site)


def letter_text(
    settings: LetterCampaign, values: Mapping[str, str], site: str, language: str | None = None
) -> tuple[str, str]:
    """The subject and body of one letter, footer included, in the signer's language if translated."""
    subject = templates_in(settings, language)[0]
    own = (values.get("message") or "").strip() if settings.signers_may_edit_letter else ""
    if own:
        # The signer's own letter: its placeholders are filled in as the organizer's are (a
        # string.Template only substitutes; unknown names stay as written), their words not twice.
        return render(subject, values).strip(), render(signer_body(own, site), {**values, "message": ""})
    return render(subject, values).strip(), render(body_template(settings, site, language), values)


def words_hash(text: str) -> str | None:
    """The keyed hash copies of a text share: campaign.signing.service.message_hash's (which imports
    this package, so it is not imported here), on the same words."""
    words = copies.words_of(text)
    return vault.blind_index(" ".join(words), purpose="message") if words else None


def own_words(settings: LetterCampaign, message: str | None, language: str | None) -> str:
    """The words a signer added to, or changed in, the letter they could edit whole, in order."""
    theirs = copies.words_of(message)
    start = copies.words_of(editable_text(settings, language))
    matcher = difflib.SequenceMatcher(a=start, b=theirs, autojunk=False)
    opcodes = matcher.get_opcodes()
    changed = [theirs[j1:j2] for tag, _i1, _i2, j1, j2 in opcodes if tag in ("replace", "insert")]
    return " ".join(word for run in changed for word in run)


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


def letter_language(settings: LetterCampaign, language: str | None) -> str:
    """The language a letter is written in: `language` where the letter is translated into it, else the
    campaign's own (as templates_in chooses)."""
    campaign = db.session.get_one(Campaign, settings.campaign_id)
    if letter_templates(campaign, language) is not None:
        return i18n.supported(language) or campaign.language
    return campaign.language


def place_of(country: str, region: str | None, language: str | None = None) -> str:
    """'Ontario, Canada' from 'CA' and 'CA-ON' (the country alone without a region), named in `language`
    (the letter's; by default the reader's): 'Bavière, Allemagne' in a French letter."""
    language = language or i18n.current_language()
    country_name = i18n.country_name_in(country, language)
    if not region or pycountry.subdivisions.get(code=region) is None:
        return country_name
    return f"{i18n.region_name_in(region, language)}, {country_name}"


def signer_values(signature: Signature, settings: LetterCampaign) -> dict[str, str]:
    """What a signature puts into the letter."""
    # Names and codes are one line each, wherever they end up.
    personal = signature.personal
    given_name, family_name = header_safe(personal.given_name), header_safe(personal.family_name)
    return {
        "name": f"{given_name} {family_name}".strip(),
        "given_name": given_name,
        "family_name": family_name,
        # Named in the language the letter is written in, which the official reads.
        "place": place_of(signature.country, signature.region, letter_language(settings, signature.language)),
        "postal_code": header_safe(personal.postal_code),
        "message": (
            personal.message if settings.is_signer_editable or settings.signers_may_edit_letter else ""
        ),
    }


def official_values(official: Official) -> dict[str, str]:
    """What an official puts into the letter."""
    return {"official_name": official.name, "official_title": official.title}
