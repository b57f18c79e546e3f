"""The demo as a new user tries it: sign `suspend-arms-exports` from Ontario, in their own words."""

import pytest
from sqlalchemy import select

from campaign.campaigns.demo import seed_demo
from campaign.mail.models import OutboxMessage
from campaign.targets.models import LetterCampaign, Official, Targeting

pytestmark = pytest.mark.usefixtures("celery_worker")

ONTARIO_AND_FEDERAL = (
    "ca-foreign-affairs@example.org",
    "ca-international-trade@example.org",
    "ca-on-mpp@example.org",
)


def test_the_demo_letter_reaches_each_routed_official_once_after_confirmation(
    db, client, mailbox, sign, confirm_link
):
    assert seed_demo() == 2
    settings = db.session.execute(select(LetterCampaign)).scalar_one()
    assert settings.targeting == Targeting.ROUTED and settings.hourly_cap == 20
    emails = db.session.execute(select(Official.email)).scalars().all()
    assert emails and all(email.endswith("@example.org") for email in emails)
    assert all("(fictional)" in name for name in db.session.execute(select(Official.name)).scalars())

    sign(
        "suspend-arms-exports",
        email="writer@example.org",
        given_name="Lena",
        family_name="Hovsepian",
        country="CA",
        region="CA-ON",
        message="My family in Stepanakert sheltered in basements for six weeks.",
    )
    mailbox.wait_for("writer@example.org")
    assert db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == "letter")).first() is None

    confirm_link("writer@example.org")
    for address in ONTARIO_AND_FEDERAL:
        [letter] = mailbox.wait_for(address)
        assert "My family in Stepanakert sheltered in basements for six weeks." in letter.get_content()
        assert "Lena Hovsepian" in letter.get_content()
        assert letter["From"].addresses[0].display_name == "Lena Hovsepian"
    assert mailbox.to("ca-qc-mna@example.org") == [] and mailbox.to("fr-foreign-affairs@example.org") == []

    sign("suspend-arms-exports", email="writer@example.org", country="CA", region="CA-ON")
    confirm_link("writer@example.org")
    assert seed_demo() == 0
    letters = db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == "letter")).scalars().all()
    assert len(letters) == 3
