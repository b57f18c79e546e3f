"""The Celery app, `worker:celery_app`: `celery -A worker worker` and `celery -A worker beat`.

Who commits in worker code: the service a task calls commits its own work, a
batch per transaction, so that what a lost worker did stays done and the next
run takes up the rest (the long jobs loop through campaign.dispatch.drain). A
task in worker/tasks.py calls one service function and never commits. Where
the unit is not a batch: mail.pump commits each message's outcome on its own
(a message sent is never sent again), and an export commits its status before
and after the file it writes (campaign.exports.writer).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import signals

from campaign import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
log = logging.getLogger(__name__)


@signals.worker_init.connect
def _say_how_sigterm_stops(**_kwargs: Any) -> None:
    """Warn when SIGTERM would wait out every running task (Dockerfile and `make run` set REMAP_SIGTERM)."""
    if os.environ.get("REMAP_SIGTERM") != "SIGQUIT":
        log.warning(
            "REMAP_SIGTERM is not SIGQUIT: SIGTERM waits for every running task to finish"
            " instead of the soft shutdown of campaign/taskqueue.py"
        )


from worker import tasks as tasks  # noqa: E402  registers the tasks on the app
