"""An export whose worker died is failed, with a reason staff can read, and its file removed.

The worker is made to stop at a known point: its file written, the export
not yet recorded done (a trigger of the test's makes that update wait on a
lock the test holds), then it is SIGKILLed. Beat's sweep notices the
export's worker is gone (nobody holds the export's advisory lock any more)
rather than waiting for the time limit.
"""

import os
import time
import uuid

import psycopg
from sqlalchemy import select

from campaign import dispatch
from campaign.exports import files as export_files
from campaign.exports import service as exports
from campaign.exports.filters import ExportFilters
from campaign.exports.models import Export, ExportStatus
from campaign.exports.writer import RUN_TASK
from tests.faults.stack import Processes, broker_of_its_own
from tests.support.run import RUN_ID
from tests.support.signers import add_signatures_in_bulk
from tests.support.waiting import wait_until

ROWS = 2000


HOLD_LOCK = 0x686F6C64  # "hold"
# A trigger of this test's: an export being recorded done first waits for the test's lock.
HOLD_CREATE = f"""
CREATE FUNCTION fault_test_hold_done() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'done' THEN PERFORM pg_advisory_xact_lock({HOLD_LOCK}); END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER fault_test_hold_done BEFORE UPDATE ON exports
    FOR EACH ROW EXECUTE FUNCTION fault_test_hold_done();
"""
HOLD_DROP = (
    "DROP TRIGGER IF EXISTS fault_test_hold_done ON exports; DROP FUNCTION IF EXISTS fault_test_hold_done()"
)


def hold_done_exports(database_url: str) -> psycopg.Connection:
    """Install the trigger and take its lock; the lock is let go when the returned connection closes."""
    connection = psycopg.connect(database_url, autocommit=True)
    connection.execute(HOLD_CREATE)
    connection.execute(f"SELECT pg_advisory_lock({HOLD_LOCK})")
    return connection


def waiting_on_a_lock(database_url: str) -> bool:
    """Whether a session of the test database is waiting for a lock (the worker, on the held row)."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        waiting = connection.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event = 'advisory'"
        ).fetchone()
    return bool(waiting and waiting[0])


def test_an_export_whose_worker_died_is_failed_and_its_file_removed(
    app, db, database, make_campaign, tmp_path
):
    from campaign import create_app

    campaign = make_campaign(slug="export-died")
    add_signatures_in_bulk(
        db, campaign.id, [{"email": f"e{i}@example.org", "country": "AM"} for i in range(ROWS)]
    )
    db.session.commit()
    run = f"{RUN_ID}-{uuid.uuid4().hex[:6]}"
    with broker_of_its_own("redis", run) as broker:
        env = {**os.environ, **broker.env, "EXPORT_PROCESSES": "1", "EXPORT_SWEEP_SECONDS": "1"}
        site = create_app({"TESTING": True, "BROKER_URL": None, "REDIS_KEY_PREFIX": env["REDIS_KEY_PREFIX"]})
        processes = Processes(env, tmp_path)
        db.session.rollback()
        holding = hold_done_exports(database)
        try:
            processes.start("beat", "beat")
            worker, _ = processes.start("worker", "worker", concurrency=1)
            with site.app_context():
                folder = export_files.export_folder()
                export = exports.request_export(
                    db.session.get(type(campaign), campaign.id),
                    actor="user:1",
                    user_id=1,
                    filters=ExportFilters(),
                    columns=["given_name", "email"],
                )
                export_id = export.id
                exports.db.session.commit()
                dispatch.publish(RUN_TASK, (export_id,))

            # The worker wrote the file and waits, in the update that would record it done.
            wait_until(lambda: waiting_on_a_lock(database), timeout=60)
            # Its own file (earlier tests may have left other exports in the folder).
            own = select(Export.file_name).where(Export.id == export_id)
            file = folder / db.session.execute(own).scalar_one()
            assert file.stat().st_size > 0
            assert db.session.get(Export, export_id).status == ExportStatus.RUNNING
            processes.kill(worker)
            holding.close()  # its update goes on, and is rolled back: the client is gone
            killed_at = time.monotonic()
            processes.start("worker", "second-worker", concurrency=1)  # what beat's sweep runs on

            failed = wait_until(
                lambda: (
                    (found := db.session.execute(select(Export).where(Export.id == export_id)).scalar_one())
                    and db.session.refresh(found) is None
                    and found.status == ExportStatus.FAILED
                    and found
                ),
                timeout=30,
                interval=0.2,
            )
            print(f"\nexport failed {time.monotonic() - killed_at:.1f} s after its worker was killed")
            assert failed.error == export_files.ABANDONED
            assert failed.file_name is None
            assert not file.exists()
        finally:
            processes.stop_all()
            holding.close()
            db.session.rollback()  # its reads would keep the trigger from being dropped
            with psycopg.connect(database, autocommit=True) as connection:
                connection.execute("SET lock_timeout = '10s'")
                connection.execute(HOLD_DROP)
