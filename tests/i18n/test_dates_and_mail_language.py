"""Dates as each language writes them on the pages a supporter reads, and the "already signed" email
in the language the supporter signed in."""

# Armenian and Russian text is the point of these tests.
# ruff: noqa: RUF001

from __future__ import annotations

import re
from datetime import datetime

import pytest

from campaign.campaigns.comments import PublicComment, keep
from campaign.campaigns.models import CampaignTranslation
from campaign.signing.supporters import my_token
from tests.i18n.test_language_choice import html_lang, translated
from tests.support import outbox
from tests.support.signers import add_signature

SIGNED_AT = datetime(2026, 3, 3, 12, 34)
# What a reader of each language reads for 3 March 2026 (Babel's long date, the `day` filter) ...
DAYS = {
    "en": "March 3, 2026",
    "hy": "2026 թ. մարտի 3",
    "fr": "3 mars 2026",
    "ru": "3 марта 2026\u202fг.",  # a narrow no-break space, as CLDR writes it
}
# ... and for 3 March 2026 at 12:34 (Babel's medium date and time, the `moment` filter).
MOMENTS = {
    "en": "Mar 3, 2026, 12:34:00\u202fPM",
    "hy": "2026 թ. մրտ 3, 12:34:00",
    "fr": "3 mars 2026, 12:34:00",
    "ru": "3 мар. 2026\u202fг., 12:34:00",
}


@pytest.mark.parametrize("language", ["en", "hy", "fr", "ru"])
def test_a_reason_for_signing_is_dated_as_the_readers_language_writes_dates(
    client, db, make_campaign, language
):
    campaign = make_campaign(slug="dated", title="Recognize Artsakh")
    signature = add_signature(db, campaign.id, "anahit@example.org", country="AM")
    keep(signature.id, campaign.id, "Anahit", "AM", "For the people who had to leave.")
    db.session.execute(db.update(PublicComment).values(created_at=SIGNED_AT))
    db.session.commit()

    page = client.get(f"/campaigns/dated?lang={language}").get_data(as_text=True)

    assert html_lang(page) == language
    assert f'<time datetime="2026-03-03">{DAYS[language]}</time>' in page


@pytest.mark.parametrize("language", ["en", "hy", "fr", "ru"])
def test_a_supporters_own_page_dates_their_signature_in_their_language(db, client, make_campaign, language):
    campaign = make_campaign(slug="my-dates", title="Recognize Artsakh")
    signature = add_signature(db, campaign.id, "anahit@example.org", created_at=SIGNED_AT)
    assert signature.person_id is not None

    page = client.get(f"/my/{my_token(signature.person_id)}?lang={language}").get_data(as_text=True)

    assert html_lang(page) == language
    assert MOMENTS[language] in page


@pytest.mark.parametrize(
    ("language", "title"),
    [("hy", "Ճանաչե՛ք Արցախը"), ("fr", "Reconnaissez l’Artsakh"), ("ru", "Признайте Арцах")],
)
def test_the_already_signed_email_is_in_the_language_the_supporter_signed_in(
    db, make_campaign, sign, language, title
):
    campaign = make_campaign(slug="recognize", title="Recognize Artsakh")
    db.session.add(
        CampaignTranslation(
            campaign_id=campaign.id, language=language, title=title, summary="…", body_markdown="…"
        )
    )
    add_signature(db, campaign.id, "anahit@example.org", language=language)

    # They sign again from a page in English: the note goes in the language they signed in.
    assert sign("recognize", email="anahit@example.org").status_code == 303

    [message] = outbox.composed(db, "already-signed")
    assert message.subject == translated(language, "You have already signed: %(title)s") % {"title": title}
    link = f"http://localhost/campaigns/recognize?lang={language}"
    assert translated(language, "Share the campaign with others: %(url)s") % {"url": link} in message.body
    assert translated(language, "Hello %(name)s,") % {"name": "Anahit"} in message.body
    assert "Someone, probably you" not in message.body
    assert re.search(rf"http://localhost/my/\S+\?lang={language}", message.body)
