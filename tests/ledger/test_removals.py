"""Removals in public: the campaign page says how many count, how many were removed and why."""

from campaign import cache
from campaign.moderation import invalidation
from campaign.moderation.criteria import Criteria
from campaign.signing import supporters
from campaign.signing.models import Signature
from tests.campaigns.test_index_translations import counted_queries
from tests.ledger.test_ledger import add_signers, count_and_publish, entries_of


def tally_line(client, slug):
    """The ledger's line on the campaign page, whitespace collapsed."""
    html = client.get(f"/campaigns/{slug}").get_data(as_text=True)
    start = html.index('<p class="ledger-tally">')
    return " ".join(html[start : html.index("</p>", start)].split())


def test_the_campaign_page_says_how_many_count_and_how_many_were_removed_and_why(db, client, make_campaign):
    campaign = make_campaign(slug="removals")
    # Nothing in its ledger yet: no line. (Checked before anyone signs: the run's worker may fold at once.)
    assert "ledger-tally" not in client.get("/campaigns/removals").get_data(as_text=True)
    cache.forget_local()
    ids = add_signers(db, campaign, 6)
    count_and_publish(db)
    cache.forget_local()  # the page's skeleton, as SKELETON_SECONDS later
    line = tally_line(client, "removals")
    assert "6 counted, none removed." in line
    assert 'href="/campaigns/removals/ledger"' in line

    assert supporters.withdraw(db.session.get(Signature, ids[0]).person_id, ids[0])
    criteria = Criteria.build(campaign_id=campaign.id, statuses=["validated"])
    assert invalidation.invalidate_batch(ids[1:3], criteria) == 2
    db.session.commit()
    count_and_publish(db)
    cache.forget_local()  # the page's skeleton, as SKELETON_SECONDS later

    line = tally_line(client, "removals")
    assert "3 counted, 3 removed (why: fraud, withdrawn)." in line
    assert client.get("/campaigns/removals/count.json").json["count"] == 3
    reasons = sorted(e.get("reason", "") for e in entries_of(client, "removals", 9) if e["event"] == "remove")
    assert reasons == ["fraud", "fraud", "withdrawn"]


def test_the_tally_costs_no_query_per_visitor(app, db, client, make_campaign):
    campaign = make_campaign(slug="busy")
    add_signers(db, campaign, 3)
    count_and_publish(db)
    client.get("/campaigns/busy")
    with counted_queries(app) as sent:
        assert "3 counted" in client.get("/campaigns/busy").get_data(as_text=True)
    assert not any("ledger_trees" in statement for statement in sent), sent
