"""A partner's members export the signers who consented to their organization, exactly those, under the
export rules (their organization lets members export, fresh two-factor, audited); nobody else may."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from sqlalchemy import select

from campaign.audit.models import AuditEvent
from campaign.exports.models import Export, ExportStatus
from campaign.signing.models import Signature
from tests.support.forms import post_form
from tests.support.waiting import wait_until

COLUMNS = ["given_name", "email"]


def _confirm_all(db: Any, client: Any) -> None:
    """Every signer confirms through the link of their email."""
    from campaign.signing.tokens import confirmation_token

    for signature_id in db.session.execute(select(Signature.id)).scalars().all():
        assert post_form(client, f"/confirm/{confirmation_token(signature_id)}").status_code == 303


def _ask(browser: Any, campaign: Any, partner_id: int | None, **fields: Any) -> Any:
    """Ask for an export from the exports page, as the given partner (or as the campaign's own)."""
    values = {"campaign_id": campaign.id, "status": "validated", "columns": COLUMNS, **fields}
    if partner_id is not None:
        values["partner_id"] = partner_id
    return post_form(browser, "/staff/exports/", **values)


def _rows(db: Any, browser: Any, asked: Any) -> list[list[str]]:
    """The rows of an asked-for export, once the worker wrote it."""
    assert asked.status_code == 303, asked.get_data(as_text=True)
    export_id = int(re.search(r"/staff/exports/(\d+)", asked.headers["Location"]).group(1))

    def done() -> bool:
        db.session.expire_all()
        return db.session.get(Export, export_id).status == ExportStatus.DONE

    wait_until(done, timeout=20)
    download = browser.get(f"/staff/exports/{export_id}/download")
    assert download.status_code == 200
    return list(csv.reader(io.StringIO(download.get_data(as_text=True))))


@pytest.mark.usefixtures("celery_worker")
def test_a_partner_exports_exactly_the_signers_who_consented_to_it(app, db, cohosted, sign, client):
    from campaign.accounts.models import Role
    from campaign.accounts.organizations import create_organization
    from tests.support.people import signed_in

    a, b, campaign = cohosted.partner_a, cohosted.partner_b, cohosted.campaign
    assert sign("dont-be-blind", partners=[str(a.id)]).status_code == 303
    assert sign("dont-be-blind", email="ohan@example.org", given_name="Ohan").status_code == 303
    _confirm_all(db, client)
    outsider_browser, outsider = signed_in(app, db, "outsider@example.org", Role.ORGANIZER)
    outsiders = create_organization("Outsiders", outsider)
    for organization in (a, b, outsiders):
        organization.allows_member_exports = True
    db.session.commit()

    # Partner A sees its sign-up, then exports exactly that signer.
    partners_page = cohosted.owner_a.browser.get("/organize/partners").get_data(as_text=True)
    assert '<td class="partner-signups">1</td>' in partners_page
    exports_page = cohosted.owner_a.browser.get("/staff/exports/").get_data(as_text=True)
    assert "Don&#39;t be Blind" in exports_page and "Another Group: signers who agreed" in exports_page
    rows = _rows(db, cohosted.owner_a.browser, _ask(cohosted.owner_a.browser, campaign, a.id))
    assert rows == [["First name", "Email"], ["Anahit", "anahit@example.org"]]

    # Partner B: none consented to it, so its export is empty; A's signers are not its to ask for.
    assert _ask(cohosted.owner_b.browser, campaign, a.id).status_code == 403
    assert _rows(db, cohosted.owner_b.browser, _ask(cohosted.owner_b.browser, campaign, b.id)) == [
        ["First name", "Email"]
    ]
    # Nobody else, and no partner asks for every signer or for unconfirmed ones.
    assert _ask(outsider_browser, campaign, a.id).status_code == 403
    assert _ask(outsider_browser, campaign, None).status_code == 400  # not one of their campaigns
    assert _ask(cohosted.owner_a.browser, campaign, None).status_code == 403
    assert _ask(cohosted.owner_a.browser, campaign, 0).status_code == 403
    pending = _ask(cohosted.owner_a.browser, campaign, a.id, status="all")
    assert pending.status_code == 400
    assert "A partner organization exports confirmed signers only." in pending.get_data(as_text=True)
    assert _ask(cohosted.owner_a.browser, campaign, 10**30).status_code == 403

    requested = (
        db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "export.requested").order_by(AuditEvent.id)
        )
        .scalars()
        .all()
    )
    assert [(event.actor, event.details["filters"]) for event in requested] == [
        (f"user:{cohosted.owner_a.user.id}", {"status": "validated", "partner_id": a.id}),
        (f"user:{cohosted.owner_b.user.id}", {"status": "validated", "partner_id": b.id}),
    ]
    downloads = db.session.execute(select(AuditEvent).where(AuditEvent.action == "export.downloaded")).all()
    assert len(downloads) == 2


def test_a_partner_that_does_not_let_members_export_exports_nothing(db, cohosted, sign):
    a = cohosted.partner_a
    assert sign("dont-be-blind", partners=[str(a.id)]).status_code == 303
    page = cohosted.owner_a.browser.get("/staff/exports/").get_data(as_text=True)
    assert "Don&#39;t be Blind" not in page and 'name="partner_id"' not in page
    assert _ask(cohosted.owner_a.browser, cohosted.campaign, a.id).status_code == 403
    assert db.session.execute(select(Export)).first() is None
