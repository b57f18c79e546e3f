"""The demo campaigns seeded into an empty database by `campaign seed-demo`."""

from __future__ import annotations

from sqlalchemy import func, select

from campaign.campaigns.models import Campaign, CampaignKind, CampaignStatus
from campaign.extensions import db
from campaign.targets.demo import seed_letters

RECOGNIZE_ARTSAKH = """\
In the autumn of 2020, during the war over Nagorno-Karabakh, towns and villages
of the Republic of Artsakh came under shelling, and civilians were killed and
displaced. Artsakh's Human Rights Defender documented attacks on civilians and
civilian infrastructure and called on the international community to recognize
them. Its National Assembly called on the parliaments and governments of the
world to recognize the independence of the Republic of Artsakh, as the way to
guarantee the security and the rights of the people who live there.

## We ask our governments and parliaments

1. To recognize the Republic of Artsakh, so that its people are protected by
   the law of nations and not left at the mercy of force.
2. To condemn attacks on civilians and civilian infrastructure, whoever
   commits them, and to support an independent investigation.
3. To support humanitarian access, the return of prisoners and the protection
   of cultural and religious heritage.

Your signature is counted once, after you confirm it by email. Your name and
address are never shown on this site.
"""

SUSPEND_ARMS_EXPORTS = """\
In October 2020, reports that drone sighting and targeting systems made under
export permits had been used in the Nagorno-Karabakh war led one government to
suspend the relevant export permits while it investigated. Civilians on both
sides of the line of contact were killed and wounded during that war.

Write to the ministers responsible for arms-export licensing and ask them:

- to suspend export permits for military goods that may be used against
  civilians in the conflict, while their use is independently investigated;
- to publish the findings of that investigation;
- to apply their own export law and the Arms Trade Treaty, which forbid
  exports where there is a substantial risk of serious violations of
  international humanitarian law.

The officials listed for this demonstration are fictional and their addresses
are at example.org: no real person receives these letters.
"""

DEMO_CAMPAIGNS = [
    {
        "slug": "recognize-artsakh",
        "kind": CampaignKind.PETITION,
        "title": "Recognize the Republic of Artsakh to protect its civilians",
        "summary": (
            "Artsakh's National Assembly asked the world's parliaments to recognize the "
            "Republic. Add your name to ask ours to do so, and to condemn attacks on civilians."
        ),
        "body_markdown": RECOGNIZE_ARTSAKH,
        "goal": 10_000,
    },
    {
        "slug": "suspend-arms-exports",
        "kind": CampaignKind.LETTER,
        "title": "Suspend arms-export permits while their use against civilians is investigated",
        "summary": (
            "Write to the ministers who license arms exports: suspend the permits while their "
            "use against civilians is investigated."
        ),
        "body_markdown": SUSPEND_ARMS_EXPORTS,
        "goal": 5_000,
    },
]


def seed_demo() -> int:
    """Add the demo campaigns if the database has no campaign yet; return how many were added."""
    if db.session.execute(select(func.count(Campaign.id))).scalar_one():
        return 0
    for values in DEMO_CAMPAIGNS:
        db.session.add(Campaign(status=CampaignStatus.OPEN, language="en", **values))
    db.session.flush()
    seed_letters()
    db.session.commit()
    return len(DEMO_CAMPAIGNS)
