"""Sessions end on the server: a copied cookie opens nothing after signing out; tokens die with
"everywhere"; the enrolment secret never travels in the cookie; private pages are never stored."""

from __future__ import annotations

import base64
import re
import zlib

import pyotp
import pytest
from sqlalchemy import select

from campaign.accounts.models import AccountSession, Role
from campaign.api.models import ApiToken
from campaign.campaigns.models import CampaignKind
from campaign.exports.models import Export, ExportStatus
from tests.support.accounts import log_in, log_in_with_code
from tests.support.forms import csrf_token, post_form
from tests.support.waiting import wait_until


def cookie_payload(client) -> str:
    """What the signed session cookie says (signed, not encrypted: anyone holding it can read it)."""
    value = client.get_cookie("session").value
    compressed = value.startswith(".")
    data = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    return (zlib.decompress(raw) if compressed else raw).decode()


def replay(app, cookie: str):
    """A browser holding nothing but a copy of someone's session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


@pytest.mark.usefixtures("celery_worker")
def test_a_cookie_copied_before_sign_out_opens_nothing_afterwards(app, db, make_user, make_campaign):
    secret = pyotp.random_base32()
    staff = make_user("staff@example.org", role=Role.STAFF, totp_secret=secret)
    campaign = make_campaign(slug="artsakh")
    browser = app.test_client()
    log_in_with_code(browser, "staff@example.org", secret)
    asked = post_form(
        browser, "/staff/exports/", campaign_id=campaign.id, status="validated", columns=["email"]
    )
    export_id = int(re.search(r"/staff/exports/(\d+)", asked.headers["Location"]).group(1))

    def done():
        db.session.expire_all()
        return db.session.get(Export, export_id).status == ExportStatus.DONE

    wait_until(done, timeout=20)
    download = f"/staff/exports/{export_id}/download"
    assert browser.get("/staff/moderation/").status_code == 200
    assert browser.get(download).status_code == 200
    stolen = browser.get_cookie("session").value

    assert post_form(browser, "/account", action="/logout").status_code == 303

    thief = replay(app, stolen)
    for path in ("/staff/moderation/", download, "/account", "/account/tokens/"):
        answer = thief.get(path)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login"), path
    minted = thief.post("/account/tokens/", data={"csrf_token": csrf_token_of(thief), "name": "stolen"})
    assert minted.status_code == 302 and minted.headers["Location"].startswith("/login")
    assert db.session.execute(select(ApiToken)).first() is None
    assert (
        db.session.execute(select(AccountSession).where(AccountSession.user_id == staff.id)).first() is None
    )


def csrf_token_of(client) -> str:
    """A CSRF token valid for this browser's cookie (from a page any visitor may open)."""
    return csrf_token(client.get("/login").get_data(as_text=True))


def test_signing_out_here_leaves_the_other_devices_signed_in(app, make_user):
    make_user("ani@example.org")
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, "ani@example.org")
    log_in(phone, "ani@example.org")
    post_form(laptop, "/account", action="/logout")
    assert laptop.get("/account").status_code == 302
    assert phone.get("/account").status_code == 200


def test_signing_out_everywhere_revokes_the_api_tokens_too(app, db, make_user):
    secret = pyotp.random_base32()
    make_user("ani@example.org", totp_secret=secret)
    browser, phone = app.test_client(), app.test_client()
    log_in_with_code(browser, "ani@example.org", secret)
    made = post_form(browser, "/account/tokens/", name="newsletter sync")
    token = re.search(r'<code class="secret">([^<]+)</code>', made.get_data(as_text=True)).group(1)
    assert browser.get("/api/v1/", headers={"OSDI-API-Token": token}).status_code == 200
    phone.set_cookie("session", browser.get_cookie("session").value)

    assert post_form(browser, "/account", action="/account/sessions/end").status_code == 303

    assert phone.get("/account").status_code == 302
    refused = app.test_client().get("/api/v1/", headers={"OSDI-API-Token": token})
    assert refused.status_code == 401 and refused.is_json
    assert db.session.execute(select(ApiToken.revoked_at)).scalar_one() is not None


def test_a_session_ends_after_its_lifetime(app, db, make_user):
    from datetime import timedelta

    from sqlalchemy import update

    from campaign import clock

    make_user("ani@example.org")
    browser = app.test_client()
    log_in(browser, "ani@example.org")
    db.session.execute(update(AccountSession).values(expires_at=clock.now() - timedelta(seconds=1)))
    db.session.commit()
    assert browser.get("/account").status_code == 302


def test_the_enrolment_secret_stays_on_the_server(app, db, make_user):
    make_user("ani@example.org")
    browser = app.test_client()
    log_in(browser, "ani@example.org")
    page = browser.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'class="totp-secret">([A-Z2-7]+)<', page).group(1)
    # The same secret on a second look (kept with the session), and never in the cookie.
    again = browser.get("/account/two-factor").get_data(as_text=True)
    assert secret in again
    assert secret not in cookie_payload(browser)
    assert db.session.execute(select(AccountSession.totp_setup_secret)).scalar_one() == secret
    enrolled = post_form(browser, "/account/two-factor", code=pyotp.TOTP(secret).now())
    assert enrolled.status_code == 200
    db.session.expire_all()
    assert db.session.execute(select(AccountSession.totp_setup_secret)).scalar_one() is None


def test_making_a_token_asks_for_a_second_factor_given_in_this_session(app, db, make_user):
    secret = pyotp.random_base32()
    make_user("ani@example.org", totp_secret=secret)
    browser = app.test_client()
    log_in_with_code(browser, "ani@example.org", secret)
    # Whoever forges "given just now" into the cookie gains nothing: the server keeps the time.
    with browser.session_transaction() as session:
        session["two_factor_at"] = 4102444800
    db.session.execute(AccountSession.__table__.update().values(two_factor_at=None))
    db.session.commit()
    answer = post_form(browser, "/account/tokens/", name="script")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/account/two-factor/verify")
    assert db.session.execute(select(ApiToken)).first() is None


def test_every_private_page_is_never_stored(app, db, make_user, make_campaign):
    from campaign.accounts.organizations import create_organization

    secret = pyotp.random_base32()
    staff = make_user("staff@example.org", role=Role.STAFF, totp_secret=secret)
    letters = make_campaign(slug="suspend", kind=CampaignKind.LETTER)
    letters.organization_id = create_organization("Relief", staff).id
    db.session.commit()
    browser = app.test_client()
    log_in_with_code(browser, "staff@example.org", secret)
    made = post_form(browser, "/account/tokens/", name="sync")
    assert "osdi_" in made.get_data(as_text=True)
    token = re.search(r'<code class="secret">([^<]+)</code>', made.get_data(as_text=True)).group(1)
    answers = {
        "the page showing a new token": made,
        "tokens": browser.get("/account/tokens/"),
        "exports": browser.get("/staff/exports/"),
        "held letters": browser.get("/staff/letters/held"),
        "paused officials": browser.get("/staff/officials/paused"),
        "letters of a campaign": browser.get(f"/organize/campaigns/{letters.id}/letters"),
        "users": browser.get("/staff/users"),
        "account": browser.get("/account"),
        "api": app.test_client().get("/api/v1/petitions", headers={"OSDI-API-Token": token}),
        "api refusal": app.test_client().get("/api/v1/petitions"),
        "api document": app.test_client().get("/api/v1/openapi.json"),
        "sign-in form": app.test_client().get("/login"),
    }
    for name, answer in answers.items():
        assert answer.status_code < 500, name
        assert answer.headers.get("Cache-Control") == "no-store", name
    # Public pages are left to their own rules: a visitor's never no-store, and a view that
    # declared its answer public (the same bytes for everyone) keeps it, even for a signed-in browser.
    make_campaign(slug="recognize")
    assert "no-store" not in app.test_client().get("/").headers.get("Cache-Control", "")
    count = browser.get("/campaigns/recognize/count.json")
    assert "public" in count.headers["Cache-Control"] and "no-store" not in count.headers["Cache-Control"]
