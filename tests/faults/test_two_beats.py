"""Two beats on one database and one broker: every email owed arrives once and every signature counts once,
also after the beat holding the lock is killed and the other takes over.

The site here cannot reach the broker, so nothing it publishes helps: each
confirmation is mailed and each signature counted only because a beat's
outbox sweep and count fold asked a worker to. Both beats are configured to
sweep and fold every second; only the one holding the beat lock may.
"""

import re
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from campaign.beatlock import STANDBY_SECONDS
from campaign.mail.models import OutboxMessage, OutboxStatus
from campaign.signing.models import Signature, SignatureStatus
from tests.support.forms import csrf_token
from tests.support.waiting import wait_until
from tests.support.workers import free_port

FIRST_SIGNERS = range(0, 12)
LATER_SIGNERS = range(12, 20)
# beat/lock.py: a standby beat tries the lock every STANDBY_SECONDS; a little more for the database to answer.
TAKEOVER_SECONDS = STANDBY_SECONDS + 3
SENDING = re.compile(r"Sending due task")
EVERY_SECOND = {"OUTBOX_SWEEP_SECONDS": "1", "COUNTS_FOLD_SECONDS": "1"}


def sent_tasks(log) -> int:
    """How many periodic tasks a beat has sent."""
    return len(SENDING.findall(log.read_text(errors="replace")))


def confirm_all(stack, addresses) -> None:
    """Confirm each signature from the link in its confirmation email, as its signer would."""
    for address in addresses:
        [message] = stack.smtp.to(address)
        token = re.search(r"/confirm/([^\s\"<>/]+)", message.get_body(("plain",)).get_content()).group(1)
        page = stack.site.get(f"/confirm/{token}")
        assert page.status_code == 200, page.status_code
        csrf = csrf_token(page.get_data(as_text=True))
        answer = stack.site.post(f"/confirm/{token}", data={"csrf_token": csrf})
        assert answer.status_code == 303, answer.status_code


def counted(db, campaign_id: int) -> int:
    """The campaign's public count as the database holds it now."""
    from campaign.counts.read import snapshot_from_database

    db.session.rollback()
    return snapshot_from_database(campaign_id).total


@pytest.mark.parametrize("stack", ["redis"], indirect=True)
def test_two_beats_send_nothing_twice_and_count_nothing_twice(stack, db, make_campaign):
    from campaign import cache, create_app

    campaign = make_campaign(slug="two-beats")
    stack.site = create_app(
        {
            "TESTING": True,
            "BROKER_URL": f"redis://127.0.0.1:{free_port()}/0",  # nobody listens there
            "REDIS_KEY_PREFIX": stack.processes.env["REDIS_KEY_PREFIX"],
        }
    ).test_client()
    try:
        first, first_log = stack.processes.start("beat", "first-beat", **EVERY_SECOND)
        wait_until(lambda: "beat lock taken" in first_log.read_text(errors="replace"), timeout=30)
        _, second_log = stack.processes.start("beat", "second-beat", **EVERY_SECOND)
        wait_until(lambda: "stands by" in second_log.read_text(errors="replace"), timeout=30)
        stack.processes.start("worker", "worker", concurrency=2)

        addresses = stack.sign("two-beats", FIRST_SIGNERS)
        wait_until(lambda: all(stack.smtp.to(address) for address in addresses), timeout=60, interval=0.2)
        confirm_all(stack, addresses)
        wait_until(lambda: counted(db, campaign.id) == len(FIRST_SIGNERS), timeout=30, interval=0.2)
        assert sent_tasks(first_log) > 0
        assert sent_tasks(second_log) == 0, "the standing-by beat sent periodic tasks"

        stack.processes.kill(first)
        killed_at = time.monotonic()
        wait_until(lambda: "beat lock taken" in second_log.read_text(errors="replace"), timeout=30)
        took_over_in = time.monotonic() - killed_at
        assert took_over_in <= TAKEOVER_SECONDS, f"the second beat took over after {took_over_in:.1f} s"

        later = stack.sign("two-beats", LATER_SIGNERS)
        wait_until(lambda: all(stack.smtp.to(address) for address in later), timeout=60, interval=0.2)
        confirm_all(stack, later)
        addresses += later
        wait_until(lambda: counted(db, campaign.id) == len(addresses), timeout=30, interval=0.2)
        time.sleep(3)  # time for a late duplicate (a second sweep's pump, a second fold) to show
    finally:
        cache.forget_local()  # the dead broker must not hold back the next test's publishing

    per_address = {address: stack.smtp.message_ids(address) for address in addresses}
    assert {address: len(ids) for address, ids in per_address.items() if len(ids) != 1} == {}
    every_id = [message_id for ids in per_address.values() for message_id in ids]
    assert len(set(every_id)) == len(every_id) == len(stack.smtp.messages)
    db.session.rollback()
    assert Counter(db.session.execute(select(OutboxMessage.status)).scalars()) == {
        OutboxStatus.SENT: len(addresses)
    }
    validated = db.session.execute(
        select(func.count()).where(
            Signature.campaign_id == campaign.id, Signature.status == SignatureStatus.VALIDATED
        )
    ).scalar_one()
    assert counted(db, campaign.id) == validated == len(addresses)
