"""The demo letter campaign's settings and a small directory of clearly fictional officials."""

from __future__ import annotations

from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.targets import directory
from campaign.targets.models import DeliveryMode, LetterCampaign, Targeting

LETTER_CAMPAIGN = "suspend-arms-exports"

# Every name says it is fictional and every address is at example.org: no real
# person receives the demo's letters.
FICTIONAL_OFFICIALS = [
    {
        "name": "Alex Tremblay (fictional)",
        "title": "Minister of Foreign Affairs (fictional)",
        "body": "Government of Canada (fictional)",
        "country": "CA",
        "email": "ca-foreign-affairs@example.org",
    },
    {
        "name": "Jordan Singh (fictional)",
        "title": "Minister of International Trade (fictional)",
        "body": "Government of Canada (fictional)",
        "country": "CA",
        "email": "ca-international-trade@example.org",
    },
    {
        "name": "Morgan Leblanc (fictional)",
        "title": "Member of Provincial Parliament (fictional)",
        "body": "Legislative Assembly of Ontario (fictional)",
        "country": "CA",
        "region": "CA-ON",
        "email": "ca-on-mpp@example.org",
    },
    {
        "name": "Camille Gagnon (fictional)",
        "title": "Member of the National Assembly (fictional)",
        "body": "National Assembly of Quebec (fictional)",
        "country": "CA",
        "region": "CA-QC",
        "email": "ca-qc-mna@example.org",
    },
    {
        "name": "Claire Martin (fictional)",
        "title": "Minister for Europe and Foreign Affairs (fictional)",
        "body": "Government of France (fictional)",
        "country": "FR",
        "email": "fr-foreign-affairs@example.org",
    },
    {
        "name": "Jonas Becker (fictional)",
        "title": "Federal Minister for Economic Affairs (fictional)",
        "body": "Government of Germany (fictional)",
        "country": "DE",
        "email": "de-economic-affairs@example.org",
    },
    {
        "name": "Harriet Clarke (fictional)",
        "title": "Secretary of State for Business and Trade (fictional)",
        "body": "Government of the United Kingdom (fictional)",
        "country": "GB",
        "email": "gb-business-trade@example.org",
    },
    {
        "name": "Taylor Brooks (fictional)",
        "title": "Secretary of State (fictional)",
        "body": "Government of the United States (fictional)",
        "country": "US",
        "email": "us-secretary-of-state@example.org",
    },
]

SUBJECT = "Please suspend arms-export permits while their use against civilians is investigated"

BODY = """\
Dear $official_name,

I am writing to you from $place about arms-export permits.

In October 2020, during the war over Nagorno-Karabakh, there were reports that
sighting and targeting systems made under export permits were being used in the
fighting, and civilians on both sides of the line of contact were killed and
wounded. I ask you:

- to suspend export permits for military goods that may be used against
  civilians in this conflict, while their use is independently investigated;
- to publish the findings of that investigation;
- to apply our export law and the Arms Trade Treaty, which forbid exports where
  there is a substantial risk of serious violations of international
  humanitarian law.

$message

Yours sincerely,
$name
$place
"""


def seed_letters() -> int:
    """Add the fictional officials and configure the demo letter campaign; return how many officials."""
    added = sum(directory.add_official(directory.clean(values)) is not None for values in FICTIONAL_OFFICIALS)
    campaign_id = db.session.execute(select(Campaign.id).where(Campaign.slug == LETTER_CAMPAIGN)).scalar()
    if campaign_id is not None and db.session.get(LetterCampaign, campaign_id) is None:
        db.session.add(
            LetterCampaign(
                campaign_id=campaign_id,
                subject_template=SUBJECT,
                body_template=BODY,
                is_signer_editable=True,
                targeting=Targeting.ROUTED,
                # Individually, under the default cap, all day: a letter leaves within a minute.
                delivery=DeliveryMode.INDIVIDUAL,
                hourly_cap=20,
                window_start_hour=0,
                window_end_hour=24,
            )
        )
    return added
