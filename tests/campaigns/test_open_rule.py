"""When a campaign takes signatures is one rule: the page, the list of open campaigns and the sign
statement answer alike at every moment."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from campaign import clock
from campaign.campaigns.models import Campaign, CampaignStatus, takes_signatures, takes_signatures_sql
from campaign.campaigns.service import open_campaigns


def test_the_rule_in_python_and_in_sql_agree_on_every_state_and_moment(db: Any, make_campaign: Any) -> None:
    now = clock.now()
    hour = timedelta(hours=1)
    made = [
        make_campaign(status=status, opens_at=opens_at, closes_at=closes_at)
        for status in CampaignStatus
        for opens_at in (None, now - hour, now + hour, now)
        for closes_at in (None, now + hour, now - hour, now)
    ]
    ids = [campaign.id for campaign in made]
    for moment in (now - 2 * hour, now, now + 2 * hour, now + hour / 2):
        in_sql = set(
            db.session.execute(select(Campaign.id).where(Campaign.id.in_(ids), takes_signatures_sql(moment)))
            .scalars()
            .all()
        )
        in_python = {c.id for c in made if takes_signatures(c.status, c.opens_at, c.closes_at, moment)}
        assert in_sql == in_python, moment
    # The list of open campaigns is the same rule at this moment.
    listed = {campaign.id for campaign in open_campaigns()} & set(ids)
    assert listed == {c.id for c in made if c.is_open_at(clock.now())}
    assert listed  # some of them are open, some are not
    assert listed != set(ids)


def test_the_sign_statement_reads_the_rule_afresh(app: Any, db: Any, make_campaign: Any) -> None:
    """A process that still holds the campaign as open is told by the database that it closed."""
    from campaign.campaigns.service import CampaignView
    from campaign.signing import service

    campaign = make_campaign(slug="closing")
    held = CampaignView.of(campaign)
    campaign.closes_at = clock.now() - timedelta(seconds=1)
    db.session.commit()
    asked = service.SignatureRequest(given_name="A", family_name="P", email="a@example.org", country="AM")
    with app.test_request_context():
        try:
            service.sign(held, asked)
        except service.CampaignClosed:
            closed = True
        else:
            closed = False
        db.session.rollback()
    assert closed
