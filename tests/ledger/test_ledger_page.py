"""The ledger in plain words: what a supporter or journalist reaches from the campaign page and a receipt."""

from pathlib import Path

from campaign.ledger.heads import publish_heads
from tests.privacy.test_my_page import counted_then_withdrawn
from tests.support.run import forget_caches

VERIFIER = Path(__file__).resolve().parents[2] / "campaign" / "ledger" / "verify.py"


def test_the_ledger_page_says_what_counts_what_was_removed_and_why_and_how_to_check_it(
    db, client, make_campaign, sign, celery_worker
):
    make_campaign(slug="recognize", title="Recognize Artsakh")
    early = client.get("/campaigns/recognize/ledger")
    # Before the first signed summary: a page that says when to come back, not an error.
    assert early.status_code == 200
    assert "not published yet" in early.get_data(as_text=True)

    sign("recognize")
    counted_then_withdrawn(client, db, "recognize")
    publish_heads()

    forget_caches()  # the page's skeleton, kept a few seconds, was made before anything counted
    campaign_page = client.get("/campaigns/recognize").get_data(as_text=True)
    assert 'href="/campaigns/recognize/ledger"' in campaign_page
    answer = client.get("/campaigns/recognize/ledger")
    page = answer.get_data(as_text=True)
    head = client.get("/campaigns/recognize/ledger.json").json
    assert answer.status_code == 200
    # The same bytes for everyone: a shared cache may keep it, and it sets no cookie.
    assert "public" in answer.headers["Cache-Control"] and "Set-Cookie" not in answer.headers
    assert "Recognize Artsakh" in page
    assert head["root_hash"] in page and head["public_key"] in page
    figures = page.split("Signatures that count", 1)[1]
    assert "<dd>0</dd>" in figures.split("</dd>", 1)[0] + "</dd>"
    assert "Entries that removed one" in page and "withdrawn" in page
    assert "python verify.py http://localhost/campaigns/recognize" in page
    assert 'href="/ledger/verify.py"' in page


def test_the_verifier_downloads_as_the_file_that_is_documented():
    """What the page links to is the verifier of this release, to save and read before running it."""
    from campaign import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "test"})
    answer = app.test_client().get("/ledger/verify.py")
    assert answer.status_code == 200
    assert answer.data == VERIFIER.read_bytes()
    assert answer.headers["Content-Disposition"] == "attachment; filename=verify.py"
    assert "public" in answer.headers["Cache-Control"]
