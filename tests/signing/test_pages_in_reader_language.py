"""A supporter's own pages quote the campaign in the reader's language where it is translated."""

import re
from urllib.parse import urlsplit

from campaign.campaigns import translations
from tests.privacy.test_my_page import my_path
from tests.support.forms import csrf_token
from tests.support.outbox import bodies

FRENCH = translations.TranslationDraft("Sauvez le lac Sevan", "Arrêtez la vidange.", "Signez.")


def translated_campaign(db, make_campaign, slug="sevan", title="Save Lake Sevan"):
    """An English campaign with a French translation."""
    campaign = make_campaign(slug=slug, title=title)
    translations.save(campaign, "fr", FRENCH)
    db.session.commit()
    return campaign


def confirm_path(db):
    """The confirmation link's path, from the email (signed in English: it names no language)."""
    return re.search(r"http://localhost(/confirm/[^\s?]+)", bodies(db, "confirmation")[-1]).group(1)


def test_the_check_your_inbox_page_quotes_the_title_in_the_readers_language(db, client, make_campaign):
    translated_campaign(db, make_campaign)

    french = client.get("/campaigns/sevan/check-your-inbox?lang=fr").get_data(as_text=True)
    english = client.get("/campaigns/sevan/check-your-inbox").get_data(as_text=True)

    assert '<strong lang="fr">Sauvez le lac Sevan</strong>' in french
    assert "Save Lake Sevan" not in french
    assert '<strong lang="en">Save Lake Sevan</strong>' in english


def test_the_confirmation_page_quotes_the_title_in_the_readers_language(db, client, make_campaign, sign):
    translated_campaign(db, make_campaign)
    sign("sevan")
    path = confirm_path(db)

    french = client.get(f"{path}?lang=fr")
    english = client.get(path).get_data(as_text=True)

    page = french.get_data(as_text=True)
    assert '<strong lang="fr">Sauvez le lac Sevan</strong>' in page and "Save Lake Sevan" not in page
    assert french.headers["Cache-Control"] == "no-store"
    assert '<strong lang="en">Save Lake Sevan</strong>' in english
    # Pressing the button leads to the thank-you page in the same language, which quotes it so too.
    done = client.post(f"{path}?lang=fr", data={"csrf_token": csrf_token(page)})
    assert done.status_code == 303 and "lang=fr" in urlsplit(done.headers["Location"]).query
    assert '<p lang="fr">Sauvez le lac Sevan</p>' in client.get(done.headers["Location"]).get_data(
        as_text=True
    )


def test_the_supporters_own_page_quotes_each_campaign_in_the_readers_language_or_its_own(
    db, client, make_campaign, sign
):
    translated_campaign(db, make_campaign)
    make_campaign(slug="forests", title="Protect the forests of Dilijan")
    sign("sevan")
    sign("forests")
    path = my_path(db)

    french = client.get(f"{path}?lang=fr").get_data(as_text=True)
    english = client.get(path).get_data(as_text=True)

    assert re.search(r'<h2 id="held-\d+" lang="fr"><a href="[^"]*">Sauvez le lac Sevan</a></h2>', french)
    # Not translated: its own words, marked as English for screen readers.
    assert re.search(
        r'<h2 id="held-\d+" lang="en"><a href="[^"]*">Protect the forests of Dilijan</a></h2>', french
    )
    assert "Save Lake Sevan" not in french
    assert re.search(r'<h2 id="held-\d+" lang="en"><a href="[^"]*">Save Lake Sevan</a></h2>', english)
    assert "Sauvez le lac Sevan" not in english
