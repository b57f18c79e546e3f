"""When a campaign ends without an outcome, its organizers are asked, once, to tell what came of it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from campaign import clock
from campaign.builder.endings import ENDED_KIND, tell_organizers_of_ended_campaigns
from campaign.campaigns.models import CampaignStatus, OutcomeKind
from campaign.signing.models import SignatureStatus
from tests.support.counts import fold_all
from tests.support.outbox import composed
from tests.support.signers import add_signatures_in_bulk

CONTACT = "team@example.org"


def test_a_campaign_that_ended_asks_its_organizers_once_for_its_outcome(
    app: Any, db: Any, make_campaign: Any
) -> None:
    campaign = make_campaign(
        slug="recognize",
        title="Recognize Artsakh",
        contact_email=CONTACT,
        status=CampaignStatus.CLOSED,
        closed_at=clock.now() - timedelta(minutes=30),
    )
    add_signatures_in_bulk(
        db,
        campaign.id,
        [{"email": f"s{n}@example.org", "country": "AM"} for n in range(3)],
        SignatureStatus.VALIDATED,
    )
    fold_all(db)
    db.session.commit()

    with app.test_request_context():
        assert tell_organizers_of_ended_campaigns() == 1
        assert tell_organizers_of_ended_campaigns() == 0  # once

    [note] = composed(db, ENDED_KIND)
    assert note.recipient == CONTACT
    assert note.subject == "Your campaign has ended: Recognize Artsakh"
    assert (
        '"Recognize Artsakh" has ended: it takes no more signatures. 3 confirmed signatures were given.'
        in note.body
    )
    assert f"http://localhost/organize/campaigns/{campaign.id}#outcome-heading" in note.body
    assert "http://localhost/ended" in note.body


def test_only_a_campaign_that_ended_lately_without_an_outcome_and_with_a_contact(
    app: Any, db: Any, make_campaign: Any
) -> None:
    now = clock.now()
    make_campaign(slug="past-deadline", contact_email=CONTACT, closes_at=now - timedelta(hours=1))
    make_campaign(slug="open", contact_email="open@example.org")
    make_campaign(
        slug="won",
        contact_email="won@example.org",
        status=CampaignStatus.CLOSED,
        closed_at=now,
        outcome_kind=OutcomeKind.VICTORY,
        outcome_markdown="It passed.",
        outcome_at=now,
    )
    make_campaign(
        slug="long-ago",
        contact_email="old@example.org",
        status=CampaignStatus.CLOSED,
        closed_at=now - timedelta(days=3),
    )
    make_campaign(
        slug="taken-down",
        contact_email="down@example.org",
        status=CampaignStatus.TAKEN_DOWN,
        taken_down_at=now,
    )
    make_campaign(slug="no-contact", status=CampaignStatus.CLOSED, closed_at=now)

    with app.test_request_context():
        assert tell_organizers_of_ended_campaigns() == 1
    assert [note.recipient for note in composed(db, ENDED_KIND)] == [CONTACT]


def test_the_note_is_in_the_campaigns_language(app: Any, db: Any, make_campaign: Any) -> None:
    from tests.i18n.test_language_choice import translated

    make_campaign(
        slug="reconnaissez",
        title="Reconnaissez l’Artsakh",  # noqa: RUF001 (a French apostrophe)
        language="fr",
        contact_email=CONTACT,
        status=CampaignStatus.CLOSED,
        closed_at=clock.now(),
    )
    with app.test_request_context():
        assert tell_organizers_of_ended_campaigns() == 1
    [note] = composed(db, ENDED_KIND)
    expected = translated("fr", "Your campaign has ended: %(title)s") % {"title": "Reconnaissez l’Artsakh"}  # noqa: RUF001
    assert note.subject == expected.replace("\u00a0", " ")  # a subject's spaces are all plain ones
    assert "http://localhost/ended?lang=fr" in note.body
