"""The public ledger and a receipt quote the campaign in the reader's language, the same bytes for each."""

from campaign.campaigns import translations
from campaign.ledger.receipt_ids import receipt_for
from tests.ledger.test_ledger import add_signers, count_and_publish

FRENCH = translations.TranslationDraft("Sauvez le lac Sevan", "Arrêtez la vidange.", "Signez.")


def counted_receipt(db, make_campaign):
    """An English campaign translated into French, with one signature counted; its receipt."""
    campaign = make_campaign(slug="sevan", title="Save Lake Sevan")
    translations.save(campaign, "fr", FRENCH)
    db.session.commit()
    [signature_id] = add_signers(db, campaign, 1)
    count_and_publish(db)
    return receipt_for(signature_id)


def test_the_ledger_and_the_receipt_quote_the_title_in_the_readers_language(db, client, make_campaign):
    receipt = counted_receipt(db, make_campaign)

    for path in ("/campaigns/sevan/ledger", f"/campaigns/sevan/receipts/{receipt}"):
        french = client.get(f"{path}?lang=fr").get_data(as_text=True)
        english = client.get(path).get_data(as_text=True)
        assert '<strong lang="fr">Sauvez le lac Sevan</strong>' in french, path
        assert "Save Lake Sevan" not in french, path
        assert '<strong lang="en">Save Lake Sevan</strong>' in english, path
        assert "Sauvez le lac Sevan" not in english, path


def test_the_translated_pages_stay_public_and_the_same_for_every_reader_of_a_language(
    db, client, make_campaign
):
    receipt = counted_receipt(db, make_campaign)

    for path in ("/campaigns/sevan/ledger", f"/campaigns/sevan/receipts/{receipt}"):
        named = client.get(f"{path}?lang=fr")
        again = client.get(f"{path}?lang=fr", headers={"Accept-Language": "ru"})
        chosen = client.get(path, headers={"Accept-Language": "fr-CA,fr;q=0.9"})
        assert "public" in named.headers["Cache-Control"] and "Set-Cookie" not in named.headers
        assert named.get_data() == again.get_data(), path
        # Chosen by the browser's header: a shared cache is told to keep a copy per language.
        assert '<strong lang="fr">Sauvez le lac Sevan</strong>' in chosen.get_data(as_text=True)
        assert "Accept-Language" in chosen.headers["Vary"]
