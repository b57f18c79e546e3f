"""Asking writers whether their officials replied, in the language each of them signed in."""

# Armenian text with its own punctuation (full stop, question mark).
# ruff: noqa: RUF001

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from campaign.campaigns import translations
from campaign.campaigns.models import Campaign
from campaign.mail.models import OutboxMessage, OutboxStatus
from campaign.targets import followups
from campaign.targets import service as targets

pytestmark = pytest.mark.usefixtures("celery_worker")

DELIVERED_AT = datetime(2026, 1, 1, 12, 0)
TITLES = {"hy": "Կասեցրեք թույլտվությունները", "ru": "Приостановите разрешения"}


def _path(pattern: str, text: str) -> str:
    """The path of the first link in a message that matches `pattern` (its first group)."""
    found = re.search(pattern, text)
    assert found is not None, pattern
    return found.group(1)


def _letters_delivered(app, db, mailbox, officials, make_letter_campaign, make_signature):
    """A letter campaign translated into Armenian and Russian, one writer in each, letters delivered."""
    settings = make_letter_campaign(targets=[officials["fr"]])
    campaign = db.session.get(Campaign, settings.campaign_id)
    for language, title in TITLES.items():
        translations.save(campaign, language, translations.TranslationDraft(title, "…", "…"))
    db.session.commit()
    writers = {
        "hy": make_signature(campaign.id, "hy@example.org", given_name="Անահիտ", language="hy"),
        "ru": make_signature(campaign.id, "ru@example.org", given_name="Анна", language="ru"),
        "en": make_signature(campaign.id, "en@example.org", given_name="Anne", language="en"),
    }
    with app.test_request_context():
        for writer in writers.values():
            targets.write_letters(writer.id)
        db.session.commit()
    # The first letter leaves at once, the others in the official's later slots: all count as delivered then.
    mailbox.wait_for("fr@example.org")
    db.session.execute(update(OutboxMessage).values(status=OutboxStatus.SENT, sent_at=DELIVERED_AT))
    db.session.commit()
    return campaign


def test_each_writer_is_asked_and_reminded_in_their_language_with_the_title_they_read(
    app, db, client, mailbox, officials, make_letter_campaign, make_signature
):
    campaign = _letters_delivered(app, db, mailbox, officials, make_letter_campaign, make_signature)
    with app.test_request_context():
        assert followups.ask_for_replies(DELIVERED_AT + timedelta(days=14)) == 3
        db.session.commit()
        assert followups.ask_for_replies(DELIVERED_AT + timedelta(days=21)) == 3
        db.session.commit()

    [hy_ask, hy_reminder] = sorted(
        mailbox.wait_for("hy@example.org", count=2), key=lambda m: "շաբաթ առաջ հարցրել" in m.get_content()
    )
    assert hy_ask["Subject"] == f"Պաշտոնյաները պատասխանե՞լ են Ձեզ։ {TITLES['hy']}"
    hy_body = hy_ask.get_content()
    assert f"Երկու շաբաթ առաջ «{TITLES['hy']}» արշավի համար" in hy_body
    assert "Did your officials reply" not in hy_body and campaign.title not in hy_body
    assert "Մեկ շաբաթ առաջ հարցրել էինք" in hy_reminder.get_content()
    assert hy_reminder["Subject"] == hy_ask["Subject"]

    ru_messages = mailbox.wait_for("ru@example.org", count=2)
    assert all(m["Subject"] == f"Ответили ли вам официальные лица? {TITLES['ru']}" for m in ru_messages)
    ru_body = next(m.get_content() for m in ru_messages if "Две недели назад" in m.get_content())
    assert f"в рамках кампании «{TITLES['ru']}»" in ru_body
    assert "Неделю назад мы спрашивали" in "".join(m.get_content() for m in ru_messages)

    # English stays English, with the campaign's own title and links that let the browser choose.
    en_ask = mailbox.wait_for("en@example.org", count=2)[0]
    assert en_ask["Subject"] == f"Did your officials reply? {campaign.title}"
    assert "lang=" not in en_ask.get_content()

    # Both links keep the language: the answer page and the writer's own page open in Armenian.
    answer_path = _path(r"http://localhost(/letters/replied/\S+)", hy_body)
    my_path = _path(r"http://localhost(/my/\S+)", hy_body)
    assert answer_path.endswith("?lang=hy") and my_path.endswith("?lang=hy")
    answer_page = client.get(answer_path)
    assert answer_page.status_code == 200
    assert '<html lang="hy"' in answer_page.get_data(as_text=True)
    assert "Պաշտոնյաները պատասխանե՞լ են Ձեզ" in answer_page.get_data(as_text=True)
    assert f"<strong>{TITLES['hy']}</strong>" in answer_page.get_data(as_text=True)
    ru_answer = _path(r"http://localhost(/letters/replied/\S+)", ru_body)
    assert ru_answer.endswith("?lang=ru")
    ru_page = client.get(ru_answer).get_data(as_text=True)
    assert "Ответили ли вам официальные лица?" in ru_page and f"<strong>{TITLES['ru']}</strong>" in ru_page
