"""The organizer's dashboard: the right numbers, SVG charts with a table beside each, no inline style."""

import re

from sqlalchemy import insert, update

from campaign import clock
from campaign.accounts.models import Role
from campaign.campaigns.models import CampaignKind
from campaign.counts import fold as counts
from campaign.mail import composing
from campaign.mail import service as mail
from campaign.mail.models import OutboxMessage, OutboxStatus
from campaign.signing.models import SignatureStatus
from campaign.targets.models import Letter, Official
from campaign.updates import charts, sending, service
from campaign.updates.models import UpdateMessage
from tests.support import outbox
from tests.support.organizations import make_organization, signed_in
from tests.support.signers import add_signer


def cell(html, css_class):
    """The text of the element with this class."""
    return re.search(rf'class="{css_class}">([^<]*)<', html).group(1).strip()


def table_rows(html, figure_id):
    """The (label, value) rows of a chart's table."""
    figure = html.split(f'id="{figure_id}"', 1)[1].split("</figure>", 1)[0]
    return re.findall(r'<tr><th scope="row">([^<]*)</th><td>([^<]*)</td></tr>', figure)


def test_the_dashboard_shows_the_campaigns_numbers_as_charts_and_tables(app, db, make_campaign):
    relief = make_organization(db, "Relief")
    campaign = make_campaign(slug="dash", organization_id=relief.id)
    for n in range(3):
        add_signer(db, campaign, f"am{n}@example.org", source="twitter" if n < 2 else None)
    add_signer(db, campaign, "fr@example.org", country="FR", opt_in=False)
    for n in range(2):
        add_signer(db, campaign, f"p{n}@example.org", status=SignatureStatus.PENDING)
    add_signer(db, campaign, "bad@example.org", status=SignatureStatus.INVALIDATED, source="bot")
    counts.fold_signatures(batch=1000)

    draft = service.create_draft(campaign, None, "News", "Body")
    sending.start_sending(draft)
    sending.queue_batch(draft.id, 100)
    # A row names no one: who it goes to is what the worker would write from it.
    rows = {composing.composed(r).recipient.split("<")[1].rstrip(">"): r for r in outbox.rows(db)}
    rows["am0@example.org"].status = OutboxStatus.SENT
    rows["am1@example.org"].status = OutboxStatus.FAILED
    rows["am1@example.org"].last_error = "550 no such user"
    rows["am2@example.org"].status = OutboxStatus.FAILED
    rows["am2@example.org"].last_error = service.CANCELLED
    db.session.commit()

    browser = signed_in(app, db, "organizer@example.org", Role.ORGANIZER, organization=relief)
    page = browser.get(f"/organize/campaigns/{campaign.id}/dashboard")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert cell(html, "figure-validated") == "4"
    assert cell(html, "figure-signatures") == "7"
    assert cell(html, "figure-rate") == "57%"
    assert cell(html, "figure-pending") == "2"
    mail_states = ("mail-sent", "mail-bounced", "mail-cancelled")
    assert [cell(html, state) for state in mail_states] == ["1", "1", "1"]
    assert table_rows(html, "chart-countries") == [("Armenia", "3"), ("France", "1")]
    assert table_rows(html, "chart-sources") == [("(direct)", "2"), ("twitter", "2")]
    daily = table_rows(html, "chart-daily")
    today = clock.now().date()
    assert len(daily) == 30 and daily[-1] == (f"{today:%b} {today.day}", "4")
    hourly = table_rows(html, "chart-hourly")
    assert len(hourly) == 24 and hourly[-1][1] == "4"
    assert html.count('<svg class="chart') == 4 and html.count('role="img"') == 4
    assert html.count('<table class="mailbox chart-table">') == 4
    assert "style=" not in html and "<script" not in html


def test_letters_delivered_appear_for_a_letter_campaign(app, db, make_campaign):
    relief = make_organization(db, "Relief")
    campaign = make_campaign(slug="letters", kind=CampaignKind.LETTER, organization_id=relief.id)
    person = add_signer(db, campaign, "writer@example.org")
    signature_id = db.session.execute(
        db.text("SELECT id FROM signatures WHERE person_id = :p"), {"p": person}
    ).scalar_one()
    official = Official(name="Minister Jane Roe", title="Minister", country="FR", email="roe@example.org")
    db.session.add(official)
    db.session.flush()
    letter_id = db.session.execute(
        insert(Letter)
        .values(campaign_id=campaign.id, signature_id=signature_id, official_id=official.id)
        .returning(Letter.id)
    ).scalar_one()
    outbox_id = mail.owe(kind="letter", dedupe_key="letter:test", ref_id=letter_id)
    db.session.execute(update(Letter).values(outbox_id=outbox_id))
    db.session.execute(update(OutboxMessage).values(status=OutboxStatus.SENT))
    db.session.commit()
    browser = signed_in(app, db, "organizer@example.org", Role.ORGANIZER, organization=relief)
    html = browser.get(f"/organize/campaigns/{campaign.id}/dashboard").get_data(as_text=True)
    assert "Minister Jane Roe" in html and cell(html, "letters-sent") == "1"
    # Letters are not updates: the update counts stay at zero.
    assert db.session.query(UpdateMessage).count() == 0 and cell(html, "mail-sent") == "0"


def test_an_empty_campaign_has_a_dashboard_too(app, db, make_campaign):
    relief = make_organization(db, "Relief")
    campaign = make_campaign(slug="empty", organization_id=relief.id)
    browser = signed_in(app, db, "organizer@example.org", Role.ORGANIZER, organization=relief)
    html = browser.get(f"/organize/campaigns/{campaign.id}/dashboard").get_data(as_text=True)
    assert cell(html, "figure-rate") == "none yet" and "None yet." in html


def test_chart_geometry_scales_to_a_round_maximum():
    chart = charts.column_chart([("a", 3), ("b", 7), ("c", 0)], width=300, height=100)
    assert chart.maximum == 10
    tallest = max(chart.bars, key=lambda bar: bar.height)
    assert tallest.label == "b" and tallest.y + tallest.height == 100 - charts.COLUMN_BOTTOM
    assert chart.bars[2].height == 0
    rows = charts.row_chart([("x", 5), ("y", 10)], width=400)
    assert rows.bars[1].width == 400 - charts.ROW_LEFT - charts.ROW_RIGHT
    assert rows.bars[0].width == rows.bars[1].width / 2
    assert [charts.nice_maximum(v) for v in (0, 1, 3, 7, 11, 2400)] == [0, 1, 5, 10, 20, 5000]
