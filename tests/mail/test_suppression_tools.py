"""What is kept of the bounce mailbox and how a suppression made by mistake is lifted: messages
that could not be read (addresses in clear) are deleted after BOUNCE_SET_ASIDE_DAYS, and
`campaign mail suppressed|unsuppress EMAIL` look an address up by its keyed hash and send to it again.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from campaign.mail import bounces
from campaign.mail.models import MailSuppression
from campaign.signing import confirmation
from campaign.signing.models import Signature
from tests.support.audit import events
from tests.support.bounces import dsn, sent

# Unreadable for its size, and holding a supporter's address in clear, as the real ones do.
UNREADABLE = b"To: typo@example.org\nSubject: huge\n\n" + b"x" * (bounces.MAX_REPORT_BYTES + 10)
DAY = 24 * 3600


def set_aside_files(observer: Any) -> list[Path]:
    """The files of the messages set aside in the bounce maildir's .rejected folder."""
    folder = Path(observer.config["BOUNCE_MAILDIR"]) / f".{bounces.SET_ASIDE_FOLDER}" / "new"
    return sorted(folder.iterdir())


def test_unreadable_messages_are_deleted_once_older_than_the_setting_and_fresh_ones_kept(
    db, observer, bounce_box, monkeypatch, caplog
):
    monkeypatch.setitem(observer.config, "BOUNCE_SET_ASIDE_DAYS", 7)
    bounce_box.add(UNREADABLE)
    bounce_box.add(UNREADABLE)
    assert bounces.read_mailbox() == 2
    older, recent = set_aside_files(observer)
    # One was set aside eight days ago, the other six: only the first is past the setting.
    os.utime(older, (time.time() - 8 * DAY,) * 2)
    os.utime(recent, (time.time() - 6 * DAY,) * 2)

    bounce_box.add(UNREADABLE)  # a fresh one, set aside in this run
    with caplog.at_level(logging.INFO, logger=bounces.__name__):
        assert bounces.read_mailbox() == 1

    kept = set_aside_files(observer)
    assert recent in kept and older not in kept
    assert len(kept) == 2 and len(bounce_box.get_folder(bounces.SET_ASIDE_FOLDER)) == 2
    assert "set-aside messages deleted (older than 7 days): 1" in caplog.text
    assert "example.org" not in caplog.text  # counts, never addresses


def test_with_zero_days_an_unreadable_message_is_deleted_at_once_and_only_logged(
    db, observer, bounce_box, monkeypatch, caplog
):
    bounce_box.add(UNREADABLE)
    assert bounces.read_mailbox() == 1
    assert len(set_aside_files(observer)) == 1  # kept, by default, for a person to look at

    # Set to 0: what was kept goes at the next read, and a new one is never kept.
    monkeypatch.setitem(observer.config, "BOUNCE_SET_ASIDE_DAYS", 0)
    bounce_box.add(UNREADABLE)
    with caplog.at_level(logging.INFO, logger=bounces.__name__):
        assert bounces.read_mailbox() == 1

    assert list(bounce_box.keys()) == []
    assert set_aside_files(observer) == []
    assert "deleted unread" in caplog.text
    assert "example.org" not in caplog.text and "huge" not in caplog.text


@pytest.mark.usefixtures("celery_worker")
def test_a_signer_suppressed_by_mistake_gets_their_confirmation_again_after_unsuppress(
    app, db, mailbox, make_campaign, sign, bounce_box
):
    make_campaign(slug="petition")
    assert sign("petition", email="typo@example.org").status_code == 303
    mailbox.wait_for("typo@example.org")
    row = sent(db, "confirmation")
    # A full mailbox misread by its server as a dead address.
    return_path = bounces.return_path(row.id)
    assert return_path is not None
    bounce_box.add(dsn(return_path, "typo@example.org", message_id=row.message_id))
    assert bounces.read_mailbox() == 1
    signature = db.session.execute(select(Signature)).scalar_one()
    assert not confirmation.resend_confirmation(signature.id)
    runner = app.test_cli_runner()

    # However the operator writes the address, it is the same address.
    asked = runner.invoke(args=["mail", "suppressed", "Typo+petitions@Example.org"])
    assert asked.exit_code == 0, asked.output
    assert "Suppressed since" in asked.output and "bounced for good" in asked.output

    lifted = runner.invoke(args=["mail", "unsuppress", "typo@example.org"])
    assert lifted.exit_code == 0, lifted.output
    assert "Removed 1 suppression: mail is sent to this address again." in lifted.output
    db.session.expire_all()
    assert db.session.execute(select(MailSuppression)).first() is None
    [event] = events(db, "mail.unsuppressed")
    assert event.actor.startswith("cli:") and event.details == {"reasons": ["hard_bounce"]}
    assert "typo" not in f"{event.subject} {event.details}"  # the keyed hash, no address

    again = runner.invoke(args=["mail", "suppressed", "typo@example.org"])
    assert "Not suppressed: mail is sent to this address." in again.output
    assert "nothing changed" in runner.invoke(args=["mail", "unsuppress", "typo@example.org"]).output
    assert len(events(db, "mail.unsuppressed")) == 1  # nothing lifted, nothing audited

    # The signer gets a fresh confirmation link.
    assert confirmation.resend_confirmation(signature.id)
    db.session.commit()
    assert len(mailbox.wait_for("typo@example.org", count=2)) == 2


def test_an_invalid_email_is_refused_with_a_clear_message(app, db):
    runner = app.test_cli_runner()
    for command in ("suppressed", "unsuppress"):
        refused = runner.invoke(args=["mail", command, "not an address"])
        assert refused.exit_code == 1
        assert "Please check the email address" in refused.output
        assert "Traceback" not in refused.output
    assert events(db, "mail.unsuppressed") == []
