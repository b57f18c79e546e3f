"""The bounce mailbox read by a real Celery worker, as beat asks it to: a hostile message beside a
genuine bounce leaves the worker alive and the bounce acted on."""

from __future__ import annotations

import os
import time
from mailbox import Maildir

import pytest

from campaign import dispatch, task_names
from campaign.mail import bounces
from tests.support.bounces import OFFICIAL, a_letter_sent, dsn, is_bad
from tests.support.run import INSTANCE
from tests.support.workers import start_celery

pytestmark = pytest.mark.usefixtures("celery_worker")


def test_a_worker_reads_the_bounce_mailbox_and_survives_what_is_in_it(
    app, db, observer, mailbox, make_campaign, tmp_path, monkeypatch
):
    folder = tmp_path / "bounces"
    box = Maildir(folder, create=True)
    monkeypatch.setitem(observer.config, "BOUNCE_MAILDIR", str(folder))  # for the return path below
    _, official, row = a_letter_sent(db, make_campaign, mailbox)
    box.add(b"Content-Type: message/rfc822\n\n" * 3000)  # nested past the parser's limits
    box.add(dsn(bounces.return_path(row.id), OFFICIAL, message_id=row.message_id))

    # A worker of its own reads the maildir (the session's worker was started without one): the
    # task is asked for until that worker took it, as beat would ask every BOUNCE_READ_SECONDS.
    environment = dict(os.environ, BOUNCE_MAILDIR=str(folder))
    with start_celery("worker", environment, INSTANCE / "bounce-worker.log") as worker:
        deadline = time.monotonic() + 30
        while box.keys() and time.monotonic() < deadline:
            with app.app_context():
                assert dispatch.publish(task_names.MAIL_READ_BOUNCES, ())
            time.sleep(0.5)
        assert worker.poll() is None  # still running

    assert list(box.keys()) == []
    assert len(box.get_folder(bounces.SET_ASIDE_FOLDER)) == 1
    assert is_bad(db, official)
