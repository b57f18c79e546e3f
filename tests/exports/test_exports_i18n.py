"""Why an export failed: stored as a code, read on its page in the reader's language."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from markupsafe import escape

from campaign import clock
from campaign.accounts.models import Role
from campaign.exports import files, reasons
from campaign.exports.models import Export, ExportStatus
from tests.support.people import signed_in


def an_export(db: Any, campaign_id: int, user_id: int, **values: Any) -> Export:
    """An export row of this user's, as the request form records it."""
    now = clock.now()
    export = Export(
        campaign_id=campaign_id,
        requested_by=f"user:{user_id}",
        user_id=user_id,
        filters={},
        columns=["given_name"],
        written_rows=0,
        expires_at=now + timedelta(hours=24),
        **values,
    )
    db.session.add(export)
    db.session.commit()
    return export


def in_language(app: Any, language: str, error: str) -> str:
    """What the export page in this language says for a stored error, escaped as the page writes it."""
    with app.test_request_context(f"/?lang={language}"):
        return str(escape(reasons.describe(error)))


def test_an_export_whose_worker_stopped_says_so_in_the_readers_language(app, db, make_campaign):
    campaign = make_campaign(slug="artsakh")
    browser, staff = signed_in(app, db, "staff@example.org", Role.STAFF)
    # Running long past the limit: its worker is gone, and the sweep fails it.
    long_ago = clock.now() - timedelta(seconds=app.config["EXPORT_RUNNING_LIMIT_SECONDS"] + 60)
    export = an_export(db, campaign.id, staff.id, status=ExportStatus.RUNNING, created_at=long_ago)
    with app.app_context():
        assert files.fail_abandoned_exports() == 1
    db.session.expire_all()
    assert db.session.get(Export, export.id).error == files.ABANDONED == "worker-stopped"

    english = browser.get(f"/staff/exports/{export.id}").get_data(as_text=True)
    french = browser.get(f"/staff/exports/{export.id}?lang=fr").get_data(as_text=True)

    assert "The export stopped when its worker did; please ask for it again." in english
    assert 'lang="fr"' in french
    assert in_language(app, "fr", files.ABANDONED) in french
    assert "worker-stopped" not in english and "worker-stopped" not in french


def test_older_exports_keep_their_words(app, db, make_campaign):
    campaign = make_campaign(slug="artsakh")
    browser, staff = signed_in(app, db, "staff@example.org", Role.STAFF)
    # Failed before errors were codes: the sentence it holds is still read in the reader's language...
    old = an_export(
        db,
        campaign.id,
        staff.id,
        status=ExportStatus.FAILED,
        error="The export stopped when its worker did; please ask for it again.",
    )
    # ...and a text the page does not know is shown as it is.
    odd = an_export(db, campaign.id, staff.id, status=ExportStatus.FAILED, error="Disk full at 03:00.")

    french = browser.get(f"/staff/exports/{old.id}?lang=fr").get_data(as_text=True)
    assert in_language(app, "fr", files.ABANDONED) in french
    assert "Disk full at 03:00." in browser.get(f"/staff/exports/{odd.id}?lang=fr").get_data(as_text=True)
