"""Redis down: signing still answers at once, and the email leaves when Redis returns."""

import os
import time

from sqlalchemy import select

from campaign import cache
from campaign.mail.models import OutboxMessage, OutboxStatus
from campaign.signing.models import Signature
from tests.support.run import INSTANCE, RUN_ID
from tests.support.workers import free_port, redis_server, start_celery


def test_signing_survives_a_broker_outage_and_mail_follows_its_return(db, mailbox, make_campaign, sign):
    from campaign import create_app

    port = free_port()
    broker = {"REDIS_URL": f"redis://127.0.0.1:{port}/0", "REDIS_KEY_PREFIX": f"outage-{RUN_ID}:"}
    outage_app = create_app({"TESTING": True, **broker})
    make_campaign(slug="outage")
    browser = outage_app.test_client()
    try:
        timings = []
        for address in ("first@example.org", "second@example.org"):
            started = time.monotonic()
            response = sign("outage", test_client=browser, email=address)
            timings.append(time.monotonic() - started)
            assert response.status_code == 303
        assert max(timings) < 2.0, timings
        assert len(db.session.execute(select(Signature)).scalars().all()) == 2
        # Both confirmations are owed in the database (a worker of this test run on the
        # other broker may already be sending them: the outbox is shared, the broker is not).
        owed = db.session.execute(select(OutboxMessage.status)).scalars().all()
        assert len(owed) == 2 and OutboxStatus.FAILED not in owed

        # Redis comes back; the worker and beat are (re)started against it.
        env = {**os.environ, **broker, "OUTBOX_SWEEP_SECONDS": "1"}
        log = INSTANCE / "outage.log"
        with (
            redis_server(port, INSTANCE / "outage-redis.log"),
            start_celery("worker", env, log),
            start_celery("beat", env, log),
        ):
            mailbox.wait_for("first@example.org", timeout=30)
            mailbox.wait_for("second@example.org", timeout=30)
    finally:
        cache.forget_local()
    db.session.expire_all()
    sent = db.session.execute(select(OutboxMessage.status)).scalars().all()
    assert sent == [OutboxStatus.SENT, OutboxStatus.SENT]
