"""Input: every text field refuses NUL and control characters with a clear message, never a 500;
names as people write them are accepted; Unicode addresses sign and are written to with SMTPUTF8;
organizer text cannot fool the campaign page's skeleton."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from campaign.accounts.models import Role
from campaign.campaigns.models import CampaignStatus
from campaign.mail import composing as mail
from campaign.mail.models import OutboxMessage
from campaign.mail.transport import PermanentFailure, SmtpTransport
from campaign.signing.models import Signature
from tests.support.builder import DRAFT_FORM
from tests.support.forms import post_form
from tests.support.outbox import rows
from tests.support.people import signed_in
from tests.support.smtp import SmtpCapture, _Handler
from tests.support.workers import free_port

NUL_MESSAGE = "a character we cannot accept: U+0000 (a control character)"


@pytest.fixture
def organizer(app: Any, db: Any) -> tuple[Any, Any]:
    """A signed-in organizer (with two-factor) who owns an organization."""
    from campaign.accounts.organizations import create_organization

    browser, user = signed_in(app, db, "ani@example.org", Role.ORGANIZER)
    organization = create_organization("Friends of Artsakh", user)
    db.session.commit()
    return browser, organization


def _new_draft(browser: Any, organization: Any, **fields: str) -> Any:
    """Post the builder's new-campaign form."""
    values = {**DRAFT_FORM, "organization_id": str(organization.id), "share_text": "I signed."}
    values.update(fields)
    return post_form(browser, "/organize/campaigns/new", **values)


def _refused_with_message(response: Any, message: str = NUL_MESSAGE) -> None:
    """A 400 that tells what is wrong (the HTML escapes nothing of it)."""
    assert response.status_code == 400, response.status_code
    assert message in response.get_data(as_text=True)


@pytest.mark.parametrize("field", ["title", "summary", "body_markdown", "share_text"])
def test_nul_in_campaign_text_is_refused_with_a_message(db, organizer, field):
    from campaign.campaigns.models import Campaign

    browser, organization = organizer
    _refused_with_message(_new_draft(browser, organization, **{field: "Free\x00dom"}))
    assert db.session.execute(select(Campaign)).first() is None


def test_nul_in_an_edit_a_letter_an_outcome_and_an_update_is_refused_with_a_message(
    db, organizer, make_campaign
):
    browser, organization = organizer
    created = _new_draft(browser, organization, kind="letter")
    assert created.status_code == 303
    draft_path = created.headers["Location"].split("?")[0].rstrip("/")
    campaign_id = int(re.search(r"/organize/campaigns/(\d+)", draft_path).group(1))
    base = f"/organize/campaigns/{campaign_id}"

    edit = post_form(
        browser,
        f"{base}/edit",
        title="Suspend arms exports\x00",
        summary="s",
        body_markdown="b",
        goal="10",
        language="en",
        save="Save",
    )
    _refused_with_message(edit)
    letter = post_form(
        browser,
        f"{base}/letter",
        subject_template="Arms exports",
        body_template="Dear $official_name,\x00\n\n$message",
        targeting="routed",
    )
    _refused_with_message(letter)

    running = make_campaign(organization_id=organization.id, status=CampaignStatus.OPEN)
    outcome = post_form(
        browser,
        f"/organize/campaigns/{running.id}",
        action=f"/organize/campaigns/{running.id}/outcome",
        kind="victory",
        text="We won\x00.",
    )
    _refused_with_message(outcome)
    update = post_form(
        browser,
        f"/organize/campaigns/{running.id}/updates",
        subject="News\x00",
        body="The vote is on Monday.",
    )
    _refused_with_message(update)
    assert rows(db) == []


def test_nul_in_a_token_name_or_an_organization_name_is_refused_with_a_message(db, organizer):
    from campaign.accounts.models import Organization
    from campaign.api.models import ApiToken

    browser, _organization = organizer
    _refused_with_message(post_form(browser, "/account/tokens/", name="partner\x00sync"))
    assert db.session.execute(select(ApiToken)).first() is None
    _refused_with_message(post_form(browser, "/organizations", name="Relief\x00Fund"))
    assert [o.name for o in db.session.execute(select(Organization)).scalars()] == ["Friends of Artsakh"]


def test_organization_names_carry_no_links(db, organizer):
    browser, _organization = organizer
    for phishing in (
        "Your bank: secure-login.example",
        "Reset at https://evil.test",
        "Write to a@b.example",
        # The same in fullwidth forms, which read as '@' and '.' beside an address.
        "Ministry \uff1cpress\uff20mfa\uff0eam\uff1e",
    ):
        refused = post_form(browser, "/organizations", name=phishing)
        _refused_with_message(refused, "without web or email addresses")
    assert post_form(browser, "/organizations", name="St. Mary's Relief Committee").status_code == 303


PERSIAN_NAME = "\u0645\u062d\u0645\u062f\u200c\u0631\u0636\u0627"  # Mohammad-Reza, with a ZWNJ
FAMILY_EMOJI = "\U0001f469\u200d\U0001f469\u200d\U0001f467"  # one joined emoji sequence
FLAG_OF_SCOTLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"


def test_names_with_zero_width_joiners_and_emoji_sequences_are_accepted(db, make_campaign, sign):
    make_campaign(slug="recognize")
    response = sign(
        "recognize", given_name=PERSIAN_NAME, family_name=f"Tehrani {FAMILY_EMOJI} {FLAG_OF_SCOTLAND}"
    )
    assert response.status_code == 303
    personal = db.session.execute(select(Signature)).scalar_one().personal
    assert personal.given_name == PERSIAN_NAME
    assert personal.family_name == f"Tehrani {FAMILY_EMOJI} {FLAG_OF_SCOTLAND}"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("given_name", "Ana\x00", NUL_MESSAGE),
        ("family_name", "Petro\x1bsyan", "U+001B (a control character)"),
        ("comment", "For my family\x00", NUL_MESSAGE),
        ("given_name", "Ana\ue000csrf\ue000", "U+E000 (a private-use character)"),
    ],
)
def test_control_characters_in_the_sign_form_are_refused_with_a_message(
    db, make_campaign, sign, field, value, message
):
    make_campaign(slug="recognize")
    _refused_with_message(sign("recognize", **{field: value}), message)
    assert db.session.execute(select(Signature)).first() is None


def _helper_body(**person: Any) -> dict[str, Any]:
    """A record-signature helper body (OSDI) for this person."""
    values = {
        "given_name": "Anahit",
        "family_name": "Petrosyan",
        "email_addresses": [{"address": "anahit@example.org"}],
        "postal_addresses": [{"country": "AM"}],
    }
    values.update(person)
    return {"person": values}


def test_the_api_helper_refuses_control_characters_and_accepts_unicode_addresses(db, client, make_campaign):
    from campaign.accounts.organizations import create_organization
    from campaign.accounts.service import create_user
    from campaign.api.tokens import create_token

    partner = create_user("partner@example.org", "correct horse battery staple 2026", Role.ORGANIZER)
    db.session.flush()
    organization = create_organization("Partner Group", partner)
    _token, secret = create_token(partner, "tests", actor="cli:tests")
    db.session.commit()
    headers = {"OSDI-API-Token": secret}
    petition = make_campaign(slug="recognize", organization_id=organization.id)
    path = f"/api/v1/petitions/{petition.id}/signatures"
    nul = client.post(path, json=_helper_body(given_name="Ana\x00"), headers=headers)
    assert nul.status_code == 400 and NUL_MESSAGE in nul.get_json()["error"]
    # JSON can carry half of a character (a lone surrogate), which no database can store.
    surrogate = json.dumps(_helper_body(given_name="Ana")).replace("Ana", "Ana\\ud800")
    broken = client.post(path, data=surrogate, content_type="application/json", headers=headers)
    assert broken.status_code == 400 and "U+D800" in broken.get_json()["error"]
    assert rows(db) == []
    unicode_address = client.post(
        path, json=_helper_body(email_addresses=[{"address": "ünï@example.org"}]), headers=headers
    )
    assert unicode_address.status_code == 202
    assert [row.kind for row in rows(db)] == ["confirmation"]


class _AsciiOnlyCapture(SmtpCapture):
    """An SMTP server that does not offer SMTPUTF8, as some relays still do not."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=port, enable_SMTPUTF8=False)


@pytest.fixture
def ascii_only_server() -> Iterator[SmtpCapture]:
    """An SMTP server of this test's own, without SMTPUTF8."""
    server = _AsciiOnlyCapture(free_port())
    server.start()
    yield server
    server.stop()


@pytest.mark.usefixtures("celery_worker")
@pytest.mark.parametrize("address", ["用户@example.org", "ünï@example.org"])
def test_an_address_with_unicode_before_the_at_signs_and_is_confirmed_over_smtputf8(
    db, make_campaign, sign, mailbox, ascii_only_server, address
):
    make_campaign(slug="recognize", title="Recognize Artsakh")
    assert sign("recognize", email=address).status_code == 303
    # The worker sent it with SMTPUTF8 (smtplib cannot name such a recipient otherwise).
    [message] = mailbox.wait_for(address)
    assert "/confirm/" in message.get_content() and "Recognize Artsakh" in message.get_content()

    # A server that does not offer SMTPUTF8 refuses it for good, saying why: no retries, no 500.
    [row] = rows(db, "confirmation")
    content = mail.composed(row)
    assert content is not None
    transport = SmtpTransport(f"smtp://127.0.0.1:{ascii_only_server.port}", timeout=10)
    with pytest.raises(PermanentFailure, match="does not offer SMTPUTF8"):
        transport.send(mail.compose(row, content))
    assert ascii_only_server.messages == []


def test_the_link_to_ones_own_page_reaches_a_unicode_address(db, client, make_campaign, sign):
    make_campaign(slug="recognize")
    assert sign("recognize", email="用户@example.org").status_code == 303
    answer = post_form(client, "/my/", email="用户@example.org")
    assert answer.status_code == 200
    [link] = [mail.composed(row) for row in rows(db, "my-link")]
    assert link is not None and link.recipient == "用户@example.org"


def test_without_smtputf8_a_unicode_address_is_refused_with_a_clear_message(app, db, make_campaign, sign):
    make_campaign(slug="recognize")
    app.config["SMTPUTF8_ENABLED"] = 0
    try:
        response = sign("recognize", email="用户@example.org")
    finally:
        app.config["SMTPUTF8_ENABLED"] = 1
    _refused_with_message(
        response, "we can write only to addresses with Latin letters, digits and punctuation before the @."
    )
    assert db.session.execute(select(OutboxMessage)).first() is None


def test_organizer_text_with_the_skeletons_marks_never_shows_a_visitors_token(client, make_campaign):
    # Written before the forms refused such characters (or straight into the database).
    make_campaign(
        slug="marked",
        title="Stop \ue000csrf\ue000 \ue000count\ue000",
        summary="Share \ue000source\ue000",
        body_markdown="Hello \ue000csrf\ue000",
    )
    page = client.get("/campaigns/marked").get_data(as_text=True)
    token = re.search(r'name="shown_at" type="hidden" value="([^"]+)"', page).group(1)
    assert page.count(token) == 1  # in the form, and nowhere else
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert "\ue000csrf\ue000" in title and token not in title
    assert '<meta property="og:title" content="Stop \ue000csrf\ue000' in page
