"""Big exports: cut into chunks for several processes or written by one, the file holds the same bytes."""

import csv
import gzip
import io
import os
from typing import Any

import pytest
from sqlalchemy import select, update

from campaign import clock
from campaign.exports.cells import inert
from campaign.exports.files import fail_abandoned_exports
from campaign.exports.filters import COLUMNS, DEFAULT_COLUMNS, ExportFilters
from campaign.exports.models import Export, ExportStatus
from campaign.exports.service import download, export_campaign_to, request_export
from campaign.exports.writer import run_export
from campaign.signing.models import Signature, SignatureStatus
from tests.support.run import INSTANCE
from tests.support.signers import add_signature
from tests.support.waiting import wait_until
from tests.support.workers import start_celery

ALL_COLUMNS = list(COLUMNS)
# What a spreadsheet or a CSV reader could trip on, in every sealed field and in the plain ones.
AWKWARD = [
    '=HYPERLINK("http://evil.example")',
    "+31 6",
    "-2+3",
    "@SUM(A1)",
    "\tTab",
    "\rCR",
    'A "quoted", comma',
    "two\nlines",
    "Անահիտ",
    "back\\slash",
    "",
]


def add_awkward_signers(db: Any, campaign: Any) -> None:
    """About forty signatures: plain ones, awkward ones, a few pending and one erased."""
    for number in range(30):
        awkward = AWKWARD[number % len(AWKWARD)]
        add_signature(
            db,
            campaign.id,
            f"signer{number}+{campaign.id}@example.org",
            given_name=awkward if number % 3 == 0 else f"Given {number}",
            family_name=awkward if number % 3 == 1 else "Petrosyan",
            postal_code=awkward if number % 4 == 0 else "0010",
            comment=awkward if number % 2 else "",
            message=awkward if number % 5 == 0 else "",
            country=("AM", "FR", "US")[number % 3],
            region="AM-ER" if number % 2 else None,
            source=awkward if number % 7 == 0 else None,
            has_email_opt_in=number % 2 == 0,
            validated_at=clock.now(),
        )
    for number in range(3):
        add_signature(
            db, campaign.id, f"pending{number}+{campaign.id}@example.org", status=SignatureStatus.PENDING
        )
    erased = add_signature(db, campaign.id, f"erased+{campaign.id}@example.org", validated_at=clock.now())
    db.session.execute(update(Signature).where(Signature.id == erased.id).values(sealed=None))
    db.session.commit()


def expected_csv(db: Any, campaign: Any, columns: list[str]) -> bytes:
    """The validated signers who can be named, built one row at a time the plain way."""
    signatures = db.session.execute(
        select(Signature)
        .where(
            Signature.campaign_id == campaign.id,
            Signature.status == SignatureStatus.VALIDATED,
            Signature.sealed.is_not(None),
        )
        .order_by(Signature.id)
    ).scalars()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([COLUMNS[name][0] for name in columns])
    for signature in signatures:
        cells = {
            **vars(signature.personal),
            "id": signature.id,
            "country": signature.country,
            "region": signature.region or "",
            "status": signature.status,
            "created_at": signature.created_at,
            "validated_at": signature.validated_at,
            "email_opt_in": signature.has_email_opt_in,
            "consent_version": signature.consent_version,
            "source": signature.source or "",
        }
        writer.writerow([inert(cells[name]) for name in columns])
    return buffer.getvalue().encode()


@pytest.mark.parametrize("processes", [1, 2])
def test_an_export_is_the_same_bytes_however_many_processes_write_it(
    app, observer, db, make_campaign, tmp_path, monkeypatch, processes
):
    campaign = make_campaign(slug=f"chunked-{processes}")
    add_awkward_signers(db, campaign)
    # The command runs in the app context the test is in: the observer's.
    monkeypatch.setitem(observer.config, "EXPORT_PROCESSES", processes)
    monkeypatch.setitem(observer.config, "EXPORT_CHUNK_ROWS", 4)
    out = tmp_path / "all.csv"
    zipped = tmp_path / "default.csv.gz"
    today = clock.now().date().isoformat()  # every signer signed today: a bound on a date that leaves all in

    runner = app.test_cli_runner()
    every_column = runner.invoke(
        args=["export", campaign.slug, "-o", str(out), "--columns", ",".join(ALL_COLUMNS), "--from", today]
    )
    default = runner.invoke(args=["export", campaign.slug, "-o", str(zipped), "--gzip", "--excel"])

    assert "Wrote 30 signatures" in every_column.output, every_column.output
    assert out.read_bytes() == expected_csv(db, campaign, ALL_COLUMNS)
    assert "Wrote 30 signatures" in default.output, default.output
    excel = gzip.decompress(zipped.read_bytes())
    assert excel == "\ufeff".encode() + expected_csv(db, campaign, DEFAULT_COLUMNS)
    assert sorted(os.listdir(tmp_path)) == ["all.csv", "default.csv.gz"]  # no chunk left behind
    done = db.session.execute(select(Export.written_rows).where(Export.status == ExportStatus.DONE)).scalars()
    assert list(done) == [30, 30]


def test_a_seal_that_cannot_be_opened_fails_the_export_and_leaves_no_file(
    app, db, make_campaign, tmp_path, monkeypatch
):
    campaign = make_campaign(slug="broken-seal")
    add_awkward_signers(db, campaign)
    last = db.session.execute(select(Signature).order_by(Signature.id.desc()).limit(1).offset(5)).scalar_one()
    altered = bytearray(last.sealed)
    altered[-1] ^= 1
    db.session.execute(update(Signature).where(Signature.id == last.id).values(sealed=bytes(altered)))
    db.session.commit()
    monkeypatch.setitem(app.config, "EXPORT_CHUNK_ROWS", 4)
    monkeypatch.setitem(app.config, "EXPORT_FOLDER", str(tmp_path))
    with app.app_context():
        from campaign.campaigns.models import Campaign
        from campaign.extensions import db as app_db

        export = request_export(
            app_db.session.get_one(Campaign, campaign.id),
            actor="user:7",
            user_id=7,
            filters=ExportFilters(),
            columns=[],
        )
        app_db.session.commit()
        export_id = export.id
        # A worker started by an earlier test may take the job first; either way it must fail.
        try:
            run_export(export_id)
        except Exception as error:
            assert "altered" in str(error)

    def failed() -> bool:
        db.session.expire_all()
        return db.session.get_one(Export, export_id).status == ExportStatus.FAILED

    wait_until(failed)
    assert os.listdir(tmp_path) == []


def test_a_worker_writes_a_big_export_in_chunks(app, db, make_campaign, smtp_server):
    campaign = make_campaign(slug="chunked-by-worker")
    add_awkward_signers(db, campaign)
    # A worker of its own, told to cut even this small export into chunks for two processes.
    env = {**os.environ, "EXPORT_CHUNK_ROWS": "4", "EXPORT_PROCESSES": "2"}
    with start_celery("worker", env, INSTANCE / "chunk-worker.log"), app.app_context():
        from campaign.campaigns.models import Campaign
        from campaign.extensions import db as app_db

        export = request_export(
            app_db.session.get_one(Campaign, campaign.id),
            actor="user:7",
            user_id=7,
            filters=ExportFilters(signed_from=clock.now().date()),
            columns=ALL_COLUMNS,
        )
        export_id = export.id
        app_db.session.commit()

        def finished():
            db.session.expire_all()
            return db.session.get_one(Export, export_id).status == ExportStatus.DONE

        wait_until(finished, timeout=30)

    export = db.session.get_one(Export, export_id)
    assert (export.total_rows, export.written_rows, export.progress) == (30, 30, 100)
    path = download(export, actor="user:7")
    assert path.stat().st_mode & 0o077 == 0
    assert path.read_bytes() == expected_csv(db, campaign, ALL_COLUMNS)
    assert [name for name in os.listdir(path.parent) if name.endswith(".part")] == []


def test_the_embedded_default_exports_the_same_bytes(tmp_path):
    from flask_migrate import upgrade

    from campaign import create_app
    from campaign.campaigns.models import Campaign, CampaignKind, CampaignStatus
    from campaign.extensions import db
    from campaign.privacy import keys, vault

    embedded = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'campaign.sqlite'}",
            "KEYS_PATH": str(tmp_path / "keys"),
        }
    )
    # A process keeps the keys it read: this test reads its own, and the tests after it theirs.
    keys.forget()
    vault.forget()
    try:
        with embedded.app_context():
            upgrade()
            keys.init_keys()
            campaign = Campaign(
                slug="embedded",
                kind=CampaignKind.PETITION,
                title="Embedded",
                summary="On SQLite.",
                body_markdown="Sign.",
                goal=100,
                status=CampaignStatus.OPEN,
            )
            db.session.add(campaign)
            db.session.commit()
            add_awkward_signers(db, campaign)
            out = tmp_path / "all.csv"

            written = export_campaign_to(
                campaign, out, actor="cli:test", filters=ExportFilters(), columns=ALL_COLUMNS
            )

            assert written == 30
            assert out.read_bytes() == expected_csv(db, campaign, ALL_COLUMNS)
            db.session.remove()
            db.engine.dispose()
    finally:
        keys.forget()
        vault.forget()


def test_chunk_files_left_by_a_killed_export_process_are_removed_once_stale(app, db, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_FOLDER", str(tmp_path))
    stale = tmp_path / ".4242-7f3a-0.part"
    fresh = tmp_path / ".4243-7f3b-0.part"
    kept = tmp_path / "export-1.csv"
    for path in (stale, fresh, kept):
        path.write_text("anahit@example.org,Anahit\n")
    hours_ago = os.path.getmtime(stale) - 2 * app.config["EXPORT_RUNNING_LIMIT_SECONDS"]
    os.utime(stale, (hours_ago, hours_ago))
    with app.app_context():
        fail_abandoned_exports()
    assert (stale.exists(), fresh.exists(), kept.exists()) == (False, True, True)
