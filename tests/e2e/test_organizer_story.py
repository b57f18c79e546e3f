"""Issue 17's story, tried as a new organizer would, through the pages people use.

A new organizer creates an organization and starts a letter campaign with an
Armenian title (its web address is the title in readable Latin letters), has a
partner co-host it, sends its letters as a daily digest, submits it and staff
approve it; two supporters write, one of them agreeing that the partner may
email them; the partner exports exactly that supporter; the digest comes back as
a bounce after the minister's server took it, and the organizer sees the
official's address marked bad; an admin disables the partner's account on the
users page, and it can no longer sign in.

Every step posts the form of the page a person fills in: `submit` opens the page,
finds the form by its action, checks that each field sent is one of its fields
(and each choice one it offers), and sends it with the form's hidden values.
The officials' directory, the hourly digest run and the bounce mailbox have no
page: the command line, the digest run and the mailbox reader stand for them, as
in the other tests. The real worker sends the mail to the test SMTP server.
"""

# Armenian text, whose letters resemble Latin ones.
# ruff: noqa: RUF001

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from mailbox import Maildir
from typing import Any

import pytest
from sqlalchemy import select

from campaign import clock
from campaign.accounts.models import Organization, Role
from campaign.mail import bounces
from campaign.targets import digests
from campaign.targets.delivery import DELIVERY_STATES
from campaign.targets.models import Official
from tests.support.accounts import log_in
from tests.support.bounces import dsn, sent
from tests.support.people import signed_in
from tests.support.waiting import wait_until

pytestmark = pytest.mark.usefixtures("celery_worker")

TITLE = "Ճանաչե՛ք Արցախը"
ORGANIZATION = "Artsakh Relief Paris"
PARTNER = "Hayk Diaspora Network"
OFFICIAL = "minister@example.org"
CONSENTING = "narine@example.org"
DECLINING = "davit@example.org"
ORGANIZER = "ani@example.org"
PARTNER_OWNER = "hayk@example.org"
FREE_TEXT = {"text", "email", "password", "search", "number", "date", "tel", "url", "textarea", "hidden"}


@dataclass
class Form:
    """One form of a page: where it posts, its hidden and filled-in values, and what each field accepts."""

    action: str
    hidden: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    # A field's offered values (a select, checkboxes, a button); None for free text.
    offered: dict[str, set[str] | None] = field(default_factory=dict)


class FormReader(HTMLParser):
    """Reads the forms of a page as a browser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._in_form = False
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Note a form, or a field of the open form."""
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(values.get("action", "")))
            self._in_form = True
        elif self._in_form and tag == "option" and self._select is not None:
            offered = self.forms[-1].offered[self._select]
            assert offered is not None
            offered.add(values.get("value", ""))
        elif self._in_form and tag in ("input", "select", "textarea", "button") and values.get("name"):
            self._field(tag, values)

    def _field(self, tag: str, values: dict[str, str]) -> None:
        """Note what one named field holds and accepts."""
        form, name = self.forms[-1], values["name"]
        kind = values.get("type", "text") if tag == "input" else tag
        if kind == "hidden":
            form.hidden[name] = values.get("value", "")
        if kind in FREE_TEXT:
            form.offered[name] = None
            form.values[name] = values.get("value", "")
            return
        offered = form.offered.setdefault(name, set())
        if offered is not None and kind != "select":
            offered.add(values.get("value", "on"))
        self._select = name if kind == "select" else None

    def handle_endtag(self, tag: str) -> None:
        """Close a select or the form."""
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._in_form = False


def text_of(browser: Any, path: str) -> str:
    """A page's HTML, as the signed-in person (or visitor) sees it."""
    page = browser.get(path)
    assert page.status_code == 200, (path, page.status_code)
    return str(page.get_data(as_text=True))


def found(pattern: str, text: str) -> str:
    """The first group of the pattern's first match in a page or an email."""
    match = re.search(pattern, text)
    assert match is not None, f"{pattern!r} not found"
    return match.group(1)


def form_of(html: str, action: str) -> Form:
    """The page's form that posts to `action`."""
    reader = FormReader()
    reader.feed(html)
    matching = [form for form in reader.forms if form.action == action]
    assert matching, f"no form posts to {action}; the page's forms post to {[f.action for f in reader.forms]}"
    return matching[0]


def submit(browser: Any, page_path: str, action: str | None = None, **fields: Any) -> Any:
    """Open a page and send its form (the one posting to `action`) filled in with these fields."""
    form = form_of(text_of(browser, page_path), action or page_path)
    for name, value in fields.items():
        assert name in form.offered, f"{page_path} has no field {name!r} in its form to {form.action}"
        offered = form.offered[name]
        chosen = {str(item) for item in value} if isinstance(value, list) else {str(value)}
        assert offered is None or chosen <= offered, (
            f"{page_path}: {name}={chosen} is not offered ({offered})"
        )
    return browser.post(action or page_path, data={**form.hidden, **fields})


@dataclass
class Story:
    """The people of the story, each in their own browser, and what they made."""

    organizer: Any
    partner_owner: Any
    staff: Any
    admin: Any
    organization: int = 0
    partner: int = 0
    campaign_id: int = 0
    slug: str = ""
    digest_at: datetime = field(default_factory=clock.now)

    @property
    def builder(self) -> str:
        """The campaign's page in the builder."""
        return f"/organize/campaigns/{self.campaign_id}"


def import_officials(app: Any, tmp_path: Any) -> None:
    """Staff add the minister to the officials' directory (a command: the directory has no page)."""
    path = tmp_path / "officials.csv"
    path.write_text(f"name,title,country,email\nTaline Petrosyan,Minister for Europe,FR,{OFFICIAL}\n")
    result = app.test_cli_runner().invoke(args=["officials", "import", str(path)])
    assert result.exit_code == 0 and "Added 1;" in result.output, result.output


def organizations_are_made(db: Any, story: Story) -> None:
    """A new organizer's first run names their organization; the partner's owner makes theirs."""
    assert "First, your organization" in text_of(story.organizer, "/organize/")
    made = submit(story.organizer, "/organize/", "/organizations", name=ORGANIZATION)
    assert made.status_code == 303 and made.headers["Location"].endswith("/organize/campaigns/new")
    assert f"{ORGANIZATION} is ready." in text_of(story.organizer, "/organize/campaigns/new")
    assert submit(story.partner_owner, "/organizations", name=PARTNER).status_code == 303
    ids = dict(db.session.execute(select(Organization.name, Organization.id)).all())
    story.organization, story.partner = ids[ORGANIZATION], ids[PARTNER]


def campaign_is_started(story: Story) -> None:
    """A letter campaign with an Armenian title: its web address is the title in readable Latin letters."""
    made = submit(
        story.organizer,
        "/organize/campaigns/new",
        organization_id=story.organization,
        kind="letter",
        title=TITLE,
        summary="Ask the minister to recognize Artsakh.",
        body_markdown="France should **recognize** Artsakh.",
        goal="1000",
        language="hy",
        save="Create the draft",
    )
    assert made.status_code == 303, made.get_data(as_text=True)
    story.campaign_id = int(made.headers["Location"].rstrip("/").rpartition("/")[2])
    edit = f"{story.builder}/edit"
    story.slug = form_of(text_of(story.organizer, edit), edit).values["slug"]
    # The transliteration (tests/builder/test_slugs.py): Latin, readable, not a placeholder word.
    assert story.slug == "chanacheq-artsakhy"
    assert re.fullmatch(r"[a-z]+(-[a-z]+)+", story.slug)


def partner_cohosts(story: Story) -> None:
    """The organizer invites the partner by name; the partner's owner accepts on their page."""
    page = f"{story.builder}/partners"
    assert submit(story.organizer, page, organization=PARTNER).status_code == 303
    waiting = text_of(story.partner_owner, "/organize/partners")
    assert f'{ORGANIZATION} invites {PARTNER} to co-host "{TITLE}".' in waiting
    accept = found(r'action="(/organize/partners/\d+/accept)"', waiting)
    assert submit(story.partner_owner, "/organize/partners", accept).status_code == 303
    assert re.search(rf"<td>{PARTNER}</td>\s*<td>Partner</td>", text_of(story.organizer, page))


def letter_goes_as_a_daily_digest(story: Story, official_id: int) -> None:
    """The organizer writes the letter to the minister and chooses a daily digest."""
    hour = story.digest_at.hour
    letter = submit(
        story.organizer,
        f"{story.builder}/letter",
        subject_template="Please recognize Artsakh",
        body_template="Dear $official_name,\n\nPlease recognize Artsakh.\n\n$message\n\n$name, $place",
        is_signer_editable="y",
        targeting="fixed",
        official_ids=[str(official_id)],
        delivery="digest",
        digest_hour=str(hour),
    )
    assert letter.status_code == 303, letter.get_data(as_text=True)
    shown = text_of(story.organizer, story.builder)
    assert f"A daily digest to each official, leaving at {hour:02d}:00 UTC" in shown
    assert "Taline Petrosyan, Minister for Europe" in shown


def staff_approve(story: Story) -> None:
    """The organizer submits the campaign; staff read its letter and delivery, and approve it."""
    assert submit(story.organizer, story.builder, f"{story.builder}/submit").status_code == 303
    review = f"/staff/moderation/{story.campaign_id}"
    assert f"leaving at {story.digest_at.hour:02d}:00 UTC" in text_of(story.staff, review)
    assert submit(story.staff, review, f"{review}/approve").status_code == 303
    assert f'href="/campaigns/{story.slug}"' in text_of(story.organizer, story.builder)


def supporters_sign(app: Any, story: Story, mailbox: Any) -> None:
    """Two supporters write through the campaign's page; only the first lets the partner email them."""
    for email, given_name, partners in (
        (CONSENTING, "Narine", [str(story.partner)]),
        (DECLINING, "Davit", []),
    ):
        visitor = app.test_client()
        page = f"/campaigns/{story.slug}"
        html = text_of(visitor, page)
        assert f"{PARTNER} may email me" in html
        fields = {"partners": partners} if partners else {}
        answer = submit(
            visitor,
            page,
            f"{page}/sign",
            given_name=given_name,
            family_name="Petrosyan",
            email=email,
            country="AM",
            postal_code="0010",
            message=f"{given_name} asks you to act.",
            **fields,
        )
        assert answer.status_code == 303 and "check-your-inbox" in answer.headers["Location"]
        [message] = mailbox.wait_for(email)
        confirm = found(r"http://localhost(/confirm/\S+)", message.get_content())
        assert submit(visitor, confirm).status_code == 303


def digest_leaves(app: Any, db: Any, story: Story, mailbox: Any) -> Any:
    """The hourly run at the chosen hour sends the minister one email with both letters; its outbox row."""
    with app.test_request_context():
        assert digests.send_digests(story.digest_at) == 1
    [digest] = mailbox.wait_for(OFFICIAL)
    assert f"2 letters from {TITLE}" in str(digest["Subject"])
    body = digest.get_body(("plain",)).get_content()
    assert "Narine asks you to act." in body and "Davit asks you to act." in body
    return sent(db, digests.DIGEST_KIND)


def partner_exports_its_supporters(story: Story) -> None:
    """The partner sees one supporter agreed, lets its members export, and exports exactly that supporter."""
    owner = story.partner_owner
    assert '<td class="partner-signups">1</td>' in text_of(owner, "/organize/partners")
    organization_page = f"/organizations/{story.partner}"
    assert submit(owner, organization_page, f"{organization_page}/exports").status_code == 303
    assert "Stop member exports" in text_of(owner, organization_page)
    asked = submit(
        owner,
        "/staff/exports/",
        campaign_id=str(story.campaign_id),
        partner_id=str(story.partner),
        status="validated",
        columns=["given_name", "email"],
    )
    assert asked.status_code == 303, asked.get_data(as_text=True)
    progress = asked.headers["Location"]

    def written() -> str | None:
        """The progress page (it refreshes itself) once the worker has written the file."""
        html = text_of(owner, progress)
        return html if "Download the file" in html else None

    download = owner.get(found(r'href="(/staff/exports/\d+/download)"', wait_until(written, timeout=20)))
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert rows == [["First name", "Email"], ["Narine", CONSENTING]]
    assert DECLINING not in download.get_data(as_text=True)


def delivery_of(html: str) -> dict[str, int]:
    """The minister's row on the organizer's letters page: how many letters are in each state."""
    row = found(r'(?s)<th scope="row">Taline Petrosyan.*?</th>(.*?)</tr>', html)
    counts = [int(number) for number in re.findall(r"<td>(\d+)</td>", row)]
    return {state: number for state, number in zip(DELIVERY_STATES, counts, strict=True) if number}


def bounce_marks_the_address_bad(story: Story, bounce_box: Maildir, mailbox: Any, digest: Any) -> None:
    """The minister's server took the digest, then sends it back: the organizer sees the bad address."""
    letters = f"{story.builder}/letters"
    assert f'href="{letters}"' in text_of(story.organizer, story.builder)
    before = text_of(story.organizer, letters)
    assert delivery_of(before) == {"sent": 2} and "address refused mail" not in before

    # Later (no test clock moves an hour on), the report reaches the bounce mailbox the worker reads.
    return_path = bounces.return_path(digest.id)
    assert return_path is not None
    bounce_box.add(dsn(return_path, OFFICIAL, message_id=digest.message_id))
    assert bounces.read_mailbox() == 1

    after = text_of(story.organizer, letters)
    assert "Minister for Europe · address refused mail" in after
    assert delivery_of(after) == {"bounced": 2}
    assert "Bounces in this campaign: 2 letters to officials" in after
    # The campaign's contact (its creator, by default) is emailed too, in the campaign's language.
    notice = "Նամակները հնարավոր չէ առաքել"  # "Letters ... cannot be delivered", in Armenian
    wait_until(lambda: any(notice in str(m["Subject"]) for m in mailbox.to(ORGANIZER)), 15)


def admin_disables_an_account(app: Any, story: Story) -> None:
    """An admin finds the partner's owner on the users page and disables the account; they cannot sign in."""
    listed = text_of(story.admin, f"/staff/users?q={PARTNER_OWNER}")
    account = found(rf'href="(/staff/users/\d+)">{re.escape(PARTNER_OWNER)}<', listed)
    assert f'href="{account}/disable"' in text_of(story.admin, account)
    assert f"Disable {PARTNER_OWNER}?" in text_of(story.admin, f"{account}/disable")
    assert submit(story.admin, f"{account}/disable").status_code == 303
    assert PARTNER_OWNER in text_of(story.admin, "/staff/users?state=disabled")

    # Their open session ended, and the login form refuses them.
    signed_out = story.partner_owner.get("/organize/partners")
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"]
    refused = log_in(app.test_client(), PARTNER_OWNER)
    assert refused.status_code == 401
    assert "The email address or the password is not right." in refused.get_data(as_text=True)


def test_a_new_organizer_runs_a_cohosted_letter_campaign_from_the_first_page_to_a_late_bounce(
    app, db, mailbox, bounce_box, tmp_path
):
    story = Story(
        organizer=signed_in(app, db, ORGANIZER, Role.ORGANIZER)[0],
        partner_owner=signed_in(app, db, PARTNER_OWNER, Role.ORGANIZER)[0],
        staff=signed_in(app, db, "staff@example.org", Role.STAFF)[0],
        admin=signed_in(app, db, "admin@example.org", Role.ADMIN)[0],
    )
    import_officials(app, tmp_path)
    official_id = db.session.execute(select(Official.id).where(Official.email == OFFICIAL)).scalar_one()

    organizations_are_made(db, story)
    campaign_is_started(story)
    partner_cohosts(story)
    letter_goes_as_a_daily_digest(story, official_id)
    staff_approve(story)
    supporters_sign(app, story, mailbox)
    digest = digest_leaves(app, db, story, mailbox)
    partner_exports_its_supporters(story)
    bounce_marks_the_address_bad(story, bounce_box, mailbox, digest)
    admin_disables_an_account(app, story)
