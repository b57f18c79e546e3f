"""Reasons for signing: the comments signers chose to show, on the campaign page, and their moderation."""

from __future__ import annotations

import csv
import html
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from campaign import clock
from campaign.audit.models import AuditEvent
from campaign.campaigns import comments
from campaign.campaigns.comments import PublicComment
from campaign.campaigns.models import Campaign, CampaignStatus
from campaign.privacy import retention
from campaign.signing.models import Person, Signature, SignatureStatus
from campaign.signing.service import email_index
from campaign.signing.supporters import my_token
from campaign.signing.tokens import confirmation_token
from tests.support.builder import Team, open_campaign, press
from tests.support.forms import csrf_token
from tests.support.people import signed_in

_REASON = re.compile(r'<li class="reason">\s*<p class="reason-text">(.*?)</p>\s*<p class="meta">(.*?)·', re.S)


@pytest.fixture(autouse=True)
def fresh_blocks(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts without another's rendered comments, and sees a confirmation at once.

    A process reuses the list it rendered for PUBLIC_COMMENTS_SECONDS; the tests
    of that reuse set it back.
    """
    monkeypatch.setitem(app.config, "PUBLIC_COMMENTS_SECONDS", 0)
    comments.forget_blocks()
    yield
    comments.forget_blocks()


@pytest.fixture
def team(app: Any, db: Any) -> Team:
    """Two organizers with an organization each, and staff (as the builder's tests have them)."""
    from campaign.accounts.models import Role
    from campaign.accounts.organizations import create_organization
    from tests.support.builder import Person as Someone

    organizer = Someone(*signed_in(app, db, "ani@example.org", Role.ORGANIZER))
    other = Someone(*signed_in(app, db, "mallory@example.org", Role.ORGANIZER))
    staff = Someone(*signed_in(app, db, "staff@example.org", Role.STAFF))
    organization = create_organization("Friends of Artsakh", organizer.user)
    other_organization = create_organization("Another Group", other.user)
    db.session.commit()
    return Team(organizer, other, staff, staff, app.test_client(), organization, other_organization)


def sign_as(app: Any, slug: str, n: int, given_name: str, country: str, comment: str, **fields: str) -> Any:
    """A new browser at its own address signs with this first name, country and comment; the browser."""
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = f"192.0.2.{n}"
    page = browser.get(f"/campaigns/{slug}")
    form = {
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "given_name": given_name,
        "family_name": "Family" + given_name,
        "email": f"{given_name.lower()}{n}@example.org",
        "country": country,
        "comment": comment,
        **fields,
    }
    answer = browser.post(f"/campaigns/{slug}/sign", data=form)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    browser.email = form["email"]
    return browser


def signature_of(db: Any, browser: Any) -> Signature:
    """The signature a browser gave, found as the platform finds a person: by the keyed hash."""
    db.session.expire_all()
    return db.session.execute(
        select(Signature).join(Person).where(Person.email_index == email_index(browser.email))
    ).scalar_one()


def confirm(db: Any, browser: Any) -> None:
    """Press the confirm button of the browser's signature, as its emailed link opens it."""
    path = f"/confirm/{confirmation_token(signature_of(db, browser).id)}"
    page = browser.get(path)
    assert browser.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True))}).status_code == 303


def reasons(client: Any, slug: str, lang: str = "en") -> list[tuple[str, str]]:
    """The reasons for signing on the campaign page, top to bottom: (text, who and where)."""
    page = client.get(f"/campaigns/{slug}?lang={lang}")
    assert page.status_code == 200
    found = _REASON.findall(page.get_data(as_text=True))
    return [(html.unescape(text).strip(), " ".join(html.unescape(meta).split())) for text, meta in found]


def test_confirmed_signers_who_chose_to_show_appear_newest_first_with_first_name_and_country(
    app, db, client, make_campaign
):
    make_campaign(slug="recognize")
    reason = "For my grandparents in Stepanakert."
    anahit = sign_as(app, "recognize", 1, "Anahit", "AM", reason, comment_public="y")
    pierre = sign_as(app, "recognize", 2, "Pierre", "FR", "Parce que c'est juste.", comment_public="y")
    olga = sign_as(app, "recognize", 3, "Olga", "RU", "Only for the organizers.")
    sign_as(app, "recognize", 4, "Ivan", "RU", "I never confirmed.", comment_public="y")
    tom = sign_as(app, "recognize", 5, "Tom", "GB", "I changed my mind.", comment_public="y")
    for browser in (anahit, pierre, olga, tom):
        confirm(db, browser)
    withdrawn = signature_of(db, tom)
    my = f"/my/{my_token(withdrawn.person_id)}"
    assert press_button(tom, my, f"{my}/withdraw/{withdrawn.id}").status_code == 303

    assert reasons(client, "recognize") == [
        ("Parce que c'est juste.", "Pierre, France"),
        ("For my grandparents in Stepanakert.", "Anahit, Armenia"),
    ]
    # The country in the reader's language; never the family name.
    assert [who for _, who in reasons(client, "recognize", "fr")] == ["Pierre, France", "Anahit, Arménie"]
    page = client.get("/campaigns/recognize").get_data(as_text=True)
    assert "FamilyAnahit" not in page and "example.org" not in page
    # What the withdrawn signer let be shown is gone with their signature.
    assert db.session.get(PublicComment, withdrawn.id) is None


def press_button(browser: Any, page_path: str, button_path: str) -> Any:
    """Open a page and press a button on it (a POST with the page's CSRF token)."""
    page = browser.get(page_path)
    return browser.post(button_path, data={"csrf_token": csrf_token(page.get_data(as_text=True))})


def test_a_fraudulent_signature_never_shows_its_comment(app, db, client, make_campaign):
    make_campaign(slug="recognize")
    flooder = app.test_client()
    flooder.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    for n in range(7):
        page = flooder.get("/campaigns/recognize")
        flooder.post("/campaigns/recognize/sign", data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "given_name": f"Bot{n}", "family_name": "Bot", "email": f"bot{n}@example.net",
            "country": "US", "comment": f"Reason number {n}", "comment_public": "y",
        })  # fmt: skip
    for signature_id in db.session.execute(select(Signature.id)).scalars().all():
        path = f"/confirm/{confirmation_token(signature_id)}"
        page = flooder.get(path)
        flooder.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    db.session.expire_all()
    fraudulent = Signature.status == SignatureStatus.FRAUDULENT
    held = db.session.execute(select(Signature).where(fraudulent)).scalars()
    held_names = {signature.personal.given_name for signature in held}
    assert held_names, "the flood rule held none"

    shown = {who.split(",")[0] for _, who in reasons(client, "recognize")}
    assert shown and not shown & held_names


def test_links_and_markup_are_shown_as_plain_text_while_the_export_keeps_the_sealed_comment(
    app, db, client, make_campaign, tmp_path
):
    make_campaign(slug="recognize")
    comment = (
        'Read <b>this</b> at https://evil.example/x and <a href="http://evil.example">there</a>, '
        "or mail spam@evil.example <script>alert(1)</script>now"
    )
    signer = sign_as(app, "recognize", 1, "Anahit", "AM", comment, comment_public="y")
    confirm(db, signer)

    page = client.get("/campaigns/recognize").get_data(as_text=True)
    assert reasons(client, "recognize") == [("Read this at and there, or mail now", "Anahit, Armenia")]
    assert "evil.example" not in page and "<b>this" not in page and "alert(1)" not in page

    # Exports read the sealed comment, as the signer wrote it.
    out = tmp_path / "signatures.csv"
    result = app.test_cli_runner().invoke(
        args=["export", "recognize", "-o", str(out), "--columns", "given_name,comment"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    assert rows[1] == ["Anahit", comment]


def test_the_organizer_hides_a_comment_and_shows_it_again_each_time_audited(app, db, team, monkeypatch):
    campaign = open_campaign(db, team)
    slug = campaign.slug
    confirm(db, sign_as(app, slug, 1, "Anahit", "AM", "For Artsakh.", comment_public="y"))
    spammer = sign_as(app, slug, 2, "Spammer", "US", "Buy cheap watches", comment_public="y")
    confirm(db, spammer)
    spam = signature_of(db, spammer)
    # Every visitor in a language is served the same list, read again every minute here:
    # a hide still takes it off this process's pages at once.
    monkeypatch.setitem(app.config, "PUBLIC_COMMENTS_SECONDS", 60)
    comments.forget_blocks()
    assert len(reasons(team.visitor, slug)) == 2
    listing = f"/organize/campaigns/{campaign.id}/comments"
    page = team.organizer.browser.get(listing)
    assert page.status_code == 200 and "Buy cheap watches" in page.get_data(as_text=True)

    hidden = press(team.organizer, listing, f"{listing}/{spam.id}/hide")

    assert hidden.status_code == 303
    assert reasons(team.visitor, slug) == [("For Artsakh.", "Anahit, Armenia")]
    [event] = db.session.execute(select(AuditEvent).where(AuditEvent.action == "comment.hidden")).scalars()
    assert event.actor == f"user:{team.organizer.user.id}" and event.details == {"signature": spam.id}

    # Staff may show it again.
    assert press(team.staff, listing, f"{listing}/{spam.id}/show").status_code == 303
    assert [text for text, _ in reasons(team.visitor, slug)] == ["Buy cheap watches", "For Artsakh."]
    shown = db.session.execute(select(AuditEvent).where(AuditEvent.action == "comment.shown")).scalars().all()
    assert [e.actor for e in shown] == [f"user:{team.staff.user.id}"]


def test_another_organizations_organizer_can_neither_see_nor_hide(app, db, team):
    campaign = open_campaign(db, team)
    signer = sign_as(app, campaign.slug, 1, "Anahit", "AM", "For Artsakh.", comment_public="y")
    confirm(db, signer)
    signature_id = signature_of(db, signer).id
    listing = f"/organize/campaigns/{campaign.id}/comments"
    outsider = team.other_organizer.browser

    assert outsider.get(listing).status_code == 404
    # With a good CSRF token of their own session (from any page that has a form).
    answer = press(team.other_organizer, f"/campaigns/{campaign.slug}", f"{listing}/{signature_id}/hide")

    assert answer.status_code == 404
    assert reasons(team.visitor, campaign.slug) == [("For Artsakh.", "Anahit, Armenia")]
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "comment.hidden")).first() is None
    # A hide without the form's CSRF token changes nothing either.
    assert team.organizer.browser.post(f"{listing}/{signature_id}/hide").status_code == 400


def test_erasing_or_anonymising_removes_the_public_comment(app, db, client, make_campaign):
    campaign = make_campaign(slug="recognize")
    erased = sign_as(app, "recognize", 1, "Anahit", "AM", "Erase me later.", comment_public="y")
    kept = sign_as(app, "recognize", 2, "Pierre", "FR", "Keep me until the end.", comment_public="y")
    confirm(db, erased)
    confirm(db, kept)
    person_id = signature_of(db, erased).person_id
    assert len(reasons(client, "recognize")) == 2

    my = f"/my/{my_token(person_id)}"
    assert press_button(erased, f"{my}/erase", f"{my}/erase").status_code == 200
    assert reasons(client, "recognize") == [("Keep me until the end.", "Pierre, France")]

    # Half a year after the campaign ended, what signers let be shown goes with the rest.
    ended = clock.now() - timedelta(days=app.config["ANONYMISE_AFTER_DAYS"] + 1)
    db.session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id)
        .values(status=CampaignStatus.CLOSED, closed_at=ended)
    )
    db.session.commit()
    retention.run()
    assert db.session.execute(select(PublicComment)).first() is None
