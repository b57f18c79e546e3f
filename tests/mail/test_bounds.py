"""Mail to one person is bounded: whatever an attacker asks us to send to an address, it gets a few a day."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from campaign import clock
from campaign.accounts.models import Invitation, Role
from campaign.extensions import db as database
from campaign.mail import composing
from campaign.mail import service as mail
from campaign.mail.models import OutboxMessage, OutboxStatus
from campaign.signing.service import email_index
from tests.support.accounts import PASSWORD
from tests.support.forms import csrf_token
from tests.support.outbox import composed
from tests.support.people import signed_in
from tests.support.waiting import wait_until

VICTIM = "victim@example.org"


def _post(browser: Any, page: str, action: str, client_address: str, **fields: str) -> Any:
    """Open a page and post its form as a client at this address (an attacker has many)."""
    environ = {"REMOTE_ADDR": client_address}
    form_page = browser.get(page, environ_base=environ)
    token = csrf_token(form_page.get_data(as_text=True))
    return browser.post(action, data={"csrf_token": token, **fields}, environ_base=environ)


def _sign(browser: Any, slug: str, attempt: int, **fields: str) -> Any:
    """Sign a campaign as a new client each time, so that only the mail bound stands in the way."""
    values = {"given_name": "Anahit", "family_name": "Petrosyan", "email": VICTIM, "country": "AM"}
    values.update(fields)
    client_address = f"198.{51 + attempt // 250}.{attempt % 250}.7"
    return _post(browser, f"/campaigns/{slug}", f"/campaigns/{slug}/sign", client_address, **values)


def _victims_rows(db: Any) -> list[OutboxMessage]:
    """The outbox rows owed to the victim's address, oldest first."""
    db.session.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.recipient_index == email_index(VICTIM))
    return list(db.session.execute(query.order_by(OutboxMessage.id)).scalars())


@pytest.mark.usefixtures("celery_worker")
def test_a_victims_address_gets_a_few_emails_whatever_an_attacker_tries(
    app, db, client, make_campaign, mailbox
):
    from campaign.accounts.organizations import create_organization
    from campaign.accounts.service import create_user

    create_user(VICTIM, PASSWORD, Role.ORGANIZER)
    owner_browser, owner = signed_in(app, db, "mallory@example.org", Role.ORGANIZER)
    organization = create_organization("Friends of the Lake", owner)
    db.session.commit()
    slugs = [make_campaign(slug=f"open-{n}").slug for n in range(5)]
    invite_page = f"/organizations/{organization.id}"
    invite = f"/organizations/{organization.id}/invitations"

    # One of each kind first: a reset, a confirmation, an invitation.
    forgot = "/password/forgot"
    assert _post(client, forgot, forgot, "203.0.113.1", email=VICTIM).status_code == 200
    assert _sign(client, slugs[0], 0).status_code == 303
    assert (
        _post(owner_browser, invite_page, invite, "127.0.0.1", email=VICTIM, role="member").status_code == 303
    )
    # Then the flood: every campaign, again and again; links, resets, invitations, fifty times each.
    for attempt in range(1, 51):
        assert _sign(client, slugs[attempt % 5], attempt).status_code == 303
        address = f"203.0.{113 + attempt // 250}.{attempt % 250}"
        assert _post(client, "/my/", "/my/", address, email=VICTIM).status_code == 200
        assert _post(client, forgot, forgot, address, email=VICTIM).status_code == 200
        _post(owner_browser, invite_page, invite, f"192.0.2.{attempt}", email=VICTIM, role="member")

    # The first three were owed, of three kinds; nothing after them.
    per_hour = app.config["MAIL_PER_ADDRESS_PER_HOUR"]
    assert per_hour == 3 and app.config["MAIL_PER_ADDRESS_PER_DAY"] == 5
    rows = _victims_rows(db)
    assert [row.kind for row in rows] == ["password-reset", "confirmation", "invitation"]
    wait_until(lambda: all(row.status == OutboxStatus.SENT for row in _victims_rows(db)), timeout=30)
    delivered = mailbox.to(VICTIM)
    assert len(delivered) == per_hour
    assert sorted(message["Subject"].split(":")[0] for message in delivered) == [
        "Choose a new password",
        "Join Friends of the Lake on Campaigns",
        "Please confirm your signature",
    ]
    # The organization itself was held to its day's invitations, with a clear message.
    sent = db.session.execute(select(func.count()).select_from(Invitation)).scalar_one()
    assert sent == app.config["INVITATIONS_PER_ORGANIZATION_PER_DAY"]
    friend = "friend@example.org"
    refused = _post(owner_browser, invite_page, invite, "192.0.2.200", email=friend, role="member")
    assert refused.status_code == 400
    assert "as many as it may" in refused.get_data(as_text=True)


def _owe(index: str, key: str, at: Any) -> int | None:
    """Owe a message to the address with this index at a given moment (a kind nobody sends)."""
    return mail.owe(kind="bound-test", dedupe_key=key, ref_id=1, recipient_index=index, now=at)


def test_an_address_gets_at_most_the_days_bound_then_silence_until_the_day_has_passed(db):
    index = mail.recipient_index(VICTIM)
    start = clock.now() - timedelta(hours=40)
    # One every two hours: under the hour's bound, up to the day's.
    owed = [_owe(index, f"day-{n}", start + timedelta(hours=2 * n)) for n in range(7)]
    assert [row_id is not None for row_id in owed] == [True] * 5 + [False] * 2
    # A day after the first two, there is room again for two: as much as has left the window.
    later = [_owe(index, f"next-day-{n}", start + timedelta(hours=26, minutes=n)) for n in range(3)]
    assert [row_id is not None for row_id in later] == [True, True, False]
    # Other people's mail, and mail not bounded (letters to officials), is not held back.
    assert _owe(mail.recipient_index("someone.else@example.org"), "other", start + timedelta(hours=12))
    assert mail.owe(kind="bound-test", dedupe_key="official", ref_id=1, now=start + timedelta(hours=12))
    db.session.commit()


def test_an_address_gets_at_most_the_hours_bound_in_any_hour(db):
    index = mail.recipient_index("Victim+tag@Example.org")  # the same person however written
    assert index == mail.recipient_index(VICTIM) == email_index(VICTIM)
    start = clock.now() - timedelta(hours=3)
    owed = [_owe(index, f"hour-{n}", start + timedelta(minutes=n)) for n in range(5)]
    assert [row_id is not None for row_id in owed] == [True, True, True, False, False]
    assert _owe(index, "later", start + timedelta(minutes=61)) is not None
    db.session.commit()


def test_requests_at_the_same_moment_cannot_together_pass_the_bound(db, observer):
    index = mail.recipient_index(VICTIM)
    results: list[int | None] = []
    start = threading.Barrier(8)

    def attempt(n: int) -> None:
        with observer.app_context():
            start.wait()
            results.append(_owe(index, f"race-{n}", clock.now()))
            database.session.commit()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(row_id is not None for row_id in results) == observer.config["MAIL_PER_ADDRESS_PER_HOUR"]
    assert len(_victims_rows(db)) == 3


def test_the_confirmation_shows_no_name_until_the_address_has_confirmed_it(db, make_campaign, sign):
    from campaign.signing.models import Signature, SignatureStatus

    make_campaign(slug="recognize", title="Recognize Artsakh")
    signed = sign("recognize", email=VICTIM, given_name="Minister of Defence", family_name="X")
    assert signed.status_code == 303
    [confirmation] = composed(db, "confirmation")
    assert confirmation.recipient == VICTIM
    assert "Minister" not in confirmation.body and confirmation.body.startswith("Hello,\n")
    # It says what we do: no promise of silence, the bound instead.
    assert "we will not write to you again" not in confirmation.body
    assert "most 5 emails of this sort a day" in confirmation.body

    # Once confirmed, the name is theirs: the note to a repeat signer greets them by it.
    db.session.execute(update(Signature).values(status=SignatureStatus.VALIDATED, validated_at=clock.now()))
    db.session.commit()
    long_name = "Anahit" * 15
    assert sign("recognize", email=VICTIM, given_name=long_name, family_name="X").status_code == 303
    [already] = composed(db, "already-signed")
    # Written from the first, confirmed signature, never from what the repeat typed.
    assert already.body.startswith("Hello Minister of Defence,")
    assert already.recipient == "Minister of Defence <victim@example.org>"
    assert "at most once an hour" in already.body and "Anahit" not in already.body
    assert "we will not write to you again" not in already.body


def test_names_put_into_mail_are_trimmed(app):
    with app.app_context():
        greeting = mail.short_name("Anahit" * 15)
        assert len(greeting) == mail.NAME_MAX and greeting.endswith("…")
        assert mail.short_name("Ana\r\nBcc: x@example.org") == "Ana Bcc: x@example.org"


def test_a_name_in_from_is_quoted_trimmed_and_cannot_pose_as_an_address(app):
    with app.app_context():
        letter = composing.compose(
            OutboxMessage(kind="test", message_id=mail.message_id_for("from")),
            mail.Composed(
                recipient="minister@example.org",
                subject="A letter",
                body="Dear Minister",
                sender_name="Minister of Defence <gov@example.org>",
            ),
        ).read()
        [only] = letter["From"].addresses
        assert only.addr_spec == "campaigns@example.org"  # always the platform's own address
        assert only.display_name == "Minister of Defence gov example.org"
        assert str(letter["From"]).startswith('"Minister of Defence gov example.org" <')
        assert len(mail.display_name("A" * 300)) == mail.NAME_MAX
        # Fullwidth and small forms of '<', '>' and '@', and other angle brackets, read as them too.
        posing = "President \uff1cinfo\uff20president.am\uff1e \ufe64a\ufe6bb\ufe65 \u2039c\u203a"
        assert mail.display_name(posing) == "President info president.am a b c"
        # Guillemets are quotation marks in French and Armenian names, not brackets: kept.
        quoted = "\u00c9lodie \u00ab Lulu \u00bb Durand"
        assert mail.display_name(quoted) == quoted
        # Names of Persian speakers keep their zero-width non-joiner.
        persian = "\u0645\u062d\u0645\u062f\u200c\u0631\u0636\u0627"  # Mohammad-Reza
        assert mail.display_name(persian) == persian


def test_mail_to_an_address_someone_else_typed_is_within_its_bound(app, db, make_campaign):
    """Accounts staff make (one per +tag), and a campaign's contact address (any address a member
    typed), are mail we are made to send like any other: once the victim's hour is used, none."""
    from campaign.accounts.models import Role
    from campaign.accounts.staff_accounts import create_user_by_staff
    from campaign.counts.fold import _owe_milestone
    from campaign.targets.bounces import _notify_contact
    from campaign.targets.models import AddressProblem, Official

    index = mail.recipient_index(VICTIM)
    now = clock.now()
    assert all(_owe(index, f"before-{n}", now) for n in range(app.config["MAIL_PER_ADDRESS_PER_HOUR"]))
    for n in range(3):
        create_user_by_staff(f"victim+s{n}@example.org", Role.ORGANIZER, "", actor="user:1")
    campaign = make_campaign(contact_email=VICTIM)
    _owe_milestone(campaign, 100, 100)
    official = Official(name="A Minister", title="", body="", country="FR", email="minister@example.org")
    official.address_problem, official.bad_since = AddressProblem.REFUSED, now
    db.session.add(official)
    db.session.flush()
    _notify_contact(campaign, official, now)
    db.session.commit()

    assert [row.kind for row in _victims_rows(db)] == ["bound-test"] * 3
    others = db.session.execute(select(OutboxMessage.kind).where(OutboxMessage.kind != "bound-test"))
    assert others.scalars().all() == []
