"""The campaign's own translated words wherever a supporter reads its title: update mail, share image.

A signer who signed the Armenian page gets the organizers' updates wrapped in
Armenian, quoting the campaign's Armenian title; the share image a Russian
reader's messenger shows holds the Russian title. The campaign's contact
hears of a milestone in the campaign's own language.
"""

# Armenian and Russian text, whose letters resemble Latin ones.
# ruff: noqa: RUF001

from __future__ import annotations

import io
from typing import Any

from PIL import Image, ImageChops

from campaign import clock
from campaign.campaigns import sharing, translations
from campaign.counts import fold as counts
from campaign.signing.models import SignatureStatus
from campaign.updates import sending as update_sending
from campaign.updates import service as updates
from tests.support.outbox import composed
from tests.support.signers import add_signature, add_signatures_in_bulk

HY_TITLE = "Ճանաչե՛ք Արցախի Հանրապետությունը"
RU_TITLE = "Признайте Республику Арцах"


def translate(db: Any, campaign: Any, language: str, title: str) -> None:
    """Give a campaign its words in a language."""
    translations.save(campaign, language, translations.TranslationDraft(title, f"{title}.", "…"))
    db.session.commit()


def test_an_update_quotes_the_title_in_the_language_the_signer_signed_in(db: Any, make_campaign: Any) -> None:
    campaign = make_campaign(slug="recognize", title="Recognize Artsakh")
    translate(db, campaign, "hy", HY_TITLE)
    for email, language in (("anahit@example.org", "hy"), ("anne@example.org", "fr")):
        add_signature(
            db,
            campaign.id,
            email,
            given_name="Anahit",
            language=language,
            has_email_opt_in=True,
            validated_at=clock.now(),
        )
    draft = updates.create_draft(campaign, None, "We reached parliament", "The vote is on Monday.")
    update_sending.start_sending(draft)
    db.session.commit()
    update_sending.queue_update(draft.id)

    by_recipient = {message.recipient: message for message in composed(db, "update")}
    armenian = by_recipient["Anahit Petrosyan <anahit@example.org>"].body
    assert f"«{HY_TITLE}»" in armenian and "Recognize Artsakh" not in armenian
    assert "/campaigns/recognize?lang=hy" in armenian
    # No French words for it: the French signer reads its own title.
    french = by_recipient["Anahit Petrosyan <anne@example.org>"].body
    assert "Recognize Artsakh" in french and HY_TITLE not in french


def test_the_milestone_note_is_in_the_campaign_language(db: Any, make_campaign: Any) -> None:
    campaign = make_campaign(title=HY_TITLE, language="hy", goal=3, contact_email="team@example.org")
    add_signatures_in_bulk(
        db,
        campaign.id,
        [{"email": f"p{n}@example.org", "country": "AM"} for n in range(3)],
        SignatureStatus.VALIDATED,
    )
    counts.fold_signatures(batch=1000)
    db.session.commit()

    [note] = composed(db, "milestone")
    assert note.recipient == "team@example.org"
    assert HY_TITLE in note.subject
    assert "Շնորհակալություն այն կազմակերպելու համար։" in note.body  # "Thank you for organizing it."
    assert "?lang=hy" in note.body


def drawn(response: Any) -> Image.Image:
    """The image an answer holds."""
    assert response.status_code == 200 and response.mimetype == "image/png"
    return Image.open(io.BytesIO(response.get_data())).convert("RGB")


def test_the_share_image_holds_the_title_in_the_reader_language(
    app: Any, client: Any, db: Any, make_campaign: Any
) -> None:
    campaign = make_campaign(slug="card", title="Recognize the Republic of Artsakh", goal=1000)
    translate(db, campaign, "ru", RU_TITLE)

    russian = drawn(client.get("/campaigns/card/share.png?lang=ru"))
    with app.test_request_context("/?lang=ru"):
        count_line = sharing.count_line(0, 0, 1000)
        with_russian_title = Image.open(io.BytesIO(sharing.draw(RU_TITLE, count_line, 0.0))).convert("RGB")
        with_own_title = Image.open(io.BytesIO(sharing.draw(campaign.title, count_line, 0.0))).convert("RGB")
    assert ImageChops.difference(russian, with_russian_title).getbbox() is None
    assert ImageChops.difference(russian, with_own_title).getbbox() is not None

    # French has no translation: the image holds the campaign's own title.
    french = drawn(client.get("/campaigns/card/share.png?lang=fr"))
    with app.test_request_context("/?lang=fr"):
        own = sharing.draw(campaign.title, sharing.count_line(0, 0, 1000), 0.0)
    assert ImageChops.difference(french, Image.open(io.BytesIO(own)).convert("RGB")).getbbox() is None
