"""Why signatures left the ledger, in the reader's language: each reason a word with its own context."""

from __future__ import annotations

from typing import Any

from markupsafe import escape

from campaign import cache
from campaign.ledger.tally import reason_name
from campaign.moderation import invalidation
from campaign.moderation.criteria import Criteria
from campaign.signing import supporters
from campaign.signing.models import Signature
from tests.ledger.test_ledger import add_signers, count_and_publish


def tally_line(client: Any, path: str) -> str:
    """The ledger's line on a campaign page, whitespace collapsed."""
    html = client.get(path).get_data(as_text=True)
    start = html.index('<p class="ledger-tally">')
    return " ".join(html[start : html.index("</p>", start)].split())


def named(app: Any, language: str, *reasons: str) -> str:
    """The reasons as a page in this language lists them, escaped as the page writes them."""
    with app.test_request_context(f"/?lang={language}"):
        return ", ".join(str(escape(reason_name(reason))) for reason in reasons)


def test_the_campaign_page_and_the_ledger_name_the_reasons_in_the_readers_language(
    app, db, client, make_campaign
):
    campaign = make_campaign(slug="raisons")
    ids = add_signers(db, campaign, 5)
    count_and_publish(db)
    assert supporters.withdraw(db.session.get(Signature, ids[0]).person_id, ids[0])
    criteria = Criteria.build(campaign_id=campaign.id, statuses=["validated"])
    assert invalidation.invalidate_batch(ids[1:3], criteria) == 2
    db.session.commit()
    count_and_publish(db)
    cache.forget_local()  # the page's skeleton, as SKELETON_SECONDS later

    assert "2 counted, 3 removed (why: fraud, withdrawn)." in tally_line(client, "/campaigns/raisons")
    french = tally_line(client, "/campaigns/raisons?lang=fr")
    assert f"(motifs : {named(app, 'fr', 'fraud', 'withdrawn')})." in french
    ledger = client.get("/campaigns/raisons/ledger?lang=fr").get_data(as_text=True)
    assert f"<dd>{named(app, 'fr', 'fraud', 'withdrawn')}</dd>" in ledger


def test_every_reason_the_ledger_gives_has_a_name_for_the_page(app):
    from campaign.ledger.append import ALL_REASONS

    with app.test_request_context("/"):
        with_names = {reason: reason_name(reason) for reason in ALL_REASONS}
    assert with_names == {
        "withdrawn": "withdrawn",
        "erased": "erased",
        "fraud": "fraud",
        "invalidated": "invalidated by staff",
    }
