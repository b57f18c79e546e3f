"""The doctor's check that workers take what is owed: mail and webhook deliveries due long ago and
still waiting mean that no worker reads their queue (campaign/taskqueue.py), or the workers
cannot keep up.

A row waiting out a retry (an SMTP server or an endpoint that is down) is not
due, so it is not counted; a pace (letters to officials) makes rows due
later, not overdue.
"""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import ngettext

from campaign import claims, clock
from campaign.doctor.findings import Finding, fail, ok
from campaign.taskqueue import DEFAULT_QUEUE, WEBHOOKS_QUEUE

# Beat's sweeps start a pump for what is due every few seconds; this long is a worker missing.
OVERDUE = timedelta(minutes=10)
_COUNTED = 10_000


def check_backlog() -> list[Finding]:
    """Nothing owed has waited for a worker past OVERDUE."""
    from campaign.mail.sending import OUTBOX
    from campaign.webhooks.delivery import DELIVERIES

    since = clock.now() - OVERDUE
    try:
        messages = claims.count(OUTBOX.due(since), _COUNTED)
        deliveries = claims.count(DELIVERIES.due(since), _COUNTED)
    except Exception as error:  # the database and migrations checks above say why
        return fail(
            "backlog",
            _("Not checked (%(error)s): see the database and migrations above.", error=type(error).__name__),
        )
    found: list[Finding] = []
    if messages:
        found += fail(
            "backlog",
            ngettext(
                "%(num)d email has been due for more than 10 minutes: no worker takes the '%(queue)s' "
                "queue, or the workers cannot keep up.",
                "%(num)d emails have been due for more than 10 minutes: no worker takes the '%(queue)s' "
                "queue, or the workers cannot keep up.",
                messages,
                queue=DEFAULT_QUEUE,
            ),
        )
    if deliveries:
        found += fail(
            "backlog",
            ngettext(
                "%(num)d webhook delivery has been due for more than 10 minutes: no worker takes the "
                "'%(queue)s' queue (start one with --queues=%(queue)s), or they cannot keep up.",
                "%(num)d webhook deliveries have been due for more than 10 minutes: no worker takes the "
                "'%(queue)s' queue (start one with --queues=%(queue)s), or they cannot keep up.",
                deliveries,
                queue=WEBHOOKS_QUEUE,
            ),
        )
    return found or ok("backlog", _("No email or webhook delivery has waited 10 minutes for a worker."))
