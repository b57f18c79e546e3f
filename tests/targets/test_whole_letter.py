"""A letter campaign whose signers may edit the whole letter: the sign form offers it filled in,
and each official gets the letter as the signer left it."""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy import select

from campaign.targets import letters
from campaign.targets import service as targets
from campaign.targets.models import Letter
from tests.support.forms import csrf_token
from tests.support.outbox import bodies

BODY = (
    "Dear $official_name,\n\nI write from $place to ask you to suspend every arms export permit.\n\n"
    "$message\n\nYours sincerely,\n$name"
)
EDITED = (
    "Dear $official_name,\n\nI write from $place. My family lives near the border and hears the drones "
    "every night: please stop selling the weapons that fly over them.\n\nYours sincerely,\n$name"
)


def _offered(page: str) -> str:
    """The text the sign form's letter field holds."""
    found = re.search(r'<textarea[^>]*name="message"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, "no letter field"
    return html.unescape(found.group(1))


def _sign(client: Any, message: str, email: str = "writer@example.org", n: int = 1) -> Any:
    """Sign the campaign with this letter, from an address of the signer's own."""
    address = {"REMOTE_ADDR": f"198.51.{n}.9"}
    page = client.get("/campaigns/letters", environ_overrides=address).get_data(as_text=True)
    return client.post(
        "/campaigns/letters/sign",
        data={
            "csrf_token": csrf_token(page),
            "given_name": "Anahit",
            "family_name": "Petrosyan",
            "email": email,
            "country": "FR",
            "postal_code": "75001",
            "message": message,
        },
        environ_overrides=address,
    )


def test_the_sign_form_offers_the_letter_to_edit_and_the_official_gets_the_edited_one(
    db, client, officials, make_letter_campaign, confirm_link
):
    make_letter_campaign(targets=[officials["fr"]], body_template=BODY, signers_may_edit_letter=True)
    page = client.get("/campaigns/letters").get_data(as_text=True)
    offered = _offered(page)
    assert offered.startswith("Dear $official_name,") and "suspend every arms export permit" in offered
    assert "$message" not in offered
    assert "Your letter" in page

    assert _sign(client, EDITED).status_code == 303
    assert confirm_link("writer@example.org").status_code == 303

    [body] = bodies(db, "letter")
    assert body.startswith("Dear Claire France,\n\nI write from France. My family lives near the border")
    assert "suspend every arms export permit" not in body
    assert "Yours sincerely,\nAnahit Petrosyan" in body and "Sent on behalf of Anahit Petrosyan" in body


def test_the_edited_letter_follows_the_paragraph_rules(db, client, officials, make_letter_campaign):
    make_letter_campaign(targets=[officials["fr"]], body_template=BODY, signers_may_edit_letter=True)
    too_long = _sign(client, "Dear $official_name, " + "please " * 800)
    assert too_long.status_code == 400
    assert "Please shorten your words to 5,000 characters." in too_long.get_data(as_text=True)
    hidden = _sign(client, "Dear $official_name,\x00 please act.", email="b@example.org", n=2)
    assert hidden.status_code == 400 and "a character we cannot accept" in hidden.get_data(as_text=True)
    assert db.session.execute(select(Letter)).first() is None


def test_letters_left_as_written_are_never_held_as_copies_but_copied_edits_are(
    app, db, officials, make_letter_campaign, make_signature
):
    settings = make_letter_campaign(
        targets=[officials["fr"]], body_template=BODY, signers_may_edit_letter=True, hourly_cap=1000
    )
    with app.test_request_context():
        unedited = letters.editable_text(settings)
        for n in range(targets.COPY_THRESHOLD + 1):
            signer = make_signature(settings.campaign_id, f"same{n}@example.org", message=unedited)
            targets.write_letters(signer.id)
        db.session.commit()
        assert not any(db.session.execute(select(Letter.is_held)).scalars())
        for n in range(targets.COPY_THRESHOLD + 1):
            signer = make_signature(settings.campaign_id, f"copy{n}@example.org", message=EDITED)
            targets.write_letters(signer.id)
        db.session.commit()
    held = db.session.execute(select(Letter).where(Letter.is_held)).scalars().all()
    assert len(held) == 1
    written = bodies(db, "letter")
    assert sum("suspend every arms export permit" in body for body in written) == targets.COPY_THRESHOLD + 1
