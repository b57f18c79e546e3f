"""Sharing a campaign: links for the messaging apps, Open Graph tags, and the share image.

The share image (1200x630 PNG, what Facebook, Telegram, WhatsApp and X show
beside a link) holds the campaign's title in the reader's language and its
count, over the campaign's image (cropped to 1.91:1 at its focal point, dimmed so the words stay
legible) when it has one. Drawing one costs tens of milliseconds, so each is drawn once per
campaign version, language and count step, and kept as a file in the instance
folder: every web process and every visitor after the first reads the file.
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from PIL import Image, ImageDraw, ImageFont

from campaign import i18n
from campaign.builder import images
from campaign.campaigns.models import Campaign
from campaign.campaigns.service import CampaignView
from campaign.extensions import db
from campaign.links import absolute_url

WIDTH, HEIGHT = 1200, 630
MARGIN = 72
# Fonts shipped in static/fonts (DejaVu Sans, licence beside them): they have Armenian and Cyrillic glyphs.
FONT_REGULAR = "DejaVuSans.ttf"
FONT_BOLD = "DejaVuSans-Bold.ttf"
BACKGROUND = (16, 42, 67)
FOREGROUND = (255, 255, 255)
ACCENT = (255, 196, 61)
MUTED = (170, 190, 210)
# How much of the background colour covers the campaign's image, so white words stay legible on it.
SCRIM = 0.65
# Title sizes tried from the largest down until the title fits in TITLE_LINES lines.
TITLE_SIZES = (72, 64, 56, 48, 42)
TITLE_LINES = 4
# How long browsers and shared caches keep an image before asking again (the count may have moved a step).
IMAGE_CACHE_SECONDS = 300


@dataclass(frozen=True)
class ShareLink:
    """A link that opens a network's share dialog with the campaign's link and text."""

    network: str
    label: str
    href: str


def campaign_url(view: CampaignView, *, source: str | None = None, language: str | None = None) -> str:
    """The campaign's absolute address, tagged with the network it is shared on."""
    values: dict[str, Any] = {}
    if language:
        values["lang"] = language
    if source:
        values["source"] = source
    return current_app.config["BASE_URL"] + url_for("campaigns.show", slug=view.slug, **values)


def canonical_url(endpoint: str, **values: Any) -> str:
    """A public page's one address for search engines: what names its content (the language the
    address asks for, a list's page) and nothing of the tags other sites or our share links add."""
    return absolute_url(endpoint, lang=i18n.requested_language(), **values)


def language_alternates(endpoint: str, **values: Any) -> list[tuple[str, str]]:
    """A public page's address in each language the site speaks, by hreflang code, then `x-default`:
    the address that speaks the reader's language, as their browser asks for it."""
    each = [(code, absolute_url(endpoint, lang=code, **values)) for code in i18n.LANGUAGES]
    return [*each, ("x-default", absolute_url(endpoint, **values))]


def share_links(view: CampaignView, text: str) -> list[ShareLink]:
    """The share links of a campaign: each carries the organizer's text and `?source=<network>`."""

    def link(network: str) -> str:
        """The campaign's address as shared on one network."""
        return campaign_url(view, source=network)

    def query(**values: str) -> str:
        """A query string, encoded as the share dialogs expect (spaces as %20)."""
        return urlencode(values, quote_via=quote)

    return [
        ShareLink("whatsapp", "WhatsApp", "https://wa.me/?" + query(text=f"{text} {link('whatsapp')}")),
        ShareLink("telegram", "Telegram", "https://t.me/share/url?" + query(url=link("telegram"), text=text)),
        ShareLink(
            "facebook", "Facebook", "https://www.facebook.com/sharer/sharer.php?" + query(u=link("facebook"))
        ),
        ShareLink("x", "X", "https://x.com/intent/post?" + query(text=text, url=link("x"))),
        ShareLink(
            "email",
            _("Email"),
            "mailto:?" + query(subject=view.title, body=f"{text}\n\n{link('email')}"),
        ),
    ]


def count_step(count: int) -> int:
    """The count the image shows: exact below 100, then rounded down to two significant digits.

    The image is redrawn only when the count crosses a step (1,200, 1,300, ...),
    not at every signature, and the number shown never exceeds the real one.
    """
    if count < 100:
        return max(count, 0)
    unit = 10 ** (len(str(count)) - 2)
    return count // unit * unit


def count_line(step: int, count: int, goal: int) -> str:
    """The image's count line in the reader's language: '1,200+ of 10,000 signatures' once rounded."""
    shown = i18n.number(step) + ("+" if step < count else "")
    # The home page's sentence, so every language already has it.
    return ngettext(
        "%(total)s of %(goal)s signature",
        "%(total)s of %(goal)s signatures",
        step,
        total=shown,
        goal=i18n.number(goal),
    )


def share_image(view: CampaignView, count: int, goal: int) -> Path:
    """The share image's file for a campaign in the reader's language at its count, drawn if missing."""
    language = i18n.current_language()
    step = count_step(count)
    version = int(view.updated_at.timestamp())
    folder = share_image_folder()
    path = folder / f"{view.id}-{version}-{language}-{step}-{goal}.png"
    if not path.exists():
        progress = min(step, goal) / goal if goal > 0 else 0.0
        png = draw(view.title, count_line(step, count, goal), progress, picture(view.id))
        _write_atomically(folder, path, png)
    return path


def share_image_folder() -> Path:
    """Where the drawn share images are kept: the instance folder, shared by the processes of a machine."""
    return Path(current_app.instance_path) / "share-images"


def _write_atomically(folder: Path, path: Path, data: bytes) -> None:
    """Write a file under its name in one step, so a reader never sees half of it."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".part")
    with os.fdopen(handle, "wb") as file:
        file.write(data)
    # Two processes drawing the same image at once both land the same bytes.
    Path(temporary).replace(path)


@cache
def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    """One of the shipped fonts at a size (kept: loading a font reads a file)."""
    return ImageFont.truetype(str(Path(current_app.static_folder or "static") / "fonts" / name), size)


def wrap(text: str, face: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Break text into lines no wider than `width`, at spaces (a word longer than a line is cut)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if face.getlength(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while face.getlength(word) > width:
            cut = max(1, next(i for i in range(len(word), 0, -1) if face.getlength(word[:i]) <= width))
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines


def _title_lines(title: str, width: float) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest title size whose lines fit; at the smallest, the last line ends in an ellipsis."""
    for size in TITLE_SIZES:
        face = font(FONT_BOLD, size)
        lines = wrap(title, face, width)
        if len(lines) <= TITLE_LINES:
            return face, lines
    kept = lines[:TITLE_LINES]
    last = kept[-1]
    while last and face.getlength(last + "…") > width:
        last = last[:-1]
    kept[-1] = last.rstrip() + "…"
    return face, kept


def picture(campaign_id: int) -> Image.Image | None:
    """The campaign's image cropped to the share image at its focal point and dimmed; None without one."""
    campaign = db.session.get(Campaign, campaign_id)
    path = images.path_of(campaign.image_name) if campaign and campaign.image_name else None
    if campaign is None or path is None:
        return None
    with Image.open(path) as stored:
        # A transparent PNG shows the share image's background colour through.
        flat = Image.alpha_composite(
            Image.new("RGBA", stored.size, (*BACKGROUND, 255)), stored.convert("RGBA")
        )
    crop = images.cropped(flat.convert("RGB"), (WIDTH, HEIGHT), campaign.image_focus)
    return Image.blend(crop, Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND), SCRIM)


def draw(title: str, count_text: str, progress: float, background: Image.Image | None = None) -> bytes:
    """Draw the 1200x630 share image: title, count, progress bar (over the campaign's image); as PNG."""
    image = background.copy() if background is not None else Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    pen = ImageDraw.Draw(image)
    width = WIDTH - 2 * MARGIN
    face, lines = _title_lines(title, width)
    line_height = int(face.size * 1.2)
    top = MARGIN
    for line in lines:
        pen.text((MARGIN, top), line, font=face, fill=FOREGROUND)
        top += line_height
    count_face = font(FONT_BOLD, 52)
    bar_top = HEIGHT - MARGIN - 24
    pen.text((MARGIN, bar_top - 90), count_text, font=count_face, fill=ACCENT)
    pen.rounded_rectangle((MARGIN, bar_top, MARGIN + width, bar_top + 24), radius=12, fill=MUTED)
    filled = int(width * max(0.0, min(1.0, progress)))
    if filled >= 24:
        pen.rounded_rectangle((MARGIN, bar_top, MARGIN + filled, bar_top + 24), radius=12, fill=ACCENT)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
