"""The sender of the outbox baseline: the leanest design that keeps the sign's promises on mail.

`bench/bare_app.py`'s /sign-and-owe stores the signature and owes its email in
one statement (one transaction, so a signature answered is never without its
mail owed). This process sends what is owed, as the platform's Celery worker
does but with nothing else: as many processes as the worker has (one per core),
each claiming up to a batch of owed rows with FOR UPDATE SKIP LOCKED, sending
each with raw smtplib and marking it sent at once (so a crash can resend at most
the message in flight, the platform's duplicate window). No Celery, no wake-up
messages: an idle process looks again after POLL_SECONDS, so it runs only for the
baseline's own load (bench/endtoend.py), not beside the others. Left out: handing a
crashed sender's claimed rows to another (the platform's sweep), which costs
nothing while nothing crashes.

`python -m bench.bare_outbox <processes>`, with BARE_DATABASE_URL and SMTP_URL set.
"""

from __future__ import annotations

import multiprocessing
import os
import smtplib
import sys
import time
from multiprocessing.synchronize import Event
from typing import Any

import psycopg

from bench.bare_app import confirmation_email, smtp_connection

BATCH = 20
POLL_SECONDS = 0.05

CLAIM = """
WITH picked AS MATERIALIZED (
    SELECT id FROM bare_outbox WHERE status = 'pending' ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
)
UPDATE bare_outbox SET status = 'sending' FROM picked WHERE bare_outbox.id = picked.id
RETURNING bare_outbox.id, bare_outbox.recipient
"""
SENT = "UPDATE bare_outbox SET status = 'sent', sent_at = now() AT TIME ZONE 'utc' WHERE id = %s"


def send_owed(connection: psycopg.Connection[Any], smtp: smtplib.SMTP) -> int:
    """Claim one batch, send it and mark each message sent; return how many were sent."""
    claimed = connection.execute(CLAIM, (BATCH,)).fetchall()
    for outbox_id, recipient in claimed:
        smtp.send_message(confirmation_email(recipient))
        connection.execute(SENT, (outbox_id,))
    return len(claimed)


def sender(ready: Event) -> None:
    """One process: send while anything is owed, look again after a pause when nothing is."""
    connection = psycopg.connect(os.environ["BARE_DATABASE_URL"], autocommit=True)
    smtp = smtp_connection()
    ready.set()
    while True:
        if not send_owed(connection, smtp):
            time.sleep(POLL_SECONDS)


def main() -> None:
    """Start the sender processes, say when all are connected (`senders ready <pid>`), wait for them.

    The harness stops the whole process group.
    """
    events = [multiprocessing.Event() for _ in range(int(sys.argv[1]))]
    processes = [multiprocessing.Process(target=sender, args=(event,)) for event in events]
    for process in processes:
        process.start()
    for event in events:
        if not event.wait(30):
            raise SystemExit("a sender did not connect within 30 s")
    print(f"senders ready {os.getpid()}", flush=True)
    for process in processes:
        process.join()


if __name__ == "__main__":
    main()
