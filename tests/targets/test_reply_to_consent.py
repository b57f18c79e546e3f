"""The signer's consent to replies, from the form: recorded only when ticked, only on a new signature."""

from sqlalchemy import select

from campaign.signing.models import Signature
from campaign.targets.models import ReplyConsent


def consents(db):
    return db.session.execute(select(ReplyConsent.signature_id)).scalars().all()


def test_a_ticked_box_on_a_letter_campaign_is_recorded_once(db, make_letter_campaign, sign):
    make_letter_campaign(slug="letters")
    assert sign("letters", reply_to_opt_in="y", message="In my own words").status_code == 303
    [signature_id] = db.session.execute(select(Signature.id)).scalars().all()
    assert consents(db) == [signature_id]


def test_no_box_no_consent_and_a_repeat_cannot_add_it(db, make_letter_campaign, sign):
    make_letter_campaign(slug="letters")
    sign("letters")
    # Someone signs again with the same address and ticks the box: the signer's choice stands.
    sign("letters", reply_to_opt_in="y")
    assert consents(db) == []


def test_a_petition_ignores_the_box(db, make_campaign, sign):
    make_campaign(slug="petition")
    sign("petition", reply_to_opt_in="y")
    assert consents(db) == []
