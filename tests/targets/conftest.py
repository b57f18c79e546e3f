"""Fixtures for letters: a small directory of officials and letter campaigns."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.forms import csrf_token
from tests.support.letters import BODY, OFFICIALS, SUBJECT
from tests.support.outbox import composed
from tests.support.signers import add_signature


@pytest.fixture
def officials(db: Any) -> dict[str, Any]:
    """The directory: two federal Canadian ministers, one official each for Ontario and Quebec, one French."""
    from campaign.targets.models import Official

    found = {}
    for key, name, title, country, region, email in OFFICIALS:
        official = Official(name=name, title=title, body="", country=country, region=region, email=email)
        db.session.add(official)
        found[key] = official
    db.session.commit()
    return found


@pytest.fixture
def make_letter_campaign(db: Any, make_campaign: Callable[..., Any]) -> Callable[..., Any]:
    """Create an open letter campaign with its letter settings (routed unless told otherwise)."""
    from campaign.campaigns.models import CampaignKind
    from campaign.targets.models import LetterCampaign, LetterTarget, Targeting

    def make(slug: str = "letters", targets: list[Any] | None = None, **settings: Any) -> Any:
        campaign = make_campaign(
            slug=slug, kind=CampaignKind.LETTER, contact_email=settings.pop("contact_email", None)
        )
        letter = LetterCampaign(
            campaign_id=campaign.id,
            subject_template=settings.pop("subject_template", SUBJECT),
            body_template=settings.pop("body_template", BODY),
            targeting=Targeting.FIXED if targets is not None else Targeting.ROUTED,
            **settings,
        )
        db.session.add(letter)
        db.session.flush()
        for official in targets or []:
            db.session.add(LetterTarget(campaign_id=campaign.id, official_id=official.id))
        db.session.commit()
        return letter

    return make


@pytest.fixture
def make_signature(db: Any) -> Callable[..., Any]:
    """Create a signature directly in the database (validated unless told otherwise)."""

    def make(campaign_id: int, email: str, **values: Any) -> Any:
        return add_signature(db, campaign_id, email, **values)

    return make


@pytest.fixture
def confirm_link(client: Any, db: Any) -> Callable[[str], None]:
    """Press the confirm button of the confirmation email sent to an address (again: the same email's)."""
    # A confirmation is written only while its signature waits for it: pressing
    # the button a second time uses the link of the email already received.
    links: dict[str, str] = {}

    def confirm(email: str) -> Any:
        db.session.expire_all()
        bodies = [m.body for m in composed(db, "confirmation") if email in m.recipient]
        if bodies:
            links[email] = re.search(r"http://localhost(/confirm/\S+)", bodies[-1]).group(1)
        path = links[email]
        page = client.get(path)
        return client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True))})

    return confirm
