"""Task names are written once (campaign/task_names.py) and never change: queued messages carry them."""

from __future__ import annotations

import re
from pathlib import Path

from campaign import task_names

WORKER_TASKS = Path(__file__).resolve().parent.parent / "worker" / "tasks.py"

# The names messages already queued (and beat's schedule) use: a rename would strand them.
NAMES = {
    "mail.pump",
    "mail.sweep_outbox",
    "mail.read_bounces",
    "counts.fold_signatures",
    "counts.reconcile",
    "ledger.publish_heads",
    "letters.send_digests",
    "letters.ask_for_replies",
    "exports.run",
    "exports.expire",
    "exports.fail_abandoned",
    "updates.queue_update",
    "updates.resume_sending",
    "privacy.retention",
    "campaigns.tell_of_ended",
    "signing.remind_unconfirmed",
    "moderation.trending_report",
    "moderation.count_invalidation",
    "moderation.run_invalidation",
    "webhooks.pump",
    "webhooks.sweep",
}


def constants() -> dict[str, str]:
    """The task-name constants of campaign/task_names.py."""
    return {name: value for name, value in vars(task_names).items() if name.isupper()}


def test_the_task_names_are_the_ones_queued_messages_carry():
    """Each name is defined once, and the set of names is the one the brokers have seen."""
    values = list(constants().values())
    assert len(values) == len(set(values))
    assert set(values) == NAMES


def test_every_task_is_registered_under_a_constant_once():
    """worker/tasks.py names each task by a constant of task_names, and every constant has its task."""
    source = WORKER_TASKS.read_text(encoding="utf-8")
    registered = re.findall(r"@shared_task\(name=([^,)]+)", source)
    assert all(name.startswith("task_names.") for name in registered), registered
    assert sorted(name.removeprefix("task_names.") for name in registered) == sorted(constants())


def test_beat_schedules_only_registered_tasks(app):
    """Every entry of the beat schedule names a task the worker registers."""
    schedule = app.extensions["celery"].conf.beat_schedule
    assert {entry["task"] for entry in schedule.values()} <= NAMES
