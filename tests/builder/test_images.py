"""Campaign images: JPEG, PNG or WebP within limits, re-encoded without metadata, under a random name."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from campaign.campaigns.models import Campaign
from tests.support.builder import draft_of, open_campaign, press
from tests.support.forms import csrf_token
from tests.support.images import image_bytes


def upload(person, campaign, data, filename="photo.jpg"):
    """Post an image through the builder page's upload form."""
    page = f"/organize/campaigns/{campaign.id}"
    token = csrf_token(person.browser.get(page).get_data(as_text=True))
    return person.browser.post(
        f"{page}/image",
        data={"csrf_token": token, "image": (io.BytesIO(data), filename), "image_alt": "A banner"},
        content_type="multipart/form-data",
    )


def test_an_uploaded_photo_loses_its_exif_and_is_served_only_to_the_team_until_approved(db, team):
    campaign = draft_of(db, team.organizer, team.organization)
    original = image_bytes("JPEG", (3000, 1500), exif=True)
    assert b"SERIAL-12345" in original

    assert upload(team.organizer, campaign, original).status_code == 303

    db.session.expire_all()
    found = db.session.get(Campaign, campaign.id)
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}\.jpg", found.image_name)
    assert (found.image_width, found.image_height) == (2000, 1000)
    path = f"/media/campaign-images/{found.image_name}"
    served = team.organizer.browser.get(path)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert "no-store" in served.headers["Cache-Control"]
    assert b"SERIAL-12345" not in served.data and b"SpyCam" not in served.data
    with Image.open(io.BytesIO(served.data)) as image:
        assert image.format == "JPEG" and not image.getexif() and "exif" not in image.info
    assert team.visitor.get(path).status_code == 404
    assert team.other_organizer.browser.get(path).status_code == 404
    assert team.staff.browser.get(path).status_code == 200


def test_an_open_campaign_shows_its_image_and_open_graph_tags_to_everyone(db, team):
    campaign = draft_of(db, team.organizer, team.organization)
    upload(team.organizer, campaign, image_bytes("PNG"), "banner.png")
    page = f"/organize/campaigns/{campaign.id}"
    press(team.organizer, page, f"{page}/submit")
    review = f"/staff/moderation/{campaign.id}"
    press(team.staff, review, f"{review}/approve")
    db.session.expire_all()
    name = db.session.get(Campaign, campaign.id).image_name

    html = team.visitor.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)

    image_url = f"http://localhost/media/campaign-images/{name}"
    assert f'<meta property="og:image" content="{image_url}">' in html
    assert f'<img class="campaign-image" src="/media/campaign-images/{name}"' in html
    assert "I signed: recognize Artsakh now." in html
    served = team.visitor.get(f"/media/campaign-images/{name}")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert "immutable" in served.headers["Cache-Control"]


def test_replacing_and_removing_the_image_deletes_the_old_file(db, team, app):
    from campaign.builder import images

    campaign = draft_of(db, team.organizer, team.organization)
    upload(team.organizer, campaign, image_bytes("WEBP"), "a.webp")
    db.session.expire_all()
    first = db.session.get(Campaign, campaign.id).image_name
    upload(team.organizer, campaign, image_bytes("JPEG"))
    db.session.expire_all()
    second = db.session.get(Campaign, campaign.id).image_name
    with app.app_context():
        assert images.path_of(first) is None and images.path_of(second) is not None
    page = f"/organize/campaigns/{campaign.id}"
    token = csrf_token(team.organizer.browser.get(page).get_data(as_text=True))
    assert team.organizer.browser.post(f"{page}/image/delete", data={"csrf_token": token}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).image_name is None
    with app.app_context():
        assert images.path_of(second) is None


def _gif() -> bytes:
    """A small GIF: a real image of a type we do not take."""
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="GIF")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<?php echo 'not an image'; ?>", "not a JPEG, PNG or WebP image"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 200, "not a JPEG, PNG or WebP image"),
        (_gif(), "not a JPEG, PNG or WebP image"),
        (b"", "The file is empty."),
    ],
)
def test_fake_or_unwanted_files_are_refused_and_nothing_changes(db, team, data, message):
    campaign = draft_of(db, team.organizer, team.organization)
    answer = upload(team.organizer, campaign, data)
    assert answer.status_code == 400 and message in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).image_name is None


def test_images_over_the_size_or_pixel_limits_are_refused(db, team, app):
    campaign = draft_of(db, team.organizer, team.organization)
    app.config["CAMPAIGN_IMAGE_MAX_PIXELS"] = 1000 * 1000
    try:
        too_many_pixels = upload(team.organizer, campaign, image_bytes("PNG", (1200, 1000)), "big.png")
    finally:
        del app.config["CAMPAIGN_IMAGE_MAX_PIXELS"]
    too_large = upload(team.organizer, campaign, b"\xff\xd8" + b"\x00" * (6 * 1024 * 1024))

    assert too_many_pixels.status_code == 400 and "too many pixels" in too_many_pixels.get_data(as_text=True)
    assert too_large.status_code == 413
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).image_name is None


def test_a_forged_csrf_token_uploads_nothing(db, team):
    campaign = draft_of(db, team.organizer, team.organization)
    answer = team.organizer.browser.post(
        f"/organize/campaigns/{campaign.id}/image",
        data={"csrf_token": "forged", "image": (io.BytesIO(image_bytes()), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 400
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).image_name is None


def test_unknown_or_malformed_image_names_are_404(client):
    assert client.get("/media/campaign-images/" + "a" * 32 + ".jpg").status_code == 404
    assert client.get("/media/campaign-images/..%2Fsecret_key").status_code == 404


def test_the_image_of_an_approved_campaign_cannot_be_swapped_without_review(db, team):
    campaign = open_campaign(db, team)
    page = f"/organize/campaigns/{campaign.id}"
    token = csrf_token(team.organizer.browser.get(page).get_data(as_text=True))
    answer = team.organizer.browser.post(
        f"{page}/image",
        data={"csrf_token": token, "image": (io.BytesIO(image_bytes()), "a.jpg"), "image_alt": "A banner"},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 409
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).image_name is None
