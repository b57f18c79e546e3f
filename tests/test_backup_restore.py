"""scripts/backup and scripts/restore, run as an operator would: a restored platform opens what was sealed.

The backup is taken of this run's database, keys and instance folder; the
restore goes into a new database and new folders, and the restored app must
open each signature's sealed data with the restored keys alone.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select

from tests.support.images import image_bytes
from tests.support.migrations import new_database
from tests.support.run import ROOT

SIGNERS = [
    {"given_name": "Anahit", "family_name": "Petrosyan", "email": "anahit.backup@example.org"},
    {
        "given_name": "Գարեգին",
        "family_name": "Նժդեհ",
        "email": "garegin.backup@example.org",
        "comment": "Now.",
    },
    {
        "given_name": "Lucie",
        "family_name": "Aubrac",
        "email": "lucie.backup@example.org",
        "postal_code": "75001",
    },
]


def script(
    name: str, *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run scripts/<name> as an operator would, with this run's environment."""
    return subprocess.run(
        [str(ROOT / "scripts" / name), *map(str, args)],
        env={**os.environ, "PYTHON": sys.executable, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def backup(to: Path, *args: str | Path) -> Path:
    """Back up this run's platform into `to`; the backup folder."""
    done = script("backup", "--to", to, *args)
    assert done.returncode == 0, done.stderr
    (folder,) = to.glob("campaign-backup-*")
    return folder


def table_count(url: str) -> int:
    """How many tables a database holds."""
    with psycopg.connect(url) as connection:
        row = connection.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
    assert row is not None
    return int(row[0])


def personal_data(database) -> dict[int, tuple[str, ...]]:
    """Every signature's opened data, by id, read where the current app holds the keys."""
    from campaign.signing.models import Signature

    signatures = database.session.execute(select(Signature).order_by(Signature.id)).scalars()
    return {
        s.id: (s.personal.email, s.personal.name, s.personal.postal_code, s.personal.comment)
        for s in signatures
    }


@contextmanager
def keys_of(application) -> Iterator[None]:
    """Inside the app's context, with every key and data key read afresh from its own KEYS_PATH."""
    from campaign.privacy import keys, vault

    keys.forget()
    vault.forget()
    try:
        with application.app_context():
            yield
    finally:
        keys.forget()
        vault.forget()


def test_a_restored_platform_opens_its_signatures_with_the_restored_keys(
    app, db, make_campaign, sign, tmp_path
):
    from campaign import create_app
    from campaign.builder import images
    from campaign.config import database_uri
    from campaign.privacy.vault import CannotOpen
    from campaign.signing.models import Signature

    campaign = make_campaign()
    for signer in SIGNERS:
        assert sign(campaign.slug, **signer).status_code == 303
    stored = images.clean(io.BytesIO(image_bytes("PNG")))
    campaign.image_name, campaign.image_width, campaign.image_height = images.store(stored), 64, 48
    db.session.commit()
    picture = (images.folder() / campaign.image_name).read_bytes()
    originals = personal_data(db)
    assert sorted(email for email, *_ in originals.values()) == sorted(s["email"] for s in SIGNERS)
    # An export's file is personal data kept a day: it stays out of a backup.
    leftover = Path(os.environ["INSTANCE_PATH"]) / "exports" / f"leftover-{uuid.uuid4().hex}.csv"
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_text("email\nleft@example.org\n")
    try:
        folder = backup(tmp_path / "backups", "--keys-to", tmp_path / "keys-apart")
    finally:
        leftover.unlink()
    (keys_part,) = (tmp_path / "keys-apart").glob("*.keys.tar")
    assert {p.name for p in folder.iterdir()} == {"database.dump", "files.tar", "manifest.json"}
    dump = (folder / "database.dump").read_bytes()
    assert b"anahit.backup@example.org" not in dump and "Նժդեհ".encode() not in dump

    with new_database(f"restore_{uuid.uuid4().hex[:10]}") as url:
        restored_keys, restored_files = tmp_path / "restored-keys", tmp_path / "restored-files"
        done = script(
            "restore", folder, "--keys", keys_part, "--database-url", url,
            "--keys-to", restored_keys, "--files-to", restored_files,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert "ok    migrations" in done.stdout and "ok    keys" in done.stdout
        assert not (restored_files / "exports").exists() and not (restored_files / "keys").exists()
        assert {p.stat().st_mode & 0o777 for p in restored_keys.iterdir()} == {0o600}

        settings = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_uri(url)}
        restored = create_app(
            {**settings, "KEYS_PATH": str(restored_keys), "INSTANCE_PATH": str(restored_files)}
        )
        without_keys = create_app({**settings, "KEYS_PATH": str(tmp_path / "no-keys")})
        try:
            with keys_of(restored):
                assert personal_data(db) == originals
                # The restored blind-index key still knows a repeat signer: no second signature.
                again = restored.test_client()
                assert sign(campaign.slug, test_client=again, **SIGNERS[0]).status_code == 303
                signatures = db.session.execute(select(func.count()).select_from(Signature)).scalar()
                assert signatures == len(SIGNERS)
                served = again.get(f"/media/campaign-images/{campaign.image_name}")
                assert served.status_code == 200 and served.data == picture
            # The keys part is what opens the data: the same database without it opens nothing.
            with keys_of(without_keys), pytest.raises(CannotOpen):
                personal_data(db)
        finally:
            for application in (restored, without_keys):
                with application.app_context():
                    db.engine.dispose()
            app.extensions["celery"].set_default()


def test_restore_refuses_a_database_that_is_not_empty(app, db, make_campaign, sign, tmp_path):
    from campaign.signing.models import Signature

    campaign = make_campaign()
    assert sign(campaign.slug, **SIGNERS[0]).status_code == 303
    folder = backup(tmp_path / "backups")
    assert "WARNING" in script("backup", "--to", tmp_path / "second").stderr  # keys beside the dump

    done = script(
        "restore", folder, "--database-url", os.environ["DATABASE_URL"],
        "--keys-to", tmp_path / "restored-keys", "--files-to", tmp_path / "restored-files",
    )  # fmt: skip

    assert done.returncode == 2
    assert "is not empty" in done.stderr and "--force" in done.stderr
    assert not (tmp_path / "restored-keys").exists() and not (tmp_path / "restored-files").exists()
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(Signature)).scalar() == 1


@pytest.mark.parametrize("part", ["database.dump", "keys"])
def test_restore_refuses_a_part_changed_since_the_backup(app, db, make_campaign, sign, tmp_path, part):
    campaign = make_campaign()
    assert sign(campaign.slug, **SIGNERS[0]).status_code == 303
    folder = backup(tmp_path / "backups", "--keys-to", tmp_path / "keys-apart")
    (keys_part,) = (tmp_path / "keys-apart").glob("*.keys.tar")
    tampered = folder / part if part != "keys" else keys_part
    data = bytearray(tampered.read_bytes())
    data[len(data) // 3] ^= 0x01
    tampered.write_bytes(bytes(data))

    with new_database(f"restore_{uuid.uuid4().hex[:10]}") as url:
        done = script(
            "restore", folder, "--keys", keys_part, "--database-url", url,
            "--keys-to", tmp_path / "restored-keys", "--files-to", tmp_path / "restored-files",
        )  # fmt: skip

        assert done.returncode == 2
        assert f"{tampered.name} does not match the manifest" in done.stderr
        assert "Nothing was restored" in done.stderr
        assert table_count(url) == 0
    assert not (tmp_path / "restored-keys").exists()
