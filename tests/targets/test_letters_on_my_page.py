"""A writer sees on their own page what became of each of their letters: sent and when, waiting for
the official's pace, sent back by the official's server, or stopped while the address is paused.

Letters leave through the real worker and SMTP server; the bounce is a delivery status report
read from the bounce maildir, as the beat reads it.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import select

from campaign.mail import bounces
from campaign.signing.models import Person
from campaign.signing.service import email_index
from campaign.signing.supporters import my_token
from campaign.targets import service as targets
from tests.support.bounces import OFFICIAL, a_letter_sent, dsn
from tests.support.signers import add_signature

pytestmark = pytest.mark.usefixtures("celery_worker")


def letters_on_page(client: Any, db: Any, email: str) -> list[str]:
    """What the page of the person with this address says of each of their letters."""
    person_id = db.session.execute(
        select(Person.id).where(Person.email_index == email_index(email))
    ).scalar_one()
    page = client.get(f"/my/{my_token(person_id)}")
    assert page.status_code == 200
    text = html.unescape(page.get_data(as_text=True))
    return [" ".join(item.split()) for item in re.findall(r"<li>(To .*?)</li>", text, re.S)]


def test_writers_see_whether_their_letters_were_sent_wait_or_never_arrived(
    db, client, mailbox, make_campaign, bounce_box
):
    campaign, _official, row = a_letter_sent(db, make_campaign, mailbox)  # from writer@example.org
    later = add_signature(db, campaign.id, "later@example.org", message="Please act.")
    targets.write_letters(later.id)  # owed minutes later, at the official's pace
    add_signature(db, make_campaign(slug="petition").id, "signer@example.org")
    db.session.commit()

    [sent] = letters_on_page(client, db, "writer@example.org")
    assert re.fullmatch(r"To Morgan Ontario \(MPP\): sent \w+ \d+, \d{4}, .+ UTC", sent), sent
    assert letters_on_page(client, db, "later@example.org") == [
        "To Morgan Ontario (MPP): waiting for its turn: each official receives letters at a steady pace"
    ]
    assert letters_on_page(client, db, "signer@example.org") == []

    # The official's server sends the first letter back: the address is paused, the later letter stopped.
    bounce_box.add(dsn(bounces.return_path(row.id), OFFICIAL, message_id=row.message_id))
    assert bounces.read_mailbox() == 1

    assert letters_on_page(client, db, "writer@example.org") == [
        "To Morgan Ontario (MPP): not delivered: the official's address refused it"
    ]
    assert letters_on_page(client, db, "later@example.org") == [
        "To Morgan Ontario (MPP): not sent: letters to this official's address are paused"
    ]
