"""Updates to signers, seen from the tests: the ones a test left sending, queued before the tables go."""

from __future__ import annotations

from typing import Any


def finish_sending(db: Any) -> None:
    """Queue every update left sending, here and now, so no worker is at it when the tables are emptied."""
    from sqlalchemy import select

    from campaign.updates import sending as update_sending
    from campaign.updates.models import Update, UpdateStatus

    db.session.expire_all()
    sending = db.session.execute(select(Update.id).where(Update.status == UpdateStatus.SENDING)).scalars()
    for update_id in list(sending):
        update_sending.queue_update(update_id)
