"""The outbox holds no supporter's address or name in clear, before or after sending."""

import pytest
from sqlalchemy import text

from campaign.mail.models import OutboxStatus
from campaign.signing import supporters
from tests.support.waiting import wait_until

pytestmark = pytest.mark.usefixtures("celery_worker")

EMAIL = "zabelle.yeghiazaryan@example.org"
GIVEN_NAME = "Zabelle"
FAMILY_NAME = "Yeghiazaryan"


def raw_outbox(db):
    """Every outbox row as the database holds it, column by column, read with plain SQL."""
    db.session.expire_all()
    rows = db.session.execute(text("SELECT * FROM outbox ORDER BY id")).mappings().all()
    db.session.rollback()
    return rows


def clear_text_in(rows):
    """The (row id, column) pairs whose value contains the signer's address or a part of their name."""
    needles = [EMAIL, EMAIL.split("@")[0], GIVEN_NAME, FAMILY_NAME]
    found = []
    for row in rows:
        for column, value in row.items():
            if value is None:
                continue
            raw = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
            if any(needle.lower().encode() in raw.lower() for needle in needles):
                found.append((row["id"], column))
    return found


def test_no_outbox_row_holds_the_signers_address_or_name_and_a_sent_row_keeps_nothing(
    app, db, mailbox, make_campaign, sign
):
    make_campaign(slug="sealed-outbox", title="Sealed Outbox")
    response = sign("sealed-outbox", email=EMAIL, given_name=GIVEN_NAME, family_name=FAMILY_NAME)
    assert response.status_code == 303
    # The link to their own page is owed by reference, written by the worker from the seals.
    with app.test_request_context():
        supporters.send_link(EMAIL)
        db.session.commit()

    owed = raw_outbox(db)
    assert {row["kind"] for row in owed} == {"confirmation", supporters.MY_LINK_KIND}
    assert clear_text_in(owed) == []

    # The mail itself does carry them: the worker wrote it from the seals.
    wait_until(lambda: len(mailbox.to(EMAIL)) == 2)
    confirmation = next(m for m in mailbox.to(EMAIL) if m["Subject"].startswith("Please confirm"))
    # Not the name, which nobody has confirmed yet: only the campaign and the address.
    assert "Sealed Outbox" in confirmation.get_content() and EMAIL in str(confirmation["To"])

    sent = wait_until(lambda: (rows := raw_outbox(db)) and all(r["status"] == "sent" for r in rows) and rows)
    assert [row["status"] for row in sent] == [OutboxStatus.SENT.value] * 2
    assert [row["sealed"] for row in sent] == [None, None]
    assert clear_text_in(sent) == []
