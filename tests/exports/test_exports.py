"""Exports of signature lists: streamed, filtered, defused for spreadsheets, audited, short-lived."""

import csv
import gzip
import io
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from campaign import clock
from campaign.audit.models import AuditEvent
from campaign.exports.files import expire_exports, export_folder
from campaign.exports.filters import ExportError, ExportFilters
from campaign.exports.models import Export, ExportStatus
from campaign.exports.service import download, request_export
from campaign.exports.writer import run_export
from campaign.signing.models import SignatureStatus
from tests.support.signers import add_signature
from tests.support.waiting import wait_until

HOSTILE = ['=HYPERLINK("http://evil.example")', "+31 6", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]


def add_signers(db, campaign, names, **values):
    """Signatures with the given first names, validated unless told otherwise."""
    start = db.session.execute(text("SELECT count(*) FROM people")).scalar_one()
    for i, name in enumerate(names):
        add_signature(
            db,
            campaign.id,
            f"s{start + i}@example.org",
            given_name=name,
            family_name="Doe",
            country=values.get("country", "AM"),
            region=None,
            consent_version="t",
            client_hash="h",
            status=values.get("status", SignatureStatus.VALIDATED),
            has_email_opt_in=values.get("opt_in", False),
            validated_at=clock.now(),
        )


def read_csv(path, *, zipped=False):
    raw = gzip.decompress(path.read_bytes()) if zipped else path.read_bytes()
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_the_command_line_export_is_inert_in_a_spreadsheet_and_audited(app, db, make_campaign, tmp_path):
    campaign = make_campaign(slug="export-me")
    add_signers(db, campaign, ["Anahit", *HOSTILE])
    add_signers(db, campaign, ["Pending"], status=SignatureStatus.PENDING)
    out = tmp_path / "signatures.csv"

    result = app.test_cli_runner().invoke(args=["export", "export-me", "-o", str(out)])

    assert result.exit_code == 0, result.output
    assert "Wrote 7 signatures" in result.output
    rows = read_csv(out)
    assert rows[0] == ["First name", "Last name", "Email", "Country", "Postal code", "Confirmed at (UTC)"]
    names = [row[0] for row in rows[1:]]
    assert names == ["Anahit", *("'" + name for name in HOSTILE)]
    assert "Pending" not in names
    [event] = db.session.execute(select(AuditEvent)).scalars().all()
    assert event.action == "export.requested" and event.actor.startswith("cli:")
    assert event.subject == f"campaign:{campaign.id}"
    export = db.session.execute(select(Export)).scalar_one()
    assert (export.status, export.written_rows) == (ExportStatus.DONE, 7)


def test_the_command_line_refuses_what_it_cannot_do(app, db, make_campaign, tmp_path):
    make_campaign(slug="exists")
    runner = app.test_cli_runner()
    assert "No campaign" in runner.invoke(args=["export", "nope", "-o", str(tmp_path / "a.csv")]).output
    taken = tmp_path / "taken.csv"
    taken.write_text("keep me")
    assert "exists already" in runner.invoke(args=["export", "exists", "-o", str(taken)]).output
    assert taken.read_text() == "keep me"
    bad = runner.invoke(args=["export", "exists", "-o", str(tmp_path / "b.csv"), "--columns", "password"])
    assert bad.exit_code != 0 and "Unknown columns: password" in bad.output


def test_filters_columns_excel_and_gzip(app, db, make_campaign, tmp_path):
    campaign = make_campaign(slug="filtered")
    add_signers(db, campaign, ["Ani", "Aram"], country="AM", opt_in=True)
    add_signers(db, campaign, ["Chloe"], country="FR")
    add_signers(db, campaign, ["Paul"], country="FR", status=SignatureStatus.PENDING)
    out = tmp_path / "fr.csv.gz"
    args = [
        "export",
        "filtered",
        "-o",
        str(out),
        "--status",
        "all",
        "--country",
        "fr",
        "--columns",
        "given_name,status,country",
        "--excel",
        "--gzip",
    ]
    assert app.test_cli_runner().invoke(args=args).exit_code == 0
    assert gzip.decompress(out.read_bytes()).startswith("\ufeff".encode())
    assert read_csv(out, zipped=True) == [
        ["First name", "Status", "Country"],
        ["Chloe", "validated", "FR"],
        ["Paul", "pending", "FR"],
    ]

    opted = tmp_path / "opted.csv"
    app.test_cli_runner().invoke(
        args=["export", "filtered", "-o", str(opted), "--opted-in", "--columns", "given_name,email_opt_in"]
    )
    assert [row[0] for row in read_csv(opted)[1:]] == ["Ani", "Aram"]


def test_bad_filters_are_refused_with_a_reason(db, make_campaign):
    campaign = make_campaign()
    for filters, reason in [
        (ExportFilters(status="everything"), "Unknown status"),
        (ExportFilters(country="XX"), "Unknown country"),
        (
            ExportFilters(signed_from=clock.now().date(), signed_to=clock.now().date() - timedelta(days=1)),
            "start date is after",
        ),
    ]:
        with pytest.raises(ExportError, match=reason):
            request_export(campaign, actor="user:1", user_id=1, filters=filters, columns=[])
    db.session.rollback()
    assert db.session.execute(select(AuditEvent)).scalars().all() == []


@pytest.mark.usefixtures("celery_worker")
def test_a_worker_makes_the_file_and_only_an_audited_download_gives_it(app, db, make_campaign):
    campaign = make_campaign(slug="by-worker")
    add_signers(db, campaign, [f"Signer {i}" for i in range(30)])
    with app.app_context():
        from campaign.campaigns.models import Campaign
        from campaign.extensions import db as app_db

        export = request_export(
            app_db.session.get(Campaign, campaign.id),
            actor="user:7",
            user_id=7,
            filters=ExportFilters(),
            columns=["given_name", "email"],
        )
        export_id = export.id
        app_db.session.commit()

    def finished():
        db.session.expire_all()
        return db.session.get(Export, export_id).status == ExportStatus.DONE

    wait_until(finished, timeout=20)
    export = db.session.get(Export, export_id)
    assert (export.total_rows, export.written_rows, export.progress) == (30, 30, 100)
    path = download(export, actor="user:7")
    assert path.stat().st_mode & 0o077 == 0  # readable by the platform's user only
    assert len(read_csv(path)) == 31
    actions = db.session.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
    assert actions == ["export.requested", "export.downloaded"]
    # Running the same export again (a redelivered task) changes nothing.
    assert run_export(export_id) == ExportStatus.DONE
    assert len(list(export_folder().glob("*.csv"))) >= 1

    db.session.execute(update(Export).values(expires_at=clock.now() - timedelta(minutes=1)))
    db.session.commit()
    assert expire_exports() == 1
    assert not path.exists()
    with pytest.raises(ExportError, match="expired"):
        download(db.session.get(Export, export_id), actor="user:7")


def test_the_audit_log_cannot_be_changed(db):
    db.session.add(AuditEvent(actor="user:1", action="export.requested", subject="campaign:1", details={}))
    db.session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(update(AuditEvent).values(actor="someone else"))
        db.session.commit()
    db.session.rollback()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("DELETE FROM audit_events"))
        db.session.commit()
    db.session.rollback()
