"""What supporters trust on a campaign page: a picture of its kind when it has none of its own, and how
many people signed in the last hour (the builder's parts: tests/builder/test_trust.py)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from campaign import clock
from campaign.campaigns.models import CampaignKind
from campaign.counts import fold, read
from campaign.counts.models import RecentCount
from campaign.signing.models import Signature
from tests.counts.test_fold import add_signatures


def signed_now(db, campaign, count, offset=0):
    """Signatures validated just now, folded into the counters."""
    add_signatures(db, campaign, count, offset=offset)
    db.session.execute(
        update(Signature)
        .where(Signature.campaign_id == campaign.id, Signature.validated_at.is_(None))
        .values(validated_at=clock.now())
    )
    db.session.commit()
    fold.fold_signatures(batch=1000)


def test_a_campaign_without_an_image_shows_the_picture_drawn_for_its_kind(client, make_campaign):
    make_campaign(slug="bare-petition")
    make_campaign(slug="bare-letter", kind=CampaignKind.LETTER)

    petition = client.get("/campaigns/bare-petition").get_data(as_text=True)
    letter = client.get("/campaigns/bare-letter").get_data(as_text=True)

    assert 'src="/static/img/default-petition.svg" alt=""' in petition
    assert 'src="/static/img/default-letter.svg" alt=""' in letter
    for name in ("default-petition.svg", "default-letter.svg"):
        served = client.get(f"/static/img/{name}")
        assert served.status_code == 200 and served.mimetype == "image/svg+xml"
        assert b"<svg" in served.data and b"<script" not in served.data


def test_people_who_signed_in_the_last_hour_are_counted_on_the_page_and_the_line_hides_at_zero(
    db, client, make_campaign
):
    campaign = make_campaign(slug="lately")
    assert "recent-signers" not in client.get("/campaigns/lately").get_data(as_text=True)

    signed_now(db, campaign, 1)
    one = client.get("/campaigns/lately").get_data(as_text=True)
    assert '<p class="recent-signers">1 person signed in the last hour</p>' in one

    signed_now(db, campaign, 2, offset=10)
    three = client.get("/campaigns/lately").get_data(as_text=True)
    assert '<p class="recent-signers">3 people signed in the last hour</p>' in three
    # The thank-you page says it too.
    assert "3 people signed in the last hour" in client.get("/campaigns/lately/thanks").get_data(as_text=True)


def test_the_last_hour_line_fades_an_hour_on_without_new_signatures(db, make_campaign):
    campaign = make_campaign(slug="fading")
    signed_now(db, campaign, 2)
    snapshot = read.read_count(campaign.id)
    assert read.signed_in_last_hour(snapshot) == 2
    # An hour on, with no fold since, the copy every process reads says nobody signed lately.
    assert read.signed_in_last_hour(snapshot, clock.now() + timedelta(minutes=65)) == 0

    # Windows an hour old when the snapshot is taken are not in it.
    db.session.execute(
        update(RecentCount)
        .where(RecentCount.campaign_id == campaign.id)
        .values(window_at=RecentCount.window_at - timedelta(hours=2))
    )
    db.session.commit()
    assert read.signed_in_last_hour(read.snapshot_from_database(campaign.id)) == 0
