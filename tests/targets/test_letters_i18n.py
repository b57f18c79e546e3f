"""A letter names the signer's country and region in the language the official reads the letter in."""

# Armenian text with its own punctuation (full stop, pause).
# ruff: noqa: RUF001

from __future__ import annotations

from typing import Any

from campaign.campaigns import translations
from campaign.campaigns.models import Campaign
from campaign.targets import letters
from campaign.targets.messages import write_letter
from campaign.targets.models import Letter

FR_BODY = "Madame, Monsieur $official_name,\n\nJ'écris de $place.\n\n$message\n\n$name\n"


def letter_of(db: Any, signature: Any, official: Any) -> Letter:
    """The letter of a signature to an official, as routing records it."""
    letter = Letter(campaign_id=signature.campaign_id, signature_id=signature.id, official_id=official.id)
    db.session.add(letter)
    db.session.commit()
    return letter


def test_a_place_is_named_in_the_language_asked_for():
    assert letters.place_of("CA", "CA-ON", "en") == "Ontario, Canada"
    assert letters.place_of("DE", "DE-BY", "en") == "Bavaria, Germany"
    assert letters.place_of("DE", "DE-BY", "fr") == "Bavière, Allemagne"
    assert letters.place_of("DE", None, "ru") == "Германия"
    # A region the standard does not know: the country alone.
    assert letters.place_of("CA", "CA-XX", "fr") == "Canada"


def test_a_letter_in_the_campaigns_french_names_the_place_in_french(
    app, db, officials, make_letter_campaign, make_signature
):
    settings = make_letter_campaign(targets=[officials["fr"]])
    campaign = db.session.get(Campaign, settings.campaign_id)
    campaign.language = "fr"
    db.session.commit()
    # Signed on the English page: the letter is not translated into English, so it goes in French.
    signature = make_signature(campaign.id, "writer@example.org", country="DE", region="DE-BY", language="en")

    with app.app_context():
        written = write_letter(letter_of(db, signature, officials["fr"]))

    assert "I write from Bavière, Allemagne." in written.body
    assert "Germany" not in written.body and "Bavaria" not in written.body


def test_a_translated_letter_names_the_place_in_its_language_and_the_others_in_the_campaigns(
    app, db, officials, make_letter_campaign, make_signature
):
    settings = make_letter_campaign(targets=[officials["fr"]])
    campaign = db.session.get(Campaign, settings.campaign_id)
    draft = translations.TranslationDraft(
        "Suspendez les permis", "Résumé.", "Corps.", letter_subject="De $name", letter_body=FR_BODY
    )
    translations.save(campaign, "fr", draft)
    db.session.commit()
    french = make_signature(campaign.id, "fr@example.org", country="DE", region="DE-BY", language="fr")
    # No Russian letter: a signer on the Russian page sends the campaign's English one.
    russian = make_signature(campaign.id, "ru@example.org", country="CA", region="CA-ON", language="ru")

    with app.app_context():
        in_french = write_letter(letter_of(db, french, officials["fr"]))
        in_english = write_letter(letter_of(db, russian, officials["fr"]))

    assert "J'écris de Bavière, Allemagne." in in_french.body
    assert "I write from Ontario, Canada." in in_english.body


HY_BODY = "Հարգելի $official_name,\n\nԻմ բնակավայրը՝ $place։\n\n$message\n\n$name\n"


def test_an_armenian_letter_names_yerevan_and_ontario_in_armenian(
    app, db, officials, make_letter_campaign, make_signature
):
    assert letters.place_of("CA", "CA-ON", "hy") == "Օնտարիո, Կանադա"
    settings = make_letter_campaign(targets=[officials["fr"]])
    campaign = db.session.get(Campaign, settings.campaign_id)
    draft = translations.TranslationDraft(
        "Կասեցրեք թույլտվությունները", "Ամփոփում։", "Տեքստ։", letter_subject="$name-ից", letter_body=HY_BODY
    )
    translations.save(campaign, "hy", draft)
    db.session.commit()
    yerevan = make_signature(campaign.id, "am@example.org", country="AM", region="AM-ER", language="hy")
    ontario = make_signature(campaign.id, "on@example.org", country="CA", region="CA-ON", language="hy")

    with app.app_context():
        from_yerevan = write_letter(letter_of(db, yerevan, officials["fr"]))
        from_ontario = write_letter(letter_of(db, ontario, officials["fr"]))

    assert "Իմ բնակավայրը՝ Երևան, Հայաստան։" in from_yerevan.body
    assert "Իմ բնակավայրը՝ Օնտարիո, Կանադա։" in from_ontario.body
    assert "Erevan" not in from_yerevan.body and "Ontario" not in from_ontario.body
