"""What supporters trust on a campaign page, as organizers set it: the image with its alt text, whom it
addresses, the organization behind it with its logo; still one page for every visitor, at no query more."""

from __future__ import annotations

import io
import re
from typing import Any

from PIL import Image

from campaign.campaigns.models import Campaign
from campaign.targets.models import Official
from tests.campaigns.test_index_translations import counted_queries
from tests.support.builder import draft_of, press
from tests.support.forms import csrf_token, post_form
from tests.support.images import image_bytes


def approve(db: Any, team: Any, campaign: Campaign) -> None:
    """Submit a draft and have staff approve it."""
    page = f"/organize/campaigns/{campaign.id}"
    assert press(team.organizer, page, f"{page}/submit").status_code == 303
    review = f"/staff/moderation/{campaign.id}"
    assert press(team.staff, review, f"{review}/approve").status_code == 303
    db.session.expire_all()


def upload_logo(
    person: Any, organization: Any, data: bytes, filename: str = "logo.png", token_from: str = ""
) -> Any:
    """Post a logo through the organization page's form (with the CSRF token of another page if told)."""
    page = f"/organizations/{organization.id}"
    token = csrf_token(person.browser.get(token_from or page).get_data(as_text=True))
    return person.browser.post(
        f"{page}/logo",
        data={"csrf_token": token, "logo": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def test_the_image_is_shown_with_the_alt_text_its_organizer_wrote(db, team):
    campaign = draft_of(db, team.organizer, team.organization)
    page = f"/organize/campaigns/{campaign.id}"
    builder_page = team.organizer.browser.get(page).get_data(as_text=True)
    assert 'name="image_alt"' in builder_page
    token = csrf_token(builder_page)
    answer = team.organizer.browser.post(
        f"{page}/image",
        data={
            "csrf_token": token,
            "image": (io.BytesIO(image_bytes("PNG")), "rally.png"),
            "image_alt": 'Volunteers holding a "Recognize Artsakh" banner',
        },
        content_type="multipart/form-data",
    )
    assert answer.status_code == 303
    approve(db, team, campaign)

    html = team.visitor.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)

    assert 'alt="Volunteers holding a &#34;Recognize Artsakh&#34; banner"' in html
    assert "default-petition.svg" not in html


def test_the_decision_maker_card_names_who_the_petition_is_addressed_to(db, team):
    campaign = draft_of(db, team.organizer, team.organization)
    edit = f"/organize/campaigns/{campaign.id}/edit"
    form = team.organizer.browser.get(edit).get_data(as_text=True)
    assert 'name="decision_maker"' in form
    answer = post_form(
        team.organizer.browser,
        edit,
        title=campaign.title,
        summary=campaign.summary,
        body_markdown=campaign.body_markdown,
        goal="500",
        language="en",
        share_text="I signed.",
        decision_maker="The Parliament of Canada",
        save="Save",
    )
    assert answer.status_code == 303
    approve(db, team, campaign)

    html = team.visitor.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)

    card = html.split('class="decision-maker-card"')[1].split("</section>")[0]
    assert "Addressed to" in card and "The Parliament of Canada" in card


def _letter_campaign(db: Any, team: Any, targeting: str) -> Campaign:
    """A letter campaign written in the builder, to two chosen officials or routed, and approved."""
    officials = [
        Official(name="Claire Martin", title="Minister for Europe", body="Government of France",
                 country="FR", email="claire.martin@example.org"),
        Official(name="Camille Gagnon", title="Member of the National Assembly", country="CA",
                 region="CA-QC", email="camille.gagnon@example.org"),
    ]  # fmt: skip
    db.session.add_all(officials)
    db.session.commit()
    campaign = draft_of(db, team.organizer, team.organization, kind="letter", title="Suspend arms exports")
    answer = post_form(
        team.organizer.browser,
        f"/organize/campaigns/{campaign.id}/letter",
        subject_template="Please suspend arms exports",
        body_template="Dear $official_name,\n\n$message\n\n$name, $place",
        targeting=targeting,
        official_ids=[str(o.id) for o in officials] if targeting == "fixed" else [],
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)
    approve(db, team, campaign)
    return campaign


def test_a_letter_campaign_names_the_officials_it_writes_to_but_never_their_addresses(db, team):
    campaign = _letter_campaign(db, team, "fixed")

    html = team.visitor.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)

    card = html.split('class="decision-maker-card"')[1].split("</section>")[0]
    assert "Your letter goes to" in card
    assert "<strong>Claire Martin</strong>, Minister for Europe (Government of France)" in card
    assert "<strong>Camille Gagnon</strong>, Member of the National Assembly" in card
    assert "@example.org" not in html


def test_a_routed_letter_campaign_says_each_letter_goes_to_the_signer_own_officials(db, team):
    campaign = _letter_campaign(db, team, "routed")

    html = team.visitor.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)

    card = html.split('class="decision-maker-card"')[1].split("</section>")[0]
    assert "Each letter goes to the signer's own officials" in card
    assert "Claire Martin" not in card


def test_the_organization_name_and_logo_are_on_its_campaign_page(db, team):
    photo = Image.new("RGB", (1600, 800), (20, 80, 160))
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"
    photo.save(out, "JPEG", exif=exif.tobytes())
    settings = team.organizer.browser.get(f"/organizations/{team.organization.id}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in settings and 'name="logo"' in settings
    assert upload_logo(team.organizer, team.organization, out.getvalue(), "logo.jpg").status_code == 303
    db.session.expire_all()
    name = team.organization.logo_name
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}\.jpg", name)
    assert (team.organization.logo_width, team.organization.logo_height) == (512, 256)

    # Before the organization runs a public campaign, only its members see the logo.
    assert team.visitor.get(f"/media/organization-logos/{name}").status_code == 404
    assert team.organizer.browser.get(f"/media/organization-logos/{name}").status_code == 200
    campaign = draft_of(db, team.organizer, team.organization)
    approve(db, team, campaign)

    html = team.visitor.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    card = html.split('class="host-card"')[1].split("</section>")[0]
    assert "Started by" in card and '<span class="host-name">Friends of Artsakh</span>' in card
    assert f'src="/media/organization-logos/{name}"' in card
    served = team.visitor.get(f"/media/organization-logos/{name}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert "immutable" in served.headers["Cache-Control"] and b"SpyCam" not in served.data


def test_only_an_owner_changes_the_logo_and_a_bad_file_is_refused_with_a_reason(db, team):
    from campaign.accounts.models import MemberRole, Membership

    own_page = f"/organizations/{team.other_organization.id}"
    outsider = upload_logo(team.other_organizer, team.organization, image_bytes("PNG"), token_from=own_page)
    assert outsider.status_code == 404
    db.session.add(
        Membership(organization_id=team.organization.id, user_id=team.other_organizer.user.id,
                   role=MemberRole.MEMBER)
    )  # fmt: skip
    db.session.commit()
    member = upload_logo(team.other_organizer, team.organization, image_bytes("PNG"), token_from=own_page)
    assert member.status_code == 403

    refused = upload_logo(team.organizer, team.organization, b"%PDF-1.4 not an image", "logo.png")
    assert refused.status_code == 400
    assert "This file is not a JPEG, PNG or WebP image we can read." in refused.get_data(as_text=True)

    assert upload_logo(team.organizer, team.organization, image_bytes("PNG")).status_code == 303
    db.session.expire_all()
    name = team.organization.logo_name
    page = f"/organizations/{team.organization.id}"
    assert press(team.organizer, page, f"{page}/logo/delete").status_code == 303
    db.session.expire_all()
    assert team.organization.logo_name is None
    assert team.organizer.browser.get(f"/media/organization-logos/{name}").status_code == 404


def test_the_trust_cards_cost_no_query_per_page_view_and_the_page_stays_public(db, team, app, make_campaign):
    bare = make_campaign(slug="bare")
    upload_logo(team.organizer, team.organization, image_bytes("PNG"))
    campaign = _letter_campaign(db, team, "fixed")
    rich = f"/campaigns/{campaign.slug}"
    assert "host-card" in team.visitor.get(rich).get_data(as_text=True)
    team.visitor.get(f"/campaigns/{bare.slug}")

    with counted_queries(app) as for_bare:
        team.visitor.get(f"/campaigns/{bare.slug}")
    with counted_queries(app) as for_rich:
        again = team.visitor.get(rich)

    assert again.status_code == 200 and "decision-maker-card" in again.get_data(as_text=True)
    assert len(for_rich) == len(for_bare), for_rich
    assert "public" in again.headers["Cache-Control"] and "Set-Cookie" not in again.headers


def test_the_share_buttons_carry_the_share_text_the_organizer_wrote_in_the_builder(db, team):
    from urllib.parse import parse_qs, urlsplit

    campaign = draft_of(db, team.organizer, team.organization, share_text="Artsakh needs you: sign now!")
    approve(db, team, campaign)

    for path in (f"/campaigns/{campaign.slug}", f"/campaigns/{campaign.slug}/thanks"):
        html = team.visitor.get(path).get_data(as_text=True)
        shares = re.findall(r'class="button share-(\w+)" href="([^"]+)"', html)
        assert {network for network, _ in shares} == {"whatsapp", "telegram", "facebook", "x", "email"}
        for network, href in shares:
            if network == "facebook":  # Facebook's dialog takes the link alone
                continue
            words = " ".join(v for values in parse_qs(urlsplit(href.replace("&amp;", "&")).query).values()
                             for v in values)  # fmt: skip
            assert "Artsakh needs you: sign now!" in words, (path, network)
        assert 'data-share-text="Artsakh needs you: sign now!"' in html
