"""Which officials a signer writes to, when letters leave, and what is held back."""

import io
from datetime import datetime, timedelta

from sqlalchemy import select, update

from campaign import clock
from campaign.mail.models import OutboxMessage
from campaign.signing.models import Signature
from campaign.targets import delivery, digests, directory, letters, pacing
from campaign.targets import service as targets
from campaign.targets.models import DeliveryMode, Letter, LetterCampaign, Official
from tests.support.outbox import bodies


def names(found):
    return sorted(official.name for official in found)


def test_a_signer_in_ontario_writes_to_ontario_and_to_the_federal_ministers(
    db, officials, make_letter_campaign
):
    settings = make_letter_campaign()
    assert names(targets.officials_for(settings, "CA", "CA-ON")) == [
        "Alex Federal",
        "Jordan Federal",
        "Morgan Ontario",
    ]
    assert names(targets.officials_for(settings, "CA", None)) == ["Alex Federal", "Jordan Federal"]
    assert names(targets.officials_for(settings, "FR", None)) == ["Claire France"]
    assert targets.officials_for(settings, "AM", None) == []


def test_a_fixed_list_ignores_where_the_signer_lives(db, officials, make_letter_campaign):
    settings = make_letter_campaign(targets=[officials["fr"], officials["ca-qc"]])
    assert names(targets.officials_for(settings, "CA", "CA-ON")) == ["Camille Quebec", "Claire France"]


def test_letters_wait_for_the_sending_window():
    settings = LetterCampaign(window_start_hour=9, window_end_hour=17)
    assert pacing.sending_moment(settings, datetime(2026, 1, 5, 8, 30)) == datetime(2026, 1, 5, 9, 0)
    assert pacing.sending_moment(settings, datetime(2026, 1, 5, 12, 7)) == datetime(2026, 1, 5, 12, 7)
    assert pacing.sending_moment(settings, datetime(2026, 1, 5, 17, 0)) == datetime(2026, 1, 6, 9, 0)


def test_the_cap_and_the_window_together_schedule_the_queue(
    app, db, officials, make_letter_campaign, make_signature
):
    settings = make_letter_campaign(
        targets=[officials["fr"]], hourly_cap=2, window_start_hour=9, window_end_hour=10
    )
    now = datetime(2026, 1, 5, 9, 10)
    with app.test_request_context():
        for n in range(4):
            targets.write_letters(make_signature(settings.campaign_id, f"s{n}@example.org").id, now)
        db.session.commit()
    due = db.session.execute(select(OutboxMessage.next_attempt_at).order_by(OutboxMessage.id)).scalars().all()
    assert due == [
        datetime(2026, 1, 5, 9, 10),
        datetime(2026, 1, 5, 9, 40),
        datetime(2026, 1, 6, 9, 0),  # 10:10 is outside the window: the next morning
        datetime(2026, 1, 6, 9, 30),
    ]


def test_templates_fill_in_only_known_placeholders_and_never_evaluate_anything():
    values = {"name": "Ana ${message} {{ 7*7 }}", "message": "$name"}
    assert letters.render("Hi $name, $$5, $unknown, {{ config }}", values) == (
        "Hi Ana ${message} {{ 7*7 }}, $5, $unknown, {{ config }}"
    )
    assert letters.render("$message", values) == "$name"  # a signer's words are not a template


def test_a_paragraph_copied_by_many_signers_is_held_for_review(
    app, db, officials, make_letter_campaign, make_signature
):
    settings = make_letter_campaign(targets=[officials["fr"]], hourly_cap=1000)
    with app.test_request_context():
        for n in range(targets.COPY_THRESHOLD + 1):
            signature = make_signature(
                settings.campaign_id, f"s{n}@example.org", message=f"Stop  the ARMS exports{'!' * n}"
            )
            targets.write_letters(signature.id)
        original = make_signature(settings.campaign_id, "own@example.org", message="My own words.")
        targets.write_letters(original.id)
        db.session.commit()
        status = delivery.delivery_status(settings.campaign_id)
    held = db.session.execute(select(Letter).where(Letter.is_held)).scalars().all()
    assert len(held) == 1 and held[0].outbox_id is None
    assert status[0].count("held") == 1
    assert status[0].count("queued") + status[0].count("sent") == targets.COPY_THRESHOLD + 1
    with app.test_request_context():
        assert targets.release_held(held[0].id)  # staff read it and found it genuine
        assert not targets.release_held(held[0].id)
        db.session.commit()
    db.session.expire_all()
    assert db.session.get(Letter, held[0].id).outbox_id is not None


def test_a_burst_of_letters_from_one_address_is_held_for_review(
    app, db, officials, make_letter_campaign, make_signature
):
    settings = make_letter_campaign(targets=[officials["fr"]], hourly_cap=1000)
    with app.test_request_context():
        for n in range(targets.ADDRESS_LIMIT + 1):
            signature = make_signature(settings.campaign_id, f"s{n}@example.org", message=f"Words {n}")
            targets.write_letters(signature.id)
        elsewhere = make_signature(settings.campaign_id, "far@example.org", client_hash="elsewhere").id
        targets.write_letters(elsewhere)
        db.session.commit()
    held = db.session.execute(select(Letter.signature_id).where(Letter.is_held)).scalars().all()
    assert len(held) == 1 and elsewhere not in held


def test_importing_officials_reports_duplicates_and_rejected_rows(db):
    csv_file = io.StringIO(
        "name,title,country,region,email,party\n"
        "Ana Minister,Minister,CA,CA-ON,ana@example.org,\n"
        "Ana Minister,Minister,CA,CA-ON,ana@example.org,\n"
        "No Email,Minister,CA,,,\n"
        "Wrong Region,Minister,FR,CA-ON,wrong@example.org,\n"
        "Bad Country,Minister,XX,,bad@example.org,\n"
        "Fed,Minister,ca,,fed@example.org,Party\n"
    )
    report = directory.import_csv(csv_file)
    db.session.commit()
    assert report.added == 2
    assert report.duplicates == [3]
    assert [line for line, _ in report.rejected] == [4, 5, 6]
    assert "email is missing" in report.rejected[0][1]
    fed = db.session.execute(select(Official).where(Official.name == "Fed")).scalar_one()
    assert fed.country == "CA" and fed.region is None and fed.party == "Party"


def test_an_import_without_the_needed_columns_is_refused(db):
    try:
        directory.import_csv(io.StringIO("name,email\nA,a@example.org\n"))
    except directory.InvalidOfficial as error:
        assert "title" in str(error) and "country" in str(error)
    else:
        raise AssertionError("the import should be refused")


def test_the_officials_commands_import_a_file_and_show_delivery_status(
    app, db, tmp_path, make_letter_campaign
):
    path = tmp_path / "officials.csv"
    path.write_text(
        "name,title,country,email\nAna,Minister,FR,ana@example.org\nBad,Minister,XX,b@example.org\n"
    )
    runner = app.test_cli_runner()
    result = runner.invoke(args=["officials", "import", str(path)])
    assert result.exit_code == 1  # a rejected row is worth a look
    assert "Added 1; 0 duplicates; 1 rejected." in result.output
    assert "line 3: rejected: country 'XX'" in result.output

    make_letter_campaign(slug="letters")
    result = runner.invoke(args=["officials", "status", "letters"])
    assert result.exit_code == 0 and result.output.startswith("official\tqueued\theld\tsent\tfailed\tbounced")
    assert runner.invoke(args=["officials", "status", "nothing"]).exit_code == 1


def test_a_letter_the_signer_may_not_edit_leaves_their_paragraph_out(
    app, db, officials, make_letter_campaign, make_signature
):
    settings = make_letter_campaign(targets=[officials["fr"]], is_signer_editable=False)
    with app.test_request_context():
        signature = make_signature(settings.campaign_id, "s@example.org", message="Posted anyway.")
        targets.write_letters(signature.id)
        db.session.commit()
    [body] = bodies(db, "letter")
    assert "Posted anyway." not in body and "Dear Claire France," in body


def test_a_letter_whose_signer_was_anonymised_is_never_written(
    app, db, officials, make_letter_campaign, make_signature
):
    single = make_letter_campaign(slug="single", targets=[officials["fr"]])
    daily = make_letter_campaign(
        slug="daily", targets=[officials["ca-qc"]], delivery=DeliveryMode.DIGEST, window_start_hour=8
    )
    # Two days ago at nine: the digest is due by the real clock.
    morning = (clock.now() - timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    with app.test_request_context():
        gone = make_signature(single.campaign_id, "gone@example.org", message="Gone words.").id
        targets.write_letters(gone)
        gone_daily = make_signature(daily.campaign_id, "gone@example.org", message="Gone words.").id
        kept = make_signature(daily.campaign_id, "kept@example.org", message="Kept words.").id
        for signature_id in (gone_daily, kept):
            targets.write_letters(signature_id, morning)
        assert digests.send_digests(morning) == 1
        db.session.commit()
    assert len(bodies(db, "letter")) == 1 and "Gone words." in bodies(db, "letter-digest")[0]

    # The campaigns ended long ago: the signatures still count, but name nobody.
    db.session.execute(
        update(Signature)
        .where(Signature.id.in_([gone, gone_daily]))
        .values(sealed=None, masked_name=None, person_id=None, anonymised_at=clock.now())
    )
    db.session.commit()
    db.session.expire_all()
    assert bodies(db, "letter") == []
    [digest] = bodies(db, "letter-digest")
    assert "Kept words." in digest and "Gone words." not in digest


def test_a_large_import_reports_its_progress(db):
    rows = "".join(f"Official {n},Member,FR,,member{n}@example.org\n" for n in range(2500))
    seen = []
    report = directory.import_csv(
        io.StringIO("name,title,country,region,email\n" + rows), progress=seen.append
    )
    assert report.added == 2500 and seen == [1000, 2000]
