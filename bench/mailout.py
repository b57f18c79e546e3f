"""(g) Mail out: the outbox drained by one worker process to the SMTP sink, against raw smtplib.

Each round owes N confirmations as the sign request does (an outbox row naming
a pending signature, whose sealed data the worker opens to write the email, and
the keyed hash of its address, which the bounce list is read by),
hands them to the broker with the app's own outbox sweep and times until every
one is sent (the last sent_at). The baseline sends messages of the same size,
composed beforehand, over one reused smtplib connection to the same sink.
"""

from __future__ import annotations

import inspect
import smtplib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from flask import Flask

from bench import cpu, population, stats
from bench.stack import HOST, Stack

BODY = """\
Hello Anahit,

Thank you for signing "Recognize the Republic of Artsakh to protect its civilians".

Please confirm your signature by opening this link and pressing the button:

http://127.0.0.1:8000/confirm/MTIzNDU2.aWQxMjM0NTY3ODkw.c2lnbmF0dXJlLWZvci10aGUtYmVuY2htYXJr

Your signature counts only once it is confirmed. The link works for two weeks.

If you did not sign, ignore this email: nothing will be counted and we will
not write to you again about it.
"""
SUBJECT = "Please confirm your signature: Recognize the Republic of Artsakh to protect its civilians"


@dataclass
class MailResult:
    """Messages a second of the worker and of raw smtplib, per round."""

    messages: int
    worker_rates: list[float] = field(default_factory=list)
    raw_rates: list[float] = field(default_factory=list)
    raw_composing_rates: list[float] = field(default_factory=list)
    publish_seconds: list[float] = field(default_factory=list)
    worker_cpu: list[dict[str, float]] = field(default_factory=list)
    raw_cpu: list[dict[str, float]] = field(default_factory=list)
    unsent: int = 0

    def cpu_table(self, rounds: list[dict[str, float]]) -> dict[str, float]:
        """Median CPU ms per message of each component over the rounds."""
        keys = sorted({key for cpu_ms in rounds for key in cpu_ms})
        return {key: stats.median([cpu_ms.get(key, 0.0) for cpu_ms in rounds]) for key in keys}

    def ratio(self) -> float:
        """Median over rounds of worker rate / raw smtplib rate in the same round."""
        return stats.median(
            [stats.ratio(w, r) for w, r in zip(self.worker_rates, self.raw_rates, strict=False)]
        )


def run(stack: Stack, app: Flask) -> MailResult:
    """Stop the general worker and beat, start one worker, and time rounds of draining and of smtplib."""
    settings = stack.settings
    result = MailResult(settings.mail_messages)
    stack.stop("beat")  # its sweep would publish the same rows a second time
    stack.stop("worker")
    with stack.connect() as connection:
        # What earlier benchmarks left owed is set aside: only this benchmark's rows are timed.
        connection.execute(
            "UPDATE outbox SET status = 'failed', last_error = 'set aside by bench' "
            "WHERE status IN ('pending', 'sending')"
        )
    # Confirmations, as the sign request owes them: a reference to a pending signature, whose
    # sealed data the worker opens to write the email.
    campaign = population.make_campaign(app, "bench-mail", "A campaign for the mail-out benchmark")
    sealed = population.sealed_sample(app)
    stack.start_worker("mail-worker")
    _round(stack, app, "warmup", min(200, settings.mail_messages), campaign, sealed)
    for number in range(settings.rounds):
        before = cpu.snapshot(stack)
        worker_rate, unsent, publish_seconds = _round(
            stack, app, f"r{number}", settings.mail_messages, campaign, sealed
        )
        middle = cpu.snapshot(stack)
        raw_rate, raw_composing_rate = _raw_smtplib(stack, f"r{number}")
        after = cpu.snapshot(stack)
        result.worker_rates.append(worker_rate)
        result.raw_rates.append(raw_rate)
        result.raw_composing_rates.append(raw_composing_rate)
        result.publish_seconds.append(publish_seconds)
        result.worker_cpu.append(cpu.per_request(before, middle, settings.mail_messages))
        result.raw_cpu.append(cpu.per_request(middle, after, settings.mail_messages))
        result.unsent += unsent
        print(
            f"  mail round {number + 1}: worker {worker_rate:.0f}/s, raw smtplib {raw_rate:.0f}/s", flush=True
        )
    stack.stop("mail-worker")
    return result


def _round(
    stack: Stack, app: Flask, tag: str, count: int, campaign: int, sealed: bytes
) -> tuple[float, int, float]:
    """Owe `count` confirmations, hand them over, wait until all are sent: messages a second, unsent,
    hand-over time."""
    with stack.connect() as connection:
        signatures = population.add_signatures(connection, campaign, f"mail-{tag}", count, "pending", sealed)
        connection.execute(
            """
            INSERT INTO outbox (kind, dedupe_key, ref_id, recipient_index, status, attempts,
                next_attempt_at, message_id, created_at)
            SELECT 'confirmation', 'bench-mail:' || %(tag)s || ':' || signatures.id, signatures.id,
                people.email_index, 'pending', 0, (now() AT TIME ZONE 'utc') - interval '1 minute',
                '<' || md5(%(tag)s || signatures.id) || '@example.org>', now() AT TIME ZONE 'utc'
            FROM unnest(%(ids)s::integer[]) AS signature_id
            JOIN signatures ON signatures.id = signature_id
            JOIN people ON people.id = signatures.person_id
            """,
            {"tag": tag, "ids": signatures},
        )
    started = datetime.now(UTC).replace(tzinfo=None)
    publish_started = time.monotonic()
    _hand_over(app, count)
    publish_seconds = time.monotonic() - publish_started
    deadline = time.monotonic() + stack.settings.drain_timeout
    with stack.connect() as connection:
        while True:
            row = connection.execute(
                "SELECT count(*) FILTER (WHERE status <> 'sent'), max(sent_at) FROM outbox "
                "WHERE dedupe_key LIKE %s",
                (f"bench-mail:{tag}:%",),
            ).fetchone()
            assert row is not None
            unsent, last_sent = int(row[0]), row[1]
            if not unsent or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    seconds = (last_sent - started).total_seconds() if last_sent else 0.0
    return ((count - unsent) / seconds if seconds > 0 else 0.0), unsent, publish_seconds


def _hand_over(app: Flask, count: int) -> None:
    """Hand the owed rows to the broker the app's own way: its outbox sweep (per-row tasks or a pump)."""
    from campaign.mail import sending

    sweep: Any = sending.sweep
    with app.app_context():
        if "limit" in inspect.signature(sweep).parameters:
            sweep(limit=count)
        else:
            sweep()


def _raw_smtplib(stack: Stack, tag: str) -> tuple[float, float]:
    """Send the round's messages over one smtplib connection; messages a second: sending, composing too."""
    with stack.connect() as connection:
        rows = connection.execute(
            "SELECT 'Anahit <anahit.petrosyan@example.org>', %s, %s, message_id FROM outbox"
            " WHERE dedupe_key LIKE %s ORDER BY id",
            (SUBJECT, BODY, f"bench-mail:{tag}:%"),
        ).fetchall()
    composing = time.perf_counter()
    messages = []
    for recipient, subject, body, message_id in rows:
        message = EmailMessage()
        message["From"] = "Campaigns <campaigns@example.org>"
        message["To"] = recipient
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = message_id
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(body)
        messages.append(message)
    started = time.perf_counter()
    with smtplib.SMTP(HOST, stack.smtp_port, timeout=10) as smtp:
        for message in messages:
            smtp.send_message(message)
    ended = time.perf_counter()
    return len(messages) / (ended - started), len(messages) / (ended - composing)
