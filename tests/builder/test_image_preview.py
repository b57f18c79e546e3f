"""The image's crop preview: the organizer sees the page's banner and the share image's crop, and
picks the part of the image both keep in view (top, middle, bottom)."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from PIL import Image

from campaign.campaigns import sharing
from campaign.campaigns.models import Campaign, ImageFocus
from tests.builder.test_images import upload
from tests.support.builder import draft_of, press
from tests.support.images import image_bytes

RED, GREEN, BLUE = (200, 30, 30), (30, 160, 30), (30, 30, 200)
# A pixel of the share image right of its words and its bar: only the picture is there.
BESIDE_THE_WORDS = (sharing.WIDTH - 40, sharing.HEIGHT // 2)


@pytest.fixture(autouse=True)
def _share_images_drawn_here_are_removed(app):
    """Remove the share images a test drew: campaign ids start again in each test, the files would stay."""
    with app.app_context():
        folder = sharing.share_image_folder()
    before = set(folder.glob("*.png"))
    yield
    for path in set(folder.glob("*.png")) - before:
        path.unlink(missing_ok=True)


def banded() -> bytes:
    """A tall PNG: a red top band, a green middle, a blue bottom band."""
    image = Image.new("RGB", (400, 900), GREEN)
    image.paste(RED, (0, 0, 400, 300))
    image.paste(BLUE, (0, 600, 400, 900))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def dimmed(colour: tuple[int, int, int]) -> list[int]:
    """A colour of the picture as the share image shows it, under its background's veil."""
    veil = sharing.SCRIM
    return [round(c * (1 - veil) + b * veil) for c, b in zip(colour, sharing.BACKGROUND, strict=True)]


def choose_focus(person, campaign, focus: str):
    """Pick the part of the image to keep in view on the draft's overview."""
    page = f"/organize/campaigns/{campaign.id}"
    return press(person, page, f"{page}/image/focus", focus=focus)


def frames(html: str) -> list[str]:
    """The class lists of the image frames a page shows (not those a script fills in on a file's choice)."""
    shown = re.sub(r"<template.*?</template>", "", html, flags=re.DOTALL)
    return re.findall(r'<div class="(image-frame [^"]*)"', shown)


def share_pixel(team, db, campaign) -> list[int]:
    """Submit and approve the draft, then read the share image's pixel beside its words."""
    page = f"/organize/campaigns/{campaign.id}"
    assert press(team.organizer, page, f"{page}/submit").status_code == 303
    review = f"/staff/moderation/{campaign.id}"
    assert press(team.staff, review, f"{review}/approve").status_code == 303
    db.session.expire_all()
    slug = db.session.get(Campaign, campaign.id).slug
    answer = team.visitor.get(f"/campaigns/{slug}/share.png?lang=en")
    assert answer.status_code == 200 and answer.mimetype == "image/png"
    with Image.open(io.BytesIO(answer.data)) as image:
        assert image.size == (sharing.WIDTH, sharing.HEIGHT)
        pixel = image.convert("RGB").getpixel(BESIDE_THE_WORDS)
    assert isinstance(pixel, tuple)
    return list(pixel)


def close_to(pixel: list[int], colour: list[int]) -> bool:
    """Tell whether a pixel is this colour, give or take rounding."""
    return all(abs(p - c) <= 3 for p, c in zip(pixel, colour, strict=True))


def test_after_the_upload_the_overview_previews_the_banner_and_the_share_crop(db, team):
    campaign = draft_of(db, team.organizer, team.organization)
    assert upload(team.organizer, campaign, banded(), "banner.png").status_code == 303

    html = team.organizer.browser.get(f"/organize/campaigns/{campaign.id}").get_data(as_text=True)

    assert frames(html) == [
        "image-frame image-frame-banner focus-center",
        "image-frame image-frame-share focus-center",
    ]
    assert html.count('alt="A banner"') == 2
    assert "On the campaign page: a wide banner (16:9)." in html
    assert "When the campaign is shared: the share image (1.91:1)" in html
    assert re.search(r'<input checked[^>]*value="center"', html)
    # With JavaScript, a file is previewed in the same frames as soon as it is chosen.
    assert "js/image-focus.js" in html and "<template data-upload-previews>" in html


def test_without_an_image_there_is_nothing_to_preview_or_crop(db, team):
    campaign = draft_of(db, team.organizer, team.organization)
    html = team.organizer.browser.get(f"/organize/campaigns/{campaign.id}").get_data(as_text=True)
    assert frames(html) == [] and "Keep in view when the image is cropped" not in html

    answer = choose_focus(team.organizer, campaign, "top")

    assert answer.status_code == 409 and "Please upload an image first." in answer.get_data(as_text=True)


def test_choosing_the_top_moves_both_previews_and_the_public_banner(db, team):
    campaign = draft_of(db, team.organizer, team.organization)
    upload(team.organizer, campaign, banded(), "banner.png")

    assert choose_focus(team.organizer, campaign, "top").status_code == 303

    html = team.organizer.browser.get(f"/organize/campaigns/{campaign.id}").get_data(as_text=True)
    assert frames(html) == [
        "image-frame image-frame-banner focus-top",
        "image-frame image-frame-share focus-top",
    ]
    assert re.search(r'<input checked[^>]*value="top"', html)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).image_focus == ImageFocus.TOP
    share_pixel(team, db, campaign)
    public = team.visitor.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert frames(public) == ["image-frame image-frame-banner focus-top"]


def test_the_share_image_keeps_the_chosen_band_in_view(db, team):
    pixels = {}
    for focus in ("top", "center", "bottom"):
        campaign = draft_of(db, team.organizer, team.organization)
        upload(team.organizer, campaign, banded(), "banner.png")
        if focus != "center":
            assert choose_focus(team.organizer, campaign, focus).status_code == 303
        pixels[focus] = share_pixel(team, db, campaign)

    assert close_to(pixels["top"], dimmed(RED)), pixels
    assert close_to(pixels["center"], dimmed(GREEN)), pixels
    assert close_to(pixels["bottom"], dimmed(BLUE)), pixels


def test_a_campaign_without_an_image_keeps_its_plain_share_image(db, team):
    campaign = draft_of(db, team.organizer, team.organization)
    assert share_pixel(team, db, campaign) == list(sharing.BACKGROUND)


def test_an_unknown_focal_point_is_refused_with_a_message(db, team):
    campaign = draft_of(db, team.organizer, team.organization)
    upload(team.organizer, campaign, image_bytes("PNG"), "banner.png")

    answer = choose_focus(team.organizer, campaign, "left")

    assert answer.status_code == 400 and "Not a valid choice" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).image_focus == ImageFocus.CENTER


def test_the_crop_of_an_approved_campaign_cannot_change_without_review(db, team):
    campaign = draft_of(db, team.organizer, team.organization)
    upload(team.organizer, campaign, banded(), "banner.png")
    share_pixel(team, db, campaign)

    answer = choose_focus(team.organizer, campaign, "bottom")

    assert answer.status_code == 409
    assert "Only a draft's image can be changed." in unescape(answer.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).image_focus == ImageFocus.CENTER


def test_a_forged_csrf_token_changes_no_crop(db, team):
    campaign = draft_of(db, team.organizer, team.organization)
    upload(team.organizer, campaign, banded(), "banner.png")
    page = f"/organize/campaigns/{campaign.id}"

    answer = team.organizer.browser.post(f"{page}/image/focus", data={"csrf_token": "forged", "focus": "top"})

    assert answer.status_code == 400
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).image_focus == ImageFocus.CENTER
